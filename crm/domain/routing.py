"""Where a complaint goes (docs/hotline-rules.md, Complaint 投诉).

About a district unit: to that unit, or — when the caller asks for it or the district unit is
itself the problem — to its city-level supervising unit. About a city unit: to that unit.
Serious complaints are also referred to the efficiency-supervision department (效能监察).
Pure: the service looks the units up and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str
    level: str  # "city" | "district"
    supervisor_id: int | None = None


def complaint_destinations(
    about: UnitRef,
    *,
    supervisor: UnitRef | None = None,
    escalate: bool = False,
    serious: bool = False,
    efficiency_unit: UnitRef | None = None,
) -> list[UnitRef]:
    """The units a complaint about ``about`` is dispatched to, first the one that must reply."""
    if about.level == "district" and escalate and supervisor is not None:
        first = supervisor
    else:
        first = about
    result = [first]
    if serious and efficiency_unit is not None and efficiency_unit.id != first.id:
        result.append(efficiency_unit)
    return result
