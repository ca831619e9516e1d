"""Urgent keyword spotting on decoded text: does this utterance belong to 110?

The list is data (config/urgent-keywords.yaml): categories of the spec's emergencies with their
synonyms, and neutral contexts (phrases like 交通事故责任认定 that contain an urgent word but
are paperwork). Matching runs on the decoded text with whitespace removed, longest keyword
first, so one spoken phrase yields one hit.

This module must never build a Vosk grammar: a grammar forces every sound onto the listed
words and flags neutral speech as urgent (and an empty one crashes vosk 0.3.45).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Decoded text as it is matched: Vosk's word spaces and any line breaks removed."""
    return _SPACE.sub("", text)


@dataclass(frozen=True, slots=True)
class UrgentHit:
    """One keyword found: its category (水灾, 火灾 …) and its place in the normalised text."""

    word: str
    category: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class UrgentMatch:
    """The verdict on one text; ``words`` is what the ticket records as the trigger."""

    text: str
    hits: tuple[UrgentHit, ...]

    @property
    def urgent(self) -> bool:
        return bool(self.hits)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(hit.word for hit in self.hits))

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(hit.category for hit in self.hits))


class UrgentSpotter:
    """Finds urgent keywords in text; immutable after construction, so threads may share it."""

    def __init__(self, categories: dict[str, list[str]], neutral_contexts: list[str]) -> None:
        self._category_of: dict[str, str] = {}
        for category, words in categories.items():
            for word in words:
                word = normalise(word)
                if len(word) < 2:
                    raise ValueError(f"urgent keyword {word!r} is too short to match safely")
                self._category_of[word] = category
        ordered = sorted(self._category_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._neutral = [normalise(c) for c in neutral_contexts if normalise(c)]

    @classmethod
    def from_config(cls, data: dict[str, Any]) -> UrgentSpotter:
        categories = {str(c["name"]): [str(w) for w in c["words"]] for c in data["categories"]}
        return cls(categories, [str(c) for c in data.get("neutral_contexts", [])])

    @classmethod
    def from_file(cls, path: Path) -> UrgentSpotter:
        with path.open(encoding="utf-8") as fh:
            return cls.from_config(yaml.safe_load(fh))

    @property
    def keywords(self) -> dict[str, str]:
        """Every keyword and its category (the tests route each one)."""
        return dict(self._category_of)

    def spot(self, text: str) -> UrgentMatch:
        flat = normalise(text)
        if self._pattern is None:
            return UrgentMatch(text=flat, hits=())
        neutral_spans = [
            (m.start(), m.end())
            for context in self._neutral
            for m in re.finditer(re.escape(context), flat)
        ]
        hits = tuple(
            UrgentHit(
                word=m.group(), category=self._category_of[m.group()], start=m.start(), end=m.end()
            )
            for m in self._pattern.finditer(flat)
            if not any(s <= m.start() and m.end() <= e for s, e in neutral_spans)
        )
        return UrgentMatch(text=flat, hits=hits)
