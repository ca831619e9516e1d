"""The shared field types (callmodel/fields.py): what each accepts and refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from callmodel import fields as f


def ok(kind: Any, value: object) -> object:
    return TypeAdapter(kind).validate_python(value)


def refused(kind: Any, value: object) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return True
    return False


def test_ids_fit_a_64_bit_column() -> None:
    assert ok(f.Id, 1) == 1 and ok(f.Id, 2**63 - 1) == 2**63 - 1
    assert all(refused(f.Id, v) for v in (0, -1, 2**63, 10**30))


def test_counts_fit_a_32_bit_column() -> None:
    assert ok(f.Count, 0) == 0 and ok(f.Int32, -(2**31)) == -(2**31)
    assert refused(f.Count, -1) and refused(f.Count, 2**31) and refused(f.Int32, 2**31)


@pytest.mark.parametrize("kind", [f.Name, f.Title, f.Label, f.Place, f.SearchText, f.Text])
def test_texts_are_stripped_and_never_blank(kind: Any) -> None:
    assert ok(kind, "  公积金  ") == "公积金"
    assert refused(kind, "") and refused(kind, "   ") and refused(kind, "\u3000")


@pytest.mark.parametrize("kind", [f.Name, f.Title, f.Label, f.SearchText, f.Key])
def test_one_line_texts_refuse_control_characters(kind: Any) -> None:
    assert all(refused(kind, f"a{c}b") for c in ("\x00", "\n", "\x1b", "\x7f"))


def test_a_text_keeps_its_lines_but_no_nul() -> None:
    assert ok(f.Text, "第一行\n第二行\t完") == "第一行\n第二行\t完"
    assert refused(f.Text, "问题\x00")


def test_texts_are_bounded_by_their_column() -> None:
    for kind, most in ((f.Name, 64), (f.Title, 128), (f.Place, 256), (f.Text, 4000)):
        assert ok(kind, "字" * most) == "字" * most
        assert refused(kind, "字" * (most + 1))
    assert refused(f.Text, "问" * 200_000)


@pytest.mark.parametrize(
    "number", ["13812345678", "+86 138 1234 5678", "0471-6250000", "110", "+8613812345678"]
)
def test_telephone_numbers_as_people_write_them(number: str) -> None:
    assert ok(f.PhoneNumber, f" {number} ") == number


@pytest.mark.parametrize("number", ["abc", "12", "1" * 21, "1" * 10_000, "138abc", "--123", "+"])
def test_anything_else_is_no_telephone_number(number: str) -> None:
    assert refused(f.PhoneNumber, number)


def test_an_optional_field_left_blank_is_not_given() -> None:
    assert ok(f.OptionalPhone, "") is None and ok(f.OptionalPhone, "  ") is None
    assert ok(f.OptionalName, None) is None and ok(f.OptionalText, "") is None
    assert refused(f.OptionalPhone, "abc")


def test_a_service_number_is_digits_only() -> None:
    assert ok(f.ServiceNumber, "12345") == "12345"
    assert all(refused(f.ServiceNumber, v) for v in ("12a45", "１２３４５", "12", "1" * 17))


def test_report_days_and_event_moments_are_in_this_century() -> None:
    assert ok(f.Day, "2026-12-01") == date(2026, 12, 1)
    assert refused(f.Day, "9999-12-31") and refused(f.Day, "0001-01-01")
    moment = datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert ok(f.Moment, moment) == moment
    assert refused(f.Moment, "0001-01-01T00:00:00Z") and refused(f.Moment, "9999-12-31T00:00:00Z")


def test_a_recording_path_is_absolute_and_one_line() -> None:
    assert ok(f.AsteriskPath, "/var/spool/asterisk/monitor/a.wav") == (
        "/var/spool/asterisk/monitor/a.wav"
    )
    assert all(refused(f.AsteriskPath, v) for v in ("a.wav", "/a\x00.wav", "/" + "a" * 600))


def test_keys_have_no_spaces() -> None:
    assert ok(f.Key, "1764300000.12") == "1764300000.12"
    assert refused(f.Key, "a b") and refused(f.Key, "k" * 65)
