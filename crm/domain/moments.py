"""Moments as every JSON payload carries them: ISO 8601 in UTC (the browser shows local time)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """``moment`` in UTC ISO 8601, or None when there is none."""
    return moment.astimezone(UTC).isoformat() if moment else None
