"""The call-back number policy with the shipped defaults."""

from __future__ import annotations

import pytest

from callmodel.callback_numbers import CallbackNumberRefused, CallbackPolicy, dialable
from crm.domain.callback_channel import channel_id, originated
from hotline.settings import CallbackSettings

DEFAULTS = CallbackPolicy.of(CallbackSettings().allowed, CallbackSettings().refused)


@pytest.mark.parametrize(
    ("number", "dialled"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("008619912345678", "19912345678"),
        ("01012345678", "01012345678"),  # Beijing fixed line with its area code
        ("075512345678", "075512345678"),
        ("87654321", "87654321"),  # a local number of the hotline's own area
    ],
)
def test_mainland_numbers_are_called_back(number: str, dialled: str):
    assert dialable(number, DEFAULTS) == dialled


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("00882123456789", "国际号码"),  # international premium-rate (wangiri)
        ("+447700900123", "国际号码"),
        ("12345", "服务号码"),
        ("110", "服务号码"),
        ("10086", "服务号码"),
        ("4001234567", "服务号码"),
        ("95588", "服务号码"),
        ("12590123456", "服务号码"),
        ("1380013800", "不在允许"),  # a digit short
        ("", "为空"),
        ("139*2#", "非数字"),
    ],
)
def test_international_premium_and_service_numbers_are_refused(number: str, why: str):
    with pytest.raises(CallbackNumberRefused, match=why):
        dialable(number, DEFAULTS)


def test_only_the_channel_the_crm_originated_reports_an_attempts_result():
    ours = channel_id("secret", 7)
    assert originated("secret", 7, ours)
    assert not originated("secret", 8, ours)  # another attempt's channel
    assert not originated("other-secret", 7, ours)
    assert not originated("secret", 7, "1796132835.1")  # any channel Asterisk named itself
    assert not originated("secret", 7, None)
