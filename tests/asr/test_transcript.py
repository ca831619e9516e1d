"""Both legs of a recording decoded by the real model and merged into one labelled transcript."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asr.audio import wav_seconds
from asr.pool import DecoderPool
from asr.transcript import Speaker, Transcript, recording_legs, transcribe_recording
from asr.vosk_engine import VoskEngine


def test_leg_paths_follow_mixmonitor_naming() -> None:
    legs = recording_legs(Path("/rec/1732800000.42.wav"))
    assert legs == {
        Speaker.CALLER: Path("/rec/1732800000.42-in.wav"),
        Speaker.AGENT: Path("/rec/1732800000.42-out.wav"),
    }
    assert recording_legs(Path("/rec/1732800000.42-in.wav")) == legs


def test_both_legs_labelled_and_time_ordered(ko_engine: VoskEngine, call_recording: Path) -> None:
    with DecoderPool(ko_engine, workers=2) as pool:
        transcript = pool.transcribe(call_recording)
    duration = wav_seconds(call_recording)
    speakers = {line.speaker for line in transcript.lines}
    assert speakers == {Speaker.CALLER, Speaker.AGENT}
    assert {line.label for line in transcript.lines} == {"来电人", "话务员"}
    starts = [line.start for line in transcript.lines]
    assert starts == sorted(starts)
    # The caller speaks in the first ~2.5 s, the agent after 3 s: the leg offsets survive.
    caller = [line for line in transcript.lines if line.speaker is Speaker.CALLER]
    agent = [line for line in transcript.lines if line.speaker is Speaker.AGENT]
    assert caller[0].start < agent[0].start
    assert agent[0].start >= 2.5
    for line in transcript.lines:
        previous = 0.0
        for word in line.words:
            assert previous <= word.start <= word.end <= duration + 0.05
            previous = word.start
    for speaker, leg in recording_legs(call_recording).items():
        assert transcript.leg_seconds[speaker] == pytest.approx(wav_seconds(leg), abs=0.01)
    text = transcript.as_text()
    assert "来电人：" in text and "话务员：" in text
    assert " " not in transcript.search_text().split("：", 1)[1].split("\n")[0]


def test_transcript_round_trips_through_json(ko_engine: VoskEngine, call_recording: Path) -> None:
    transcript = transcribe_recording(ko_engine, call_recording)
    again = Transcript.from_dict(json.loads(json.dumps(transcript.to_dict(), ensure_ascii=False)))
    assert again.lines == transcript.lines
    assert again.leg_seconds == transcript.leg_seconds


def test_a_missing_leg_is_an_error_not_silence(
    ko_engine: VoskEngine, call_recording: Path, tmp_path: Path
) -> None:
    lonely = tmp_path / call_recording.name
    shutil.copy(call_recording, lonely)
    shutil.copy(
        recording_legs(call_recording)[Speaker.CALLER], recording_legs(lonely)[Speaker.CALLER]
    )
    with pytest.raises(FileNotFoundError, match="-out.wav"):
        transcribe_recording(ko_engine, lonely)
