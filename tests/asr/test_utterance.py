"""decode_utterance and LiveUtterance on the real model: the AGI side's entry points."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from asr.audio import read_wav_chunks
from asr.keywords import UrgentSpotter
from asr.settings import URGENT_KEYWORDS_FILE, AsrSettings
from asr.utterance import LiveUtterance, UtteranceDecoder, decode_utterance
from asr.vosk_engine import VoskEngine

from .conftest import ko_model_dir
from .fakes import ScriptedEngine

SPOTTER = UrgentSpotter.from_file(URGENT_KEYWORDS_FILE)


def test_decode_utterance_on_the_real_model(ko_engine: VoskEngine, utterance_wav: Path) -> None:
    text, words, seconds = decode_utterance(utterance_wav, ko_engine, SPOTTER)
    assert text  # Korean words; which ones does not matter
    assert words == ()  # no Chinese keyword can come out of a Korean model
    assert seconds > 0


def test_decode_utterance_is_thread_safe(ko_engine: VoskEngine, utterance_wav: Path) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(
            pool.map(lambda _: decode_utterance(utterance_wav, ko_engine, SPOTTER), range(3))
        )
    # Vosk's output may differ slightly between runs; the plumbing must hold for every thread.
    assert all(r.text and r.urgent_words == () and r.decode_seconds > 0 for r in results)


def test_decoder_from_settings_shares_the_loaded_model(
    ko_engine: VoskEngine, utterance_wav: Path
) -> None:
    decoder = UtteranceDecoder.from_settings(AsrSettings(model_dir=ko_model_dir()))
    assert decoder.engine is ko_engine
    decoder.warm_up(utterance_wav, streams=2)
    UtteranceDecoder(ScriptedEngine(""), SPOTTER).warm_up(utterance_wav, streams=2)


def test_live_decoding_streams_chunks_and_decides(
    ko_engine: VoskEngine, utterance_wav: Path
) -> None:
    live = LiveUtterance(ko_engine, SPOTTER)
    rate, chunks = read_wav_chunks(utterance_wav, 0.25)
    assert rate == 8000
    for chunk in chunks:
        assert live.feed(chunk) == ()
    result = live.finish()
    assert result.text
    assert result.decode_seconds > 0
    assert result.urgent_words == ()


def test_live_reports_urgent_words_before_the_end() -> None:
    live = UtteranceDecoder(ScriptedEngine("救命 啊 着火 了"), SPOTTER).live()
    assert live.feed(b"\0\0" * 800) == ("救命", "着火")
    assert live.finish().urgent_words == ("救命", "着火")


def test_an_empty_recording_decodes_to_nothing(ko_engine: VoskEngine, tmp_path: Path) -> None:
    """A caller who says nothing: Record File may leave a WAV with no frames at all."""
    import wave

    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
    assert decode_utterance(empty, ko_engine, SPOTTER)[:2] == ("", ())
