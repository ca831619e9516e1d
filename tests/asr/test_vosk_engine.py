"""The real Vosk code on the real Korean model: loading, streaming, parsing, resampling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asr.audio import StreamResampler, read_wav_chunks, wav_seconds
from asr.engine import ModelMissingError, SpeechEngine, decode_pcm
from asr.vosk_engine import VoskEngine, load_vosk_engine, model_sample_rate, parse_result

from .conftest import ko_model_dir


def test_model_loads_once_and_is_an_engine(ko_engine: VoskEngine) -> None:
    assert isinstance(ko_engine, SpeechEngine)
    assert load_vosk_engine(ko_model_dir()) is ko_engine
    # The Korean model's mfcc.conf names no rate: Kaldi's default, 16 kHz, applies.
    assert ko_engine.sample_rate == 16000


def test_sample_rate_is_read_from_mfcc_conf(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n")
    assert model_sample_rate(tmp_path) == 8000


def test_missing_model_names_the_download_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="python -m asr models download"):
        load_vosk_engine(tmp_path / "nothing-here")


def test_streaming_in_chunks_gives_words_inside_the_audio(
    ko_engine: VoskEngine, utterance_wav: Path
) -> None:
    rate, chunks = read_wav_chunks(utterance_wav, 0.1)
    assert rate == 8000
    fed: list[int] = []

    def counted():
        for chunk in chunks:
            fed.append(len(chunk))
            yield chunk

    recognition = decode_pcm(ko_engine, counted(), rate)
    duration = wav_seconds(utterance_wav)
    assert len(fed) > 10, "audio must reach the recognizer in many small chunks"
    assert recognition.audio_seconds == pytest.approx(duration, abs=0.01)
    words = recognition.words
    assert words, "the model produced no words at all for clear speech"
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for word in words:
        assert 0.0 <= word.start <= word.end <= duration + 0.05
        assert 0.0 <= word.confidence <= 1.0
        assert word.word.strip()
    assert recognition.text


def test_parse_result_reads_vosk_json() -> None:
    raw = json.dumps(
        {
            "result": [
                {"conf": 0.9, "start": 0.5, "end": 0.8, "word": "着火"},
                {"conf": 1.0, "start": 0.8, "end": 1.0, "word": "了"},
            ],
            "text": "着火 了",
        }
    )
    segment = parse_result(raw)
    assert segment is not None
    assert segment.text == "着火 了"
    assert [w.word for w in segment.words] == ["着火", "了"]
    assert (segment.start, segment.end) == (0.5, 1.0)
    assert parse_result('{"text" : ""}') is None


def test_resampler_doubles_the_samples_and_keeps_the_signal() -> None:
    import numpy as np

    t = np.arange(8000) / 8000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    resampler = StreamResampler(8000, 16000)
    out = b"".join(
        resampler.process(tone[i : i + 800].tobytes()) for i in range(0, 8000, 800)
    ) + resampler.process(b"", last=True)
    samples = np.frombuffer(out, dtype="<i2")
    assert len(samples) == pytest.approx(16000, abs=2)
    # A real resampler keeps a 440 Hz tone at 440 Hz: the spectrum peak does not move.
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    peak_hz = np.argmax(spectrum) * 16000 / len(samples)
    assert peak_hz == pytest.approx(440, abs=2)


def test_reused_recognizers_count_time_from_their_own_stream(
    ko_engine: VoskEngine, utterance_wav: Path
) -> None:
    """Recognizers are pooled (a cold one is slow); times must still start at this audio."""
    duration = wav_seconds(utterance_wav)
    runs = []
    for _ in range(3):
        rate, chunks = read_wav_chunks(utterance_wav, 0.25)
        runs.append(decode_pcm(ko_engine, chunks, rate).words)
    for words in runs:
        assert words
        assert all(0.0 <= w.start <= w.end <= duration + 0.05 for w in words)
        assert words[0].start == pytest.approx(runs[0][0].start, abs=0.3)


def test_an_abandoned_stream_does_not_hand_its_recognizer_on(ko_engine: VoskEngine) -> None:
    half = ko_engine.open_stream(8000)
    half.feed(b"\1\0" * 4000)  # a hangup mid-utterance: never finished
    fresh = ko_engine.open_stream(8000)
    assert fresh._recognizer is not half._recognizer
    fresh.finish()
    again = ko_engine.open_stream(8000)
    assert again._recognizer is fresh._recognizer
    again.finish()


def test_warm_up_leaves_idle_recognizers(ko_engine: VoskEngine, utterance_wav: Path) -> None:
    pcm = utterance_wav.read_bytes()[44:]
    ko_engine.warm_up(pcm, 8000, streams=2)
    first, second = ko_engine.open_stream(8000), ko_engine.open_stream(8000)
    assert first._recognizer.seconds_fed > 0 and second._recognizer.seconds_fed > 0
    first.finish()
    second.finish()
