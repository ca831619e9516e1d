"""Rule-based, explainable suggestions from a transcript: call type and special line.

The rules are data (config/call-classifier.yaml); each suggestion carries the words that
triggered it so the agent sees why, and decides. Emergencies come from the same urgent list the
IVR uses (asr/keywords.py), so the two can never disagree about what is urgent.

This module suggests only: it never sets a ticket's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from asr.keywords import UrgentMatch, UrgentSpotter, normalise
from asr.transcript import Speaker, Transcript
from callmodel.calltypes import CallType


@dataclass(frozen=True, slots=True)
class TypeScore:
    """A call type and the words that voted for it."""

    call_type: CallType
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineSuggestion:
    """A special line (专线) to give the caller, and the words that pointed to it."""

    number: str
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the classifier proposes; ``call_type`` is None when no rule matched at all."""

    call_type: CallType | None
    reason: tuple[str, ...]
    special_line: LineSuggestion | None
    type_scores: tuple[TypeScore, ...]
    lines: tuple[LineSuggestion, ...]
    urgent: UrgentMatch

    def explanation(self) -> str:
        """One line in Chinese for the agent's screen."""
        if self.call_type is None:
            parts = ["无匹配规则，请话务员判断"]
        else:
            words = "、".join(self.reason) or "—"
            parts = [f"建议类型：{self.call_type.label}（触发词：{words}）"]
        if self.special_line is not None:
            line = self.special_line
            parts.append(f"专线：{line.number} {line.name}（触发词：{'、'.join(line.words)}）")
        return "；".join(parts)


def _found(words: list[str], text: str) -> tuple[str, ...]:
    return tuple(w for w in words if w in text)


class CallClassifier:
    """Applies the configured rules; immutable after construction, safe to share."""

    def __init__(
        self,
        call_types: dict[CallType, list[str]],
        lines: list[tuple[str, str, list[str]]],
        line_records_as: CallType,
        urgent: UrgentSpotter,
    ) -> None:
        self._types = {t: [normalise(w) for w in words] for t, words in call_types.items()}
        self._lines = [(num, name, [normalise(w) for w in words]) for num, name, words in lines]
        self._line_records_as = line_records_as
        self._urgent = urgent

    @classmethod
    def from_config(cls, data: dict[str, Any], urgent: UrgentSpotter) -> CallClassifier:
        types = {
            CallType(name): [str(w) for w in words] for name, words in data["call_types"].items()
        }
        special = data.get("special_lines", {})
        lines = [
            (str(line["number"]), str(line["name"]), [str(w) for w in line["words"]])
            for line in special.get("lines", [])
        ]
        records_as = CallType(special.get("records_as", CallType.CONSULTATION.value))
        return cls(types, lines, records_as, urgent)

    @classmethod
    def from_files(cls, classifier_file: Path, urgent_file: Path) -> CallClassifier:
        with classifier_file.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        return cls.from_config(data, UrgentSpotter.from_file(urgent_file))

    @property
    def line_words(self) -> dict[str, list[str]]:
        return {num: words for num, _, words in self._lines}

    def classify_transcript(self, transcript: Transcript) -> Suggestion:
        """Suggest from what the caller said only: the other leg carries IVR prompts and the
        agent's questions ("是火灾吗？"), which must not vote."""
        return self.classify(
            " ".join(line.text for line in transcript.lines if line.speaker is Speaker.CALLER)
        )

    def classify(self, transcript_text: str) -> Suggestion:
        """Suggest a type and a special line for the caller's words (or a whole transcript)."""
        text = normalise(transcript_text)
        urgent = self._urgent.spot(text)
        scores = [TypeScore(t, _found(words, text)) for t, words in self._types.items()]
        scores = [s for s in scores if s.words]
        lines = [
            LineSuggestion(num, name, found)
            for num, name, words in self._lines
            if (found := _found(words, text))
        ]
        lines.sort(key=lambda line: -len(line.words))  # stable: config order breaks ties
        special = lines[0] if lines else None
        order = list(self._types)
        best = max(scores, key=lambda s: (len(s.words), -order.index(s.call_type)), default=None)
        call_type: CallType | None
        if urgent.urgent:
            call_type, reason = CallType.EMERGENCY, urgent.words
        elif best is not None and not (special and best.call_type is CallType.COMPLAINT):
            call_type, reason = best.call_type, best.words
        elif special is not None:
            call_type, reason = self._line_records_as, special.words
        else:
            call_type, reason = None, ()
        return Suggestion(
            call_type=call_type,
            reason=reason,
            special_line=special,
            type_scores=tuple(scores),
            lines=tuple(lines),
            urgent=urgent,
        )
