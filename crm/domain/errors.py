"""The one exception the rules raise; the API turns it into a JSON 409/422 with the message."""

from __future__ import annotations


class RuleViolation(Exception):
    """An action the hotline's rules forbid. ``message`` is Chinese, for the staff member."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
