"""Telephony files checked before Asterisk sees them: each problem at the line it was written.

The real Asterisk's side of this (its applications and PJSIP options, and that it runs what
passes) is in tests/integration/test_dialplan_check.py and the admin console's browser test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline import asterisk, confcheck, rendering
from hotline.confcheck import AsteriskFacts, parse
from hotline.rendering import ConfigRefused, shipped_template, validate_config
from hotline.settings import CONFIG_DIR, AgentSettings, Settings
from ivr.menu import load_menu

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")
PHONES = [
    AgentSettings(extension="8001", name="一", password="pw-1"),
    AgentSettings(extension="8002", name="二", contact="sip:8002@127.0.0.1:5999"),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        ami_secret="s3cret-value",
        crm_ingest_token="t",
        agents=PHONES,
        var_dir=tmp_path,
        dialplan_dir=tmp_path / "dialplans",
        asterisk_root=tmp_path / "root",
    )


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems_with(settings: Settings, name: str, text: str, facts: AsteriskFacts | None = None):
    return validate_config(settings, MENU, {name: text}, facts)[1]


def edited(name: str, old: str, new: str) -> str:
    text = shipped_template(name)
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_shipped_configuration_has_no_problem(settings: Settings):
    files, problems = validate_config(settings, MENU)
    assert problems == []
    assert files == rendering.render_config(settings, MENU)
    assert "\x1f" not in "".join(files.values())


def test_a_site_template_is_read_before_the_shipped_one(settings: Settings):
    site = rendering.site_templates_dir(settings)
    site.mkdir(parents=True)
    (site / "queues.conf").write_text(
        edited("queues.conf", "strategy = leastrecent", "strategy = rrmemory"), encoding="utf-8"
    )
    assert "strategy = rrmemory" in rendering.render_config(settings, MENU)["queues.conf"]
    assert rendering.template_text(settings, "queues.conf") != shipped_template("queues.conf")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("extensions.conf", " same => n,Answer()", " same => n,Answer(", "缺少结尾的 ')'"),
        ("extensions.conf", " same => n,Answer()", " same => n Answer()", "优先级"),
        ("extensions.conf", " same => n,Answer()", " same n,Answer()", "缺少等号"),
        ("extensions.conf", " same => n,Goto(dial)", " same => n,Goto(dail)", "没有标签 'dail'"),
        ("extensions.conf", "Goto(queue,1)", "Goto(queue,40)", "没有优先级 40"),
        ("extensions.conf", "Goto(emergency,1)", "Goto(hotline-rout,emergency,1)", "上下文"),
        (
            "extensions.conf",
            "exten => refused,1,Hangup(21)",
            "exten => refused,1,Queue(hotline-nosuch)",
            "队列",
        ),
        ("extensions.conf", "${EPOCH})", "${EPOCH)", "没有对应的 '}'"),
        ("extensions.conf", "[hotline-hangup]", "hotline-hangup]", "缺少等号"),
        ("extensions.conf", "exten => s,1,AGI", "exten => s,n,AGI", "第一步不能用 'n'"),
        ("extensions.conf", "exten => s,1,AGI", "exten => s,2,AGI", "没有优先级 1"),
        ("extensions.conf", "exten => s,1,AGI", "extension => s,1,AGI", "未知指令"),
        ("extensions.conf", "Set(HOTLINE_EMERGENCY_TRY=1)", "Playback(no-such-sound)", "提示音"),
        ("pjsip.conf", "protocol = udp", "protocol = udp\nfrobnicate = 1", "没有选项"),
        ("pjsip.conf", "aors = emergency-110", "aors = emergency-111", "aor 'emergency-111'"),
        ("pjsip.conf", "context = hotline-inbound", "context = hotline-inbund", "没有上下文"),
        ("pjsip.conf", "type = transport", "type = transprt", "类型 'transprt'"),
        ("pjsip.conf", "[citizens](media-defaults)", "[citizens](media-default)", "模板"),
        ("queues.conf", "strategy = leastrecent", "strategy = leastrecnt", "振铃策略"),
        ("queues.conf", "musicclass = default", "musicclass = jazz", "等待音乐"),
    ],
)
def test_a_broken_line_is_refused_at_the_line_it_was_written(
    settings: Settings, name: str, old: str, new: str, message: str
):
    text = edited(name, old, new)
    facts = AsteriskFacts(
        frozenset({"noop", "set", "answer", "mixmonitor", "agi", "goto", "gotoif", "dial",
                   "queue", "hangup", "read", "return", "playback", "userevent",
                   "originate", "record"}),
        frozenset({"pjsip", "local"}),
        {"transport": frozenset({"type", "protocol", "bind"})},
    )  # fmt: skip
    problems = problems_with(settings, name, text, facts)
    assert problems, f"{new!r} was not refused"
    first = problems[0]
    assert message in first.message, problems
    assert (first.file, first.line) == (name, line_of(text, new.splitlines()[-1])), problems


def test_an_application_the_running_asterisk_lacks_is_refused(settings: Settings):
    text = edited("extensions.conf", "same => n,Answer()", "same => n,Answr()")
    facts = AsteriskFacts(frozenset({"answer"}), frozenset({"pjsip"}), {})
    messages = [str(p) for p in problems_with(settings, "extensions.conf", text, facts)]
    assert f"extensions.conf 第 {line_of(text, 'Answr')} 行：Asterisk 没有应用 'Answr'" in "".join(
        messages
    )
    assert problems_with(settings, "extensions.conf", text) == []  # without facts: not known


def test_a_problem_inside_a_template_loop_names_the_template_line(settings: Settings):
    # The agents' loop renders two extensions; the error is reported once a rendered line,
    # each at the loop's line in the template.
    text = edited(
        "extensions.conf",
        "Dial(PJSIP/{{ agent.extension }},30)",
        "Dial(PJSIP/x{{ agent.extension }},30)",
    )
    problems = problems_with(settings, "extensions.conf", text)
    line = line_of(text, "PJSIP/x")
    assert [(p.line, p.message) for p in problems] == [
        (line, "SIP 端点 'x8001' 不存在（pjsip.conf）"),
        (line, "SIP 端点 'x8002' 不存在（pjsip.conf）"),
    ]


def test_template_errors_name_their_line(settings: Settings):
    broken = edited("pjsip.conf", "{% for agent in s.agents %}", "{% for agent in s.agents %")
    [problem] = problems_with(settings, "pjsip.conf", broken)
    assert problem.file == "pjsip.conf" and "模板语法错误" in problem.message
    undefined = edited("queues.conf", "servicelevel = 20", "servicelevel = {{ s.no_such }}")
    [problem] = problems_with(settings, "queues.conf", undefined)
    assert problem.line == line_of(undefined, "s.no_such") and "no_such" in problem.message


def test_what_the_hotline_relies_on_cannot_be_removed(settings: Settings):
    text = shipped_template("extensions.conf").replace(
        "exten => emergency,1,", "exten => urgent,1,"
    )
    messages = [p.message for p in problems_with(settings, "extensions.conf", text)]
    assert any("[hotline-route] 分机 'emergency' 不存在" in m for m in messages), messages
    queues = shipped_template("queues.conf").replace("[hotline-{{ name }}]", "[q-{{ name }}]")
    messages = [p.message for p in problems_with(settings, "queues.conf", queues)]
    assert any("需要 [hotline-general]" in m for m in messages), messages


def test_install_refuses_a_broken_site_template(settings: Settings):
    site = rendering.site_templates_dir(settings)
    site.mkdir(parents=True)
    (site / "extensions.conf").write_text(edited("extensions.conf", "Answer()", "Answer("))
    with pytest.raises(ConfigRefused, match="extensions.conf 第 [0-9]+ 行"):
        asterisk.install_config(settings, MENU)


def test_comments_and_escapes_follow_asterisk():
    conf = parse(
        "x.conf",
        "; comment\n[a]\nk = v \\; not a comment ; comment\n;-- block\n[b]\n--; k2 = v2\n",
    )
    assert conf.problems == []
    [section] = conf.sections
    assert [(e.key, e.value, e.line) for e in section.entries] == [
        ("k", "v ; not a comment", 3),
        ("k2", "v2", 6),
    ]
    open_block = parse("x.conf", "[a]\n;-- never closed\nk = v\n")
    assert [(p.line, "块注释" in p.message) for p in open_block.problems] == [(2, True)]
    assert "不在任何" in parse("x.conf", "k = v\n").problems[0].message
    assert "不支持指令" in parse("x.conf", "#include other.conf\n").problems[0].message


def test_a_section_continued_with_plus_keeps_its_type(settings: Settings):
    text = shipped_template("pjsip.conf")
    text += "\n[transport-udp](+)\nlocal_net = 10.0.0.0/8\n"
    assert problems_with(settings, "pjsip.conf", text) == []
    text += "\n[transport-udp]\ntype = transport\nprotocol = udp\n"
    [problem] = problems_with(settings, "pjsip.conf", text)
    assert "重复定义" in problem.message


def test_templates_are_inherited_and_not_objects():
    conf = parse("p.conf", "[t](!)\ntype = endpoint\nallow = alaw\n[e](t)\ncontext = c\n")
    assert [s.name for s in conf.real_sections()] == ["e"]
    assert conf.named("e")[0].value("type") == "endpoint"


@pytest.mark.parametrize(
    ("pattern", "exten", "matches"),
    [
        ("_X.", "12345", True),
        ("_X.", "1", False),
        ("_NXX", "212", True),
        ("_NXX", "112", False),
        ("_[1-3]!", "2", True),
        ("_[1-3]!", "4", False),
        ("12345", "12345", True),
        ("12345/1380", "12345", True),
    ],
)
def test_extension_patterns(pattern: str, exten: str, matches: bool):
    assert confcheck.pattern_matches(pattern, exten) is matches


def test_the_command_line_lists_the_problems_and_fails(monkeypatch, capsys):
    from hotlinectl import cli

    def broken(args):
        raise ConfigRefused([confcheck.Problem("queues.conf", 7, "没有振铃策略 'x'")])

    monkeypatch.setattr(cli, "cmd_status", broken)
    assert cli.main(["status"]) == 1
    assert "queues.conf 第 7 行：没有振铃策略 'x'" in capsys.readouterr().err


def test_a_template_cannot_reach_python_internals(settings: Settings):
    hostile = shipped_template("queues.conf").replace(
        "servicelevel = 20", "servicelevel = {{ s.__class__.__init__.__globals__ }}"
    )
    [problem] = problems_with(settings, "queues.conf", hostile)
    assert problem.line == line_of(hostile, "__globals__") and "unsafe" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # A phone without a password that may register: a stranger would take its calls.
        (
            "{% else %}; It cannot authenticate, so it may not register: a stranger's REGISTER is "
            "refused.\nmax_contacts = 0",
            "{% else %}max_contacts = 1",
            "max_contacts = 0",
        ),
        # A phone without a password in the agents' context: anyone could dial in its name.
        (
            "context = hotline-refuse\nidentify_by = ip\n{% endif %}",
            "context = hotline-agents\nidentify_by = ip\n{% endif %}",
            "hotline-agents",
        ),
    ],
)
def test_an_endpoint_without_a_password_may_not_register_or_reach_the_agents(
    settings: Settings, old: str, new: str, message: str
):
    problems = problems_with(settings, "pjsip.conf", edited("pjsip.conf", old, new))
    assert any(message in p.message for p in problems), problems
