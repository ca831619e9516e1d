"""Transcripts are searchable in Chinese through the CRM's API."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from asr.engine import Word
from asr.transcript import Speaker, Transcript, TranscriptLine
from crm.app import create_app
from hotline.settings import Settings
from tests.support.tokens import script_token


def line(speaker: Speaker, words: list[str], start: float) -> TranscriptLine:
    timed = tuple(Word(w, start + i * 0.4, start + i * 0.4 + 0.3, 0.9) for i, w in enumerate(words))
    return TranscriptLine(
        speaker=speaker, text=" ".join(words), start=start, end=timed[-1].end, words=timed
    )


def test_search_finds_a_call_by_the_words_said(db_url: str, tmp_path: Path):
    app = create_app(
        Settings(database_url=db_url, ami_secret="x", crm_ingest_token="t"), connect_ami=False
    )
    with TestClient(app) as client:
        client.headers.update(script_token(app.state.sessions))
        queue = app.state.transcriptions
        said = Transcript(
            lines=(
                line(Speaker.CALLER, ["我家", "楼下", "着火", "了"], 0.5),
                line(Speaker.AGENT, ["请", "不要", "慌"], 3.0),
            ),
            leg_seconds={Speaker.CALLER: 5.0, Speaker.AGENT: 5.0},
            engine="stand-in",
            decode_seconds=0.1,
        )
        for uid, transcript in (("1.1", said), ("1.2", None)):
            job_id = queue.enqueue(f"/rec/{uid}.wav", call_uniqueid=uid, ticket_ref=f"T-{uid}")
            claimed = queue.claim("w")
            assert claimed and claimed.id == job_id
            if transcript:
                assert queue.complete(job_id, "w", transcript)
        found = client.get("/api/transcripts", params={"q": "着火"}).json()
        assert [f["uniqueid"] for f in found] == ["1.1"]
        assert "来电人" in found[0]["text"]
        assert client.get("/api/transcripts", params={"q": "火车"}).json() == []
        assert client.get("/api/transcripts", params={"q": " "}).status_code == 422


def test_the_call_api_is_closed_to_strangers(db_url: str):
    app = create_app(
        Settings(database_url=db_url, ami_secret="x", crm_ingest_token="t"), connect_ami=False
    )
    with TestClient(app) as client:
        for path in ("/api/calls", "/api/callbacks", "/api/agents", "/api/transcripts?q=火"):
            assert client.get(path).status_code == 401, path
            wrong = client.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401, path
        # The FastAGI server's token posts call events, and reads nothing.
        assert client.get("/api/calls", headers={"Authorization": "Bearer t"}).status_code == 403
        assert client.get("/api/calls", headers=script_token(app.state.sessions)).status_code == 200
