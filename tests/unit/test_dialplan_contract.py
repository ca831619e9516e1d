"""The shipped dialplan and the Python code use the same names (callmodel/dialplan.py): a name
changed on one side only fails here, not on a citizen's call."""

from __future__ import annotations

import pytest

from callmodel import dialplan
from hotline.rendering import render_config
from hotline.settings import CONFIG_DIR, AgentSettings, Settings
from ivr.menu import load_menu


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    settings = Settings(
        ami_secret="contract-test",
        agents=[AgentSettings(extension="8001", name="话务员一", password="contract-pw")],
    )
    return render_config(settings, load_menu(CONFIG_DIR / "ivr-menu.yaml"))


@pytest.mark.parametrize(
    "name",
    [
        "ROUTE", "QUEUE", "PRIORITY", "QUEUED_AT", "EMERGENCY_FAILED", "IVR_FALLBACK", "PROMPTS",
        "CALLBACK_TICKET", "CALLBACK_ATTEMPT", "INBOUND_CONTEXT", "ROUTE_CONTEXT",
        "HANGUP_CONTEXT", "CALLBACK_CONTEXT",
    ],
)  # fmt: skip
def test_every_name_the_python_code_reads_is_the_dialplans(rendered, name) -> None:
    assert getattr(dialplan, name) in rendered["extensions.conf"]


def test_the_call_back_result_and_the_queues_and_110_carry_the_contracts_names(rendered) -> None:
    assert f"UserEvent({dialplan.CALLBACK_USEREVENT}," in rendered["extensions.conf"]
    assert f"[{dialplan.queue_name('general')}]" in rendered["queues.conf"]
    assert f"[{dialplan.EMERGENCY_ENDPOINT}]" in rendered["pjsip.conf"]
