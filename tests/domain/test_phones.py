from __future__ import annotations

import pytest

from crm.domain.phones import mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("013812345678", "13812345678"),
        ("0471-6250000", "04716250000"),
        ("6250000", "6250000"),
        ("", None),
        (None, None),
        ("匿名", None),
    ],
)
def test_normalize_phone(raw: str | None, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_mask_keeps_only_prefix_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("6250000") == "***0000"
    assert mask_phone(None) == ""
