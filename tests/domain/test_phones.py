"""One caller, one number: every form a trunk delivers or an agent types gives the same key."""

from __future__ import annotations

import pytest

from callmodel.callback_numbers import national
from callmodel.phones import caller_facts, mask_phone, normalize_phone, phone_info


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("013812345678", "13812345678"),
        ("8613812345678", "13812345678"),  # country code without + (some trunks)
        ("13812345678", "13812345678"),
        ("0471-6250000", "04716250000"),
        ("+864716250000", "04716250000"),
        ("00864716250000", "04716250000"),
        ("(0471) 625 0000", "04716250000"),
        ("4716250000", "04716250000"),  # a fixed line whose trunk prefix was dropped
        ("010-12345678", "01012345678"),
        ("+14155550100", "+14155550100"),  # another country stays in E.164
        ("00882123456789", "+882123456789"),
        # Numbers the plan does not know keep their digits: a local number, service codes.
        ("6250000", "6250000"),
        ("110", "110"),
        ("12345", "12345"),
        ("+86 6250000", "6250000"),
        ("", None),
        (None, None),
        ("匿名", None),
        ("anonymous", None),
        ("12", None),
        ("+", None),
    ],
)
def test_normalize_phone(raw: str | None, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("+864716250000", "0471-6250000"),
        ("8613812345678", "13812345678"),
        ("+86 138 1234 5678", "013812345678"),
    ],
)
def test_one_caller_is_one_number_whatever_the_form(one: str, other: str) -> None:
    assert normalize_phone(one) == normalize_phone(other) == national(one) == national(other)


@pytest.mark.parametrize(
    ("raw", "line", "area", "display", "e164"),
    [
        ("13812345678", "mobile", "江苏省连云港市", "138 1234 5678", "+8613812345678"),
        ("0471-6250000", "fixed", "内蒙古呼和浩特市", "0471 625 0000", "+864716250000"),
        ("+864716250001", "fixed", "内蒙古呼和浩特市", "0471 625 0001", "+864716250001"),
        ("010-12345678", "fixed", "北京市", "010 1234 5678", "+861012345678"),
        ("+14155550100", None, "美国", "+1 415-555-0100", "+14155550100"),
        ("6250000", "fixed", "", "6250000", None),  # local, the hotline's own area
        ("110", None, "", "110", None),
        ("12345", None, "", "12345", None),
    ],
)
def test_phone_info(raw: str, line: str | None, area: str, display: str, e164: str | None) -> None:
    info = phone_info(raw)
    assert info is not None
    assert (info.line, info.area, info.display, info.e164) == (line, area, display, e164)


@pytest.mark.parametrize("raw", [None, "", "anonymous", "138****5678", "!!", "+"])
def test_junk_and_masked_numbers_have_no_facts(raw: str | None) -> None:
    assert phone_info(raw) is None
    assert caller_facts(raw)["caller_area"] == "" and caller_facts(raw)["caller_line"] is None


def test_mask_keeps_only_prefix_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("6250000") == "***0000"
    assert mask_phone(None) == ""
