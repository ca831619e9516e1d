"""The special-lines directory (专线): topics the hotline refers to another number.

The directory is data (``config/special-lines.yaml``, editable by admins, copied into the database
by the seed service). This module only parses and matches; the agent decides whether to refer,
because a burst pipe may be a help request for a unit as much as a topic for the water line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "special-lines.yaml"


@dataclass(frozen=True)
class SpecialLine:
    number: str
    name: str
    scope: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)


def load_special_lines(path: Path = DEFAULT_FILE) -> list[SpecialLine]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        SpecialLine(
            number=str(item["number"]),
            name=str(item["name"]),
            scope=str(item.get("scope", "")),
            keywords=tuple(str(k) for k in item.get("keywords", [])),
        )
        for item in data.get("lines", [])
    ]


def suggest_special_lines(text: str, lines: Iterable[SpecialLine]) -> list[SpecialLine]:
    """Lines whose keywords occur in ``text``, best (most keyword hits) first."""
    scored = [(sum(k in text for k in line.keywords), line) for line in lines]
    return [line for score, line in sorted(scored, key=lambda s: -s[0]) if score > 0]
