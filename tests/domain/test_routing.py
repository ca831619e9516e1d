"""Complaint routing: district unit, its city supervisor, efficiency supervision."""

from __future__ import annotations

import pytest

from crm.domain.routing import UnitRef, complaint_destinations

CITY = UnitRef(1, "市住房和城乡建设局", "city")
DISTRICT = UnitRef(2, "新城区住房和城乡建设局", "district", supervisor_id=1)
EFFICIENCY = UnitRef(9, "市纪委监委效能监察室", "city")


@pytest.mark.parametrize(
    ("rule", "about", "escalate", "serious", "expected"),
    [
        ("district unit: to that district unit", DISTRICT, False, False, [2]),
        ("district unit: or its city-level supervisor", DISTRICT, True, False, [1]),
        ("city unit: to that unit", CITY, True, False, [1]),
        ("serious: also efficiency supervision", DISTRICT, False, True, [2, 9]),
    ],
)
def test_complaint_destinations(
    rule: str, about: UnitRef, escalate: bool, serious: bool, expected: list[int]
) -> None:
    got = complaint_destinations(
        about, supervisor=CITY, escalate=escalate, serious=serious, efficiency_unit=EFFICIENCY
    )
    assert [u.id for u in got] == expected, rule
