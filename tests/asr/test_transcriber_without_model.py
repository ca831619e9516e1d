"""The real transcriber process without a speech model: it says so where people look (an alert
for the supervisors, ``no_model`` in the API with the command to run, a failing /healthz) instead
of leaving jobs 'queued' for ever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crm import db
from crm.app import create_app
from crm.models import Alert
from crm.transcription import MODEL_MISSING, job_queue, model_missing
from hotline.settings import load_settings
from tests.support.sipp import free_port
from tests.support.tokens import script_token_at

TOKEN = "transcriber-test-token-1"


def test_no_model_is_an_alert_an_api_status_and_a_failing_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port(socket.SOCK_STREAM)
    config = tmp_path / "hotline.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "var_dir": str(tmp_path / "var"),
                "crm_ingest_token": TOKEN,
                "transcriber_metrics_port": port,
                "asr": {"model_dir": str(tmp_path / "no-such-model")},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    settings = load_settings()
    db.upgrade(settings.db_url)
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    job_queue(sessions, settings).enqueue("/srv/x.wav", call_uniqueid="u-1", ticket_ref=None)

    transcriber = subprocess.Popen(
        [sys.executable, "-m", "crm.transcription"],
        env={**os.environ, "HOTLINE_CONFIG": str(config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with sessions() as session:
                message = model_missing(session)
            if message or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert message and "hotline models download" in message
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["speech_model"] is False
    finally:
        transcriber.terminate()
        transcriber.wait(15)

    with TestClient(create_app(settings, connect_ami=False)) as client:
        answer = client.get("/api/calls/u-1/transcript", headers=script_token_at(settings.db_url))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "no_model" and "hotline models download" in body["error"]
    # Raised once, however often the transcriber retries.
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Alert).where(Alert.kind == MODEL_MISSING)
            )
            == 1
        )
