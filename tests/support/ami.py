"""Replay AMI streams recorded from our real Asterisk (tests/fixtures/ami/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ami"


def messages(name: str) -> Iterator[dict[str, str]]:
    """Each AMI message of a recorded stream as a header dict, in order."""
    text = (FIXTURES / name).read_bytes().decode("utf-8", "replace")
    for block in text.split("\r\n\r\n"):
        headers: dict[str, str] = {}
        for line in block.split("\r\n"):
            name_, sep, value = line.partition(": ")
            if sep:
                headers.setdefault(name_, value)
        if "Event" in headers:
            yield headers
