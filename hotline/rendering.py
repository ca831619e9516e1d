"""The hotline's Asterisk configuration as text: templates rendered with plain data, then
checked the way Asterisk reads it and against what the rest of the hotline relies on.

The templates (``dialplans/``, a site's own in ``var/dialplans/``) are edited in the browser:
they are rendered in a sandbox that reads plain data only (``PlainDataEnvironment``), with
secrets only where Asterisk needs them. Every problem is reported at the template line it
comes from. Nothing here starts, stops or installs anything (``hotline.asterisk`` does).
"""

from __future__ import annotations

import glob
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jinja2
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from callmodel import dialplan
from hotline import confcheck, say
from hotline.confcheck import AsteriskFacts, Problem
from hotline.settings import DIALPLAN_TEMPLATES, Settings
from ivr.menu import Menu

CONFIG_FILES = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "cdr.conf",
    "rtp.conf",
    "musiconhold.conf",
    "manager.conf",
    "queues.conf",
    "pjsip.conf",
    "extensions.conf",
    "indications.conf",
    # Present so Asterisk reads our (empty) choice instead of complaining of a missing file.
    "cel.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "ccss.conf",
    "stasis.conf",
    "features.conf",
    "http.conf",
    "prometheus.conf",
)
EDITABLE_FILES = {
    "extensions.conf": "dialplan reload",
    "pjsip.conf": "module reload res_pjsip.so",
    "queues.conf": "queue reload all",
}
# Marks the end of each template line in the rendered text, so a problem Asterisk would have
# with a rendered line is reported at the line the admin wrote. Never in a real file.
_MARK = "\x1f"
_MARK_RE = re.compile(_MARK + r"(\d+)" + _MARK)
_TAG_RE = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.DOTALL)


class AsteriskError(RuntimeError):
    """Asterisk could not be prepared or did not come up; the message says what to do."""


class ConfigRefused(AsteriskError):
    """The configuration would not load, or not work, in Asterisk; each problem has its line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("；".join(str(p) for p in problems[:5]))
        self.problems = problems


# Where Debian's asterisk-moh-opsound-gsm puts its music, as Asterisk sees it.
DEBIAN_MOH = "/usr/share/asterisk/moh"


def site_templates_dir(settings: Settings) -> Path:
    """The site's own versions of dialplan templates, read before the shipped ones."""
    return settings.dialplan_dir or settings.var_dir / "dialplans"


def shipped_template(name: str) -> str:
    return (DIALPLAN_TEMPLATES / name).read_text(encoding="utf-8")


def template_text(settings: Settings, name: str) -> str:
    """The template Asterisk's ``name`` is rendered from: the site's, else the shipped one."""
    site = site_templates_dir(settings) / name
    return site.read_text(encoding="utf-8") if site.exists() else shipped_template(name)


def _mark_lines(source: str) -> str:
    """``source`` with each line end outside Jinja tags carrying its line number."""
    out, line = [], 1
    for part in _TAG_RE.split(source):
        if _TAG_RE.fullmatch(part):
            out.append(part)
        else:
            pieces = part.split("\n")
            for offset, piece in enumerate(pieces[:-1]):
                out.append(f"{piece}{_MARK}{line + offset}{_MARK}\n")
            out.append(pieces[-1])
        line += part.count("\n")
    return "".join(out)


@dataclass(frozen=True)
class RenderedFile:
    """A rendered file and, for each of its lines, the template line it came from."""

    text: str
    template_lines: tuple[int | None, ...]

    def template_line(self, line: int | None) -> int | None:
        if line is None or not 0 < line <= len(self.template_lines):
            return None
        return self.template_lines[line - 1]


def _unmark(marked: str) -> RenderedFile:
    lines, numbers = [], []
    for line in marked.split("\n"):
        found = _MARK_RE.findall(line)
        numbers.append(int(found[-1]) if found else None)
        lines.append(_MARK_RE.sub("", line))
    return RenderedFile("\n".join(lines), tuple(numbers))


def _template_problem(name: str, exc: Exception) -> Problem:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(name, exc.lineno, f"模板语法错误：{exc.message}")
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return Problem(name, line, f"模板无法生成：{exc}")


# What a template may read attributes of: plain data, and the loop variable of a for loop.
_PLAIN = (dict, list, tuple, str, int, float, bool, type(None), LoopContext)


class PlainDataEnvironment(ImmutableSandboxedEnvironment):
    """Templates are edited in the browser by administrators: they read plain data only.

    The sandbox already refuses Python's internals (``__dunder__``) and, being immutable,
    any method that changes a list or dict; here no attribute of anything but plain data
    (dicts, lists, strings, numbers, booleans) is reachable at all, so a template can neither
    call a method of an object nor reach a file, a path or a secret it was not given."""

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        return isinstance(obj, _PLAIN) and super().is_safe_attribute(obj, attr, value)


def template_data(settings: Settings, menu: Menu, name: str) -> dict[str, object]:
    """The plain data the template ``name`` is rendered with: strings, numbers, booleans,
    lists and dicts, never the settings object or a path. Secrets only where Asterisk needs
    them: the AMI secret in manager.conf (not editable in the browser), agents' SIP passwords
    in pjsip.conf."""
    agents = [
        {
            "extension": a.extension,
            "name": a.name,
            "skills": list(a.skills),
            "contact": a.contact,
            # Whether the phone registers matters everywhere; the password only to pjsip.conf.
            "password": (a.password if name == "pjsip.conf" else bool(a.password)) or None,
        }
        for a in settings.agents
    ]
    s: dict[str, object] = {
        "agi_url": settings.agi_url,
        "hotline_number": settings.hotline_number,
        "bind_address": settings.bind_address,
        "sip_port": settings.sip_port,
        "rtp_start": settings.rtp_start,
        "rtp_end": settings.rtp_end,
        "ami_port": settings.ami_port,
        "ami_user": settings.ami_user,
        "benchmark_baseline": settings.benchmark_baseline,
        "emergency": settings.emergency.model_dump(mode="json"),
        "trunk": settings.trunk.model_dump(mode="json"),
        "agents": agents,
    }
    if name == "manager.conf":
        s["ami_secret"] = settings.ami_secret
    if name in ("http.conf", "prometheus.conf"):
        s["asterisk_metrics_port"] = settings.asterisk_metrics_port
        s["asterisk_metrics_user"] = settings.asterisk_metrics_user
        s["asterisk_metrics_secret"] = (
            settings.asterisk_metrics_secret if name == "prometheus.conf" else ""
        )
    return {
        "s": s,
        # The names Python and the dialplan share (callmodel/dialplan.py), as plain strings.
        "dialplan": {
            k: list(v) if isinstance(v, tuple) else v for k, v in dialplan.CONTRACT.items()
        },
        "menu": {**menu.model_dump(mode="json"), "emergency_keys": menu.emergency_keys},
        "inst": str(settings.asterisk_instance_dir),
        "prompts": str(settings.asterisk_prompts_dir),
        "say_language": say.LANGUAGE,
        "moh": str(settings.asterisk_prompts_dir / "moh" if settings.moh_dir else DEBIAN_MOH),
        "recordings": str(settings.recordings_dir),
        "trunk_match": list(settings.trunk.match or [settings.bind_address]),
        "wrapup_seconds": 0,
    }


def render_traced(
    settings: Settings, menu: Menu, overrides: Mapping[str, str] | None = None
) -> tuple[dict[str, RenderedFile], list[Problem]]:
    """Every file the hotline's Asterisk loads, rendered from the templates (``overrides`` by
    name first, then the site's, then the shipped ones), with template line numbers."""
    if not settings.ami_secret:
        raise AsteriskError("ami_secret is empty: run `hotline setup` to generate one")
    open_phones = [a.extension for a in settings.agents if not (a.password or a.contact)]
    if open_phones:
        # A phone that may register without a password would let anyone take an agent's calls.
        raise AsteriskError(
            f"agents {', '.join(open_phones)} have neither a password nor a fixed contact"
        )
    # Templates are edited in the browser: a sandbox that reads plain data only.
    env = PlainDataEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    overrides = overrides or {}
    rendered: dict[str, RenderedFile] = {}
    problems: list[Problem] = []
    for name in CONFIG_FILES:
        source = overrides.get(name)
        if source is None:
            source = template_text(settings, name)
        context = template_data(settings, menu, name)
        try:
            plain = env.from_string(source).render(context)
            traced = _unmark(env.from_string(_mark_lines(source)).render(context))
        except Exception as exc:  # any template error is the admin's to see, with its line
            problems.append(_template_problem(name, exc))
            continue
        if traced.text != plain:  # whitespace control can eat the marks: keep the true text
            traced = RenderedFile(plain, (None,) * (plain.count("\n") + 1))
        rendered[name] = traced
    return rendered, problems


def render_config(
    settings: Settings, menu: Menu, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every file the hotline's Asterisk loads, as text; ``ConfigRefused`` if one is broken."""
    files, problems = validate_config(settings, menu, overrides)
    if problems:
        raise ConfigRefused(problems)
    return files


def validate_config(
    settings: Settings,
    menu: Menu,
    overrides: Mapping[str, str] | None = None,
    facts: AsteriskFacts | None = None,
) -> tuple[dict[str, str], list[Problem]]:
    """The rendered files, and every problem Asterisk or the hotline would have with them,
    each at the template line it comes from (``facts``: what the running Asterisk knows)."""
    rendered, problems = render_traced(settings, menu, overrides)
    if problems:
        return {}, problems
    parsed = {
        name: confcheck.parse(name, rendered[name].text)
        for name in (*EDITABLE_FILES, "musiconhold.conf")
    }
    files = confcheck.Telephony(
        parsed["extensions.conf"], parsed["pjsip.conf"], parsed["queues.conf"],
        parsed["musiconhold.conf"],
    )  # fmt: skip
    found, plan = confcheck.check(files, facts, partial(_prompt_exists, settings, menu))
    found += _contract_problems(settings, menu, files, plan)
    for problem in found:
        source = rendered[problem.file]
        line = source.template_line(problem.line)
        message = problem.message
        if line is None and problem.line is not None:
            message += f"（生成后的第 {problem.line} 行）"
        problems.append(Problem(problem.file, line, message))
    return {name: r.text for name, r in rendered.items()}, problems


def _prompt_exists(settings: Settings, menu: Menu, name: str) -> bool:
    """A sound file Asterisk can play: the menu's own prompts (built before every install),
    or a file in the chroot with any format extension."""
    path = Path(name)
    if path.parent == settings.asterisk_prompts_dir and path.name in menu.prompts:
        return True
    if path.is_absolute():
        host = settings.in_chroot(path)
        return any(host.parent.glob(glob.escape(host.name) + ".*"))
    sounds = settings.in_chroot("/usr/share/asterisk/sounds")
    return any(sounds.glob(glob.escape(name) + ".*")) or any(
        sounds.glob("*/" + glob.escape(name) + ".*")
    )


def _contract_problems(
    settings: Settings, menu: Menu, files: confcheck.Telephony, plan: confcheck.Dialplan
) -> list[Problem]:
    """What the rest of the hotline relies on: the FastAGI IVR, the CRM's AMI bridge and
    queue sign-in use these contexts, extensions, queues and endpoints by name."""
    problems = []
    needed = {
        "hotline-inbound": [settings.hotline_number],
        "hotline-route": ["emergency", "queue", "fallback"],
        "hotline-hangup": ["s"],
        "hotline-callback": ["13800138000"],
    }
    for context, extensions in needed.items():
        for exten in extensions:
            if not plan.find(context, exten):
                problems.append(
                    Problem(
                        "extensions.conf", None, f"热线依赖的 [{context}] 分机 '{exten}' 不存在"
                    )
                )
    queues = files.queue_names()
    for name in sorted({*menu.queues, menu.default_queue}):
        if f"hotline-{name}" not in queues:
            problems.append(
                Problem("queues.conf", None, f"IVR 菜单的队列 '{name}' 需要 [hotline-{name}]")
            )
    endpoints = files.pjsip_of_type("endpoint")
    for extension in [a.extension for a in settings.agents] + ["emergency-110", "citizens"]:
        if extension not in endpoints:
            problems.append(
                Problem("pjsip.conf", None, f"热线依赖的 SIP 端点 '{extension}' 不存在")
            )
    return problems + _unauthenticated_doors(files)


def _unauthenticated_doors(files: confcheck.Telephony) -> list[Problem]:
    """An endpoint without a password may neither register (a stranger would take its calls)
    nor reach the agents' context (anyone could dial agents' phones in its name)."""
    problems = []
    aors = files.pjsip_of_type("aor")
    for name, endpoint in files.pjsip_of_type("endpoint").items():
        if (endpoint.value("auth") or "").strip():
            continue
        if (endpoint.value("context") or "").strip() == "hotline-agents":
            problems.append(
                Problem("pjsip.conf", endpoint.line,
                        f"端点 '{name}' 没有密码（auth），不能使用 [hotline-agents]")
            )  # fmt: skip
        for aor_name in (endpoint.value("aors") or "").split(","):
            aor = aors.get(aor_name.strip())
            if aor is not None and (aor.value("max_contacts") or "0").strip() != "0":
                problems.append(
                    Problem("pjsip.conf", aor.line,
                            f"端点 '{name}' 没有密码（auth），其 aor 不允许注册：max_contacts = 0")
                )  # fmt: skip
    return problems
