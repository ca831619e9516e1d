"""Callers are told the call is recorded before anything else (PIPL): in the welcome, which
both the FastAGI IVR and the dialplan's own fallback menu play first."""

from __future__ import annotations

from hotline.settings import CONFIG_DIR, DIALPLAN_TEMPLATES
from ivr.menu import load_menu


def test_the_shipped_welcome_says_the_call_is_recorded() -> None:
    assert "录音" in load_menu(CONFIG_DIR / "ivr-menu.yaml").prompts["welcome"]


def test_the_fallback_menu_plays_the_welcome_first() -> None:
    extensions = (DIALPLAN_TEMPLATES / "extensions.conf").read_text(encoding="utf-8")
    fallback = extensions[extensions.index("exten => fallback,1") :]
    read = next(line for line in fallback.splitlines() if "Read(" in line)
    assert "${HOTLINE_PROMPTS}/welcome&" in read
