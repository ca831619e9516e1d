"""The process-AGI entry point (pyst2) runs the same IVR over stdin/stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from agi.outbox import Outbox
from callmodel import dialplan as v
from tests.support.agi import environment


def test_process_agi_runs_the_ivr_and_keeps_the_events(tmp_path: Path):
    config = tmp_path / "hotline.yaml"
    config.write_text(
        yaml.safe_dump({"var_dir": str(tmp_path), "crm_port": 9, "crm_timeout_seconds": 0.5})
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "agi.process_agi", "ivr"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        env={"HOTLINE_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
    )
    assert process.stdin and process.stdout
    for name, value in environment("ivr", uniqueid="7.7").items():
        process.stdin.write(f"{name}: {value}\n")
    process.stdin.write("\n")
    commands = []
    replies = iter(["200 result=0 endpos=100", "200 result=53 endpos=100"])  # 5 during the menu
    while True:
        line = process.stdout.readline().strip()
        if not line:
            break
        commands.append(line)
        process.stdin.write((next(replies, "200 result=1")) + "\n")
    assert process.wait(20) == 0
    assert commands[0].startswith("STREAM FILE") and commands[1].startswith("STREAM FILE")
    assert f'SET VARIABLE {v.QUEUE} "suggestion"' in commands
    events = [json.loads(p.body) for p in Outbox(tmp_path / "agi-outbox.db").pending()]
    assert [e["kind"] for e in events] == ["call_started", "call_routed"]
    assert events[1]["call_type"] == "suggestion"
