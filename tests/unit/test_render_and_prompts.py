"""The Asterisk configuration we render, and the prompts we synthesise."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from hotline.prompts import build_prompts, speakable, synthesize
from hotline.rendering import AsteriskError, render_config
from hotline.say import NUMBER_WORDS
from hotline.settings import CONFIG_DIR, AgentSettings, Settings
from hotlinectl.cli import ensure_config_file
from ivr.menu import Menu, load_menu

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")


PHONES = [
    AgentSettings(extension="8001", name="一", password="pw-1"),
    AgentSettings(extension="8002", name="二", contact="sip:8002@127.0.0.1:5999"),
]


def rendered(**overrides) -> dict[str, str]:
    overrides.setdefault("agents", PHONES)
    settings = Settings(ami_secret="s3cret-value", crm_ingest_token="t", **overrides)
    return render_config(settings, MENU)


def test_every_file_the_hotline_loads_is_rendered():
    files = rendered()
    for name in (
        "modules.conf",
        "pjsip.conf",
        "extensions.conf",
        "queues.conf",
        "manager.conf",
        "logger.conf",
        "cdr.conf",
        "asterisk.conf",
    ):
        assert name in files and files[name].strip()
    assert "autoload = no" in files["modules.conf"]


def test_nothing_listens_on_all_interfaces_by_default():
    files = rendered()
    assert "0.0.0.0:" not in "".join(files.values())
    assert "bind = 127.0.0.1:5060" in files["pjsip.conf"]
    assert "bindaddr = 127.0.0.1" in files["manager.conf"]
    assert files["pjsip.conf"].count("bind_rtp_to_media_address = yes") == 1  # in the template


def test_configured_address_and_ports_are_used():
    files = rendered(bind_address="10.1.2.3", sip_port=5070, ami_port=6038, hotline_number="96345")
    assert "bind = 10.1.2.3:5070" in files["pjsip.conf"]
    assert "port = 6038" in files["manager.conf"]
    assert "exten => 96345,1" in files["extensions.conf"]


def test_ami_has_no_default_password():
    with pytest.raises(AsteriskError, match="hotline setup"):
        render_config(Settings(ami_secret="", agents=PHONES), MENU)
    assert "secret = s3cret-value" in rendered()["manager.conf"]


def test_an_agent_phone_without_password_or_contact_is_refused():
    with pytest.raises(AsteriskError, match="8009"):
        rendered(agents=[AgentSettings(extension="8009", name="无密码")])


def test_setup_generates_secrets_once(tmp_path: Path):
    path = tmp_path / "hotline.yaml"
    ensure_config_file(path)
    first = path.read_text()
    agents = yaml.safe_load(first)["agents"]
    assert agents and all(len(a["password"]) >= 12 for a in agents)
    ensure_config_file(path)
    assert path.read_text() == first
    assert re.search(r"ami_secret: \S{20,}", first) and "crm_ingest_token" in first
    assert path.stat().st_mode & 0o077 == 0


def test_one_queue_per_menu_queue_and_no_static_members():
    queues = rendered()["queues.conf"]
    for name in MENU.queues:
        assert f"[hotline-{name}](hotline-template)" in queues
    assert "member =" not in queues and "persistentmembers = no" in queues


def test_queues_announce_place_and_wait_unless_told_not_to():
    quiet = MENU.model_copy(deep=True)
    quiet.queues["consult"].announce_seconds = 0
    queues = render_config(Settings(ami_secret="s", crm_ingest_token="t", agents=PHONES), quiet)[
        "queues.conf"
    ]
    section = {name: queues.split(f"[hotline-{name}]")[1].split("[")[0] for name in MENU.queues}
    assert "announce-frequency = 45" in section["general"]
    assert "announce-position = yes" in section["general"]
    assert "announce-frequency = 0" in section["consult"]
    assert "announce-position = no" in section["consult"]


@pytest.mark.parametrize(
    "field, seconds, refused",
    [
        ("announce_seconds", 0, False),
        ("announce_seconds", 10, True),
        ("announce_seconds", 15, False),
        ("announce_seconds", 601, True),
        ("max_wait_seconds", 0, False),
        ("max_wait_seconds", 5, True),
        ("max_wait_seconds", 900, False),
    ],
)
def test_queue_timings_that_would_harass_the_caller_are_refused(field, seconds, refused):
    data = yaml.safe_load((CONFIG_DIR / "ivr-menu.yaml").read_text(encoding="utf-8"))
    data["queues"]["general"][field] = seconds
    if refused:
        with pytest.raises(ValueError, match="15|600"):
            Menu.model_validate(data)
    else:
        assert getattr(Menu.model_validate(data).queues["general"], field) == seconds


def test_the_call_back_offer_must_say_its_key():
    data = yaml.safe_load((CONFIG_DIR / "ivr-menu.yaml").read_text(encoding="utf-8"))
    data["queue_callback_key"] = "8"
    with pytest.raises(ValueError, match="queue_callback_offer"):
        Menu.model_validate(data)


def test_the_longest_wait_is_no_limit_when_zero():
    quiet = MENU.model_copy(deep=True)
    quiet.queues["consult"].max_wait_seconds = 0
    plan = render_config(Settings(ami_secret="s", crm_ingest_token="t", agents=PHONES), quiet)[
        "extensions.conf"
    ]
    assert "HOTLINE_MAX_WAIT_consult = \n" in plan and "HOTLINE_MAX_WAIT_general = 600" in plan


def test_numbers_are_said_with_chinese_words():
    assert NUMBER_WORDS["10"] == "十" and NUMBER_WORDS["20"] == "二十"
    assert NUMBER_WORDS["wan"] == "万" and NUMBER_WORDS["0"] == "零"


def test_queued_callers_hear_music_not_a_looped_prompt(tmp_path: Path):
    moh = rendered()["musiconhold.conf"]
    assert "directory = /usr/share/asterisk/moh" in moh.split("[default]")[1].split("[")[0]
    site = tmp_path / "music"
    site.mkdir()
    moh = rendered(moh_dir=site)["musiconhold.conf"]
    assert "/prompts/moh" in moh.split("[default]")[1].split("[")[0]


def test_agents_become_endpoints_with_auth_or_fixed_contact():
    files = rendered(
        agents=[
            AgentSettings(extension="8101", name="甲", password="pw-8101"),
            AgentSettings(extension="8102", name="乙", contact="sip:8102@127.0.0.1:5999"),
        ]
    )
    pjsip = files["pjsip.conf"]
    assert "[8101-auth]" in pjsip and "password = pw-8101" in pjsip
    assert "contact = sip:8102@127.0.0.1:5999" in pjsip and "[8102-auth]" not in pjsip


def test_fallback_menu_keeps_every_option_of_the_menu_file():
    """Without the FastAGI server each key still goes where the menu sends it: 110 for the
    emergency keys, its own queue (and call type, told to the CRM) for the others."""
    dialplan = rendered()["extensions.conf"]
    fallback = dialplan[
        dialplan.index("exten => fallback,1") : dialplan.index("[hotline-callback]")
    ]
    for key, option in MENU.options.items():
        jump = re.search(
            rf'GotoIf\(\$\["\${{HOTLINE_KEY}}" = "{re.escape(key)}"\]\?(option-\d+)\)', fallback
        )
        assert jump, key
        steps = fallback[fallback.index(f"n({jump.group(1)}),") :].split("Goto(", 2)[0]
        if option.route == "emergency":
            assert "HOTLINE_ROUTE=emergency" in steps and "emergency,1" in fallback
        else:
            assert f"Set(HOTLINE_QUEUE={option.queue})" in steps, key
            assert f"Queue: {option.queue},QueuePriority:" in steps and f"Key: {key})" in steps
            assert f"CallType: {option.call_type or ''}," in steps


def test_speakable_pinyin_reads_numbers_the_chinese_way():
    assert speakable("请拨12345") == "qing3 bo1 yao1 er4 san1 si4 wu3"
    assert speakable("请按1。") == "qing3 an4 yi1."
    assert "110" not in speakable("转接110") and "yao1 yao1 ling2" in speakable("转接110")


def test_prompts_are_8khz_mono_wav_and_reused(tmp_path: Path):
    made = build_prompts({"welcome": "您好", "menu": "请按1"}, tmp_path)
    assert sorted(made) == ["menu", "welcome"]
    info = subprocess.run(
        ["soxi", str(tmp_path / "welcome.wav")], capture_output=True, text=True, check=True
    ).stdout
    assert "8000" in info and "Channels       : 1" in info and "16-bit" in info
    assert build_prompts({"welcome": "您好", "menu": "请按1"}, tmp_path) == []
    assert build_prompts({"welcome": "您好！", "menu": "请按1"}, tmp_path) == ["welcome"]


def test_a_recorded_prompt_replaces_the_generated_one(tmp_path: Path):
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "welcome.wav").write_bytes(b"RIFF-recorded")
    build_prompts({"welcome": "您好"}, tmp_path / "out", custom)
    assert (tmp_path / "out" / "welcome.wav").read_bytes() == b"RIFF-recorded"


def test_a_prompt_text_starting_with_a_dash_is_spoken_not_taken_as_an_option(tmp_path):
    # If espeak-ng took "-f<file>" as its option, it would read the whole file aloud.
    long_file = tmp_path / "long.txt"
    long_file.write_text("hello world " * 200)
    target = tmp_path / "prompt.wav"
    synthesize(f"-f{long_file}", target)
    seconds = float(
        subprocess.run(
            ["soxi", "-D", str(target)], capture_output=True, text=True, check=True
        ).stdout
    )
    assert 0 < seconds < 15
