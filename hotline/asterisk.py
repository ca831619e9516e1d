"""Render our Asterisk configuration and run Asterisk from its chroot.

Asterisk 22 lives in a Debian sid chroot (``scripts/asterisk-chroot.sh``) on Debian 12 hosts, or
natively (``asterisk_root: /``). Each hotline instance has its own folder inside that root with
its config, spool, logs and recordings, so a test run never disturbs a running hotline.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jinja2
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from callmodel import dialplan
from hotline import confcheck
from hotline.confcheck import AsteriskFacts, Problem
from hotline.settings import DIALPLAN_TEMPLATES, PROJECT_ROOT, Settings
from ivr.menu import Menu, load_menu

CHROOT_SCRIPT = PROJECT_ROOT / "scripts" / "asterisk-chroot.sh"
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
INSTANCE_SUBDIRS = (
    "etc",
    "lib",
    "spool",
    "spool/utterances",
    "run",
    "log",
    "log/cdr-csv",
    "recordings",
    "prompts",
    "prompts/moh",
)


# The files a telephony admin edits in the browser, and the reload that applies each one.
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


def chroot_command(settings: Settings, *argv: str) -> list[str]:
    """A command line that runs ``argv`` where Asterisk lives."""
    if settings.asterisk_root == Path("/"):
        return list(argv)
    return ["chroot", str(settings.asterisk_root), *argv]


def asterisk_command(settings: Settings) -> list[str]:
    """The command line that runs this instance's Asterisk in the foreground, dropping root
    for its own user (-U/-G) once it has started."""
    conf = str(settings.asterisk_instance_dir / "etc" / "asterisk.conf")
    user = settings.asterisk_user
    return chroot_command(settings, "/usr/sbin/asterisk", "-f", "-U", user, "-G", user, "-C", conf)


def build_root(settings: Settings) -> None:
    """Build the chroot if it is absent (about a minute), and mount /proc and /dev in it."""
    if settings.asterisk_root == Path("/"):
        if not shutil.which("asterisk"):
            raise AsteriskError("asterisk_root is / but asterisk is not installed")
        return
    for action in ("build", "mount"):
        subprocess.run(
            ["bash", str(CHROOT_SCRIPT), action, str(settings.asterisk_root)], check=True
        )


def _mounted(path: Path) -> bool:
    """Whether something is mounted at ``path`` (bind mounts included, which share the
    device of their source, so ``os.path.ismount`` cannot see them)."""
    target = str(path.resolve())
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return any(line.split()[1] == target for line in mounts if len(line.split()) > 1)


def mount_state(settings: Settings) -> None:
    """Asterisk's state for this instance (astdb, spool, logs, CDR, recordings) lives in the
    state folder (``asterisk_state_dir``) and is bind-mounted at the instance's folder in the
    root: the root stays a cache that a rebuild or upgrade may empty, the state never goes with
    it. An instance from before, whose state is still inside the root, is moved out once."""
    if settings.asterisk_root == Path("/") or _mounted(settings.instance_host_dir):
        return
    state, point = settings.asterisk_state_dir, settings.instance_host_dir
    state.mkdir(parents=True, exist_ok=True)
    point.mkdir(parents=True, exist_ok=True)
    if any(point.iterdir()) and not any(state.iterdir()):
        for child in point.iterdir():
            shutil.move(str(child), state / child.name)
    subprocess.run(["mount", "--bind", str(state), str(point)], check=True)


def unmount_state(settings: Settings) -> None:
    """The instance's state taken out of the root again (Asterisk stopped)."""
    if settings.asterisk_root != Path("/") and _mounted(settings.instance_host_dir):
        subprocess.run(["umount", str(settings.instance_host_dir)], check=True)


def asterisk_ids(settings: Settings) -> tuple[int, int]:
    """The uid/gid of the asterisk user as the chroot knows it (not the host's)."""
    passwd = settings.asterisk_root / "etc" / "passwd"
    for line in passwd.read_text().splitlines():
        fields = line.split(":")
        if fields[0] == settings.asterisk_user:
            return int(fields[2]), int(fields[3])
    if settings.asterisk_root == Path("/"):
        entry = pwd.getpwnam(settings.asterisk_user)
        return entry.pw_uid, entry.pw_gid
    raise AsteriskError(f"user {settings.asterisk_user} not found in {passwd}")


def install_config(
    settings: Settings, menu: Menu | None = None, files: Mapping[str, str] | None = None
) -> Path:
    """Write the rendered configuration into the instance folder; returns asterisk.conf's path.

    ``files``: the configuration already rendered and checked (``validate_config``); without
    it, it is rendered and checked here."""
    if files is None:
        files = render_config(settings, menu or load_menu(settings.ivr_menu_file))
    host_dir = settings.instance_host_dir
    uid, gid = asterisk_ids(settings)
    root = os.geteuid() == 0
    for sub in ("", *INSTANCE_SUBDIRS):
        path = host_dir / sub
        path.mkdir(parents=True, exist_ok=True)
        if root:
            # Asterisk's user and group only; setgid, so what the CRM (a group member)
            # writes here stays readable by Asterisk.
            os.chown(path, uid, gid)
            path.chmod(0o2770)
    for name, text in files.items():
        # A new file put in place: the CRM replaces files that setup created.
        fd, tmp = tempfile.mkstemp(dir=host_dir / "etc", prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if root:
            os.chown(tmp, uid, gid)
        os.chmod(tmp, 0o640)
        os.replace(tmp, host_dir / "etc" / name)
    return settings.asterisk_instance_dir / "etc" / "asterisk.conf"


def share_prompts(settings: Settings) -> None:
    """The prompts setup made, writable by Asterisk's group: the CRM (a member) remakes them
    when the admin console changes the menu's text."""
    if os.geteuid() != 0:
        return
    uid, gid = asterisk_ids(settings)
    for folder, _, names in os.walk(settings.in_chroot(settings.asterisk_prompts_dir)):
        for name in names:
            path = Path(folder) / name
            os.chown(path, uid, gid)
            path.chmod(0o660)


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class AsteriskProcess:
    """One running Asterisk for one hotline instance."""

    settings: Settings
    process: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> str:
        return str(self.settings.asterisk_instance_dir / "etc" / "asterisk.conf")

    @property
    def pid_file(self) -> Path:
        return self.settings.instance_host_dir / "run" / "asterisk.pid"

    def start(self, timeout: float = 30.0) -> None:
        """Start Asterisk in the foreground as a child and wait until AMI answers."""
        log = open(self.settings.instance_host_dir / "log" / "console.log", "ab")  # noqa: SIM115
        argv = asterisk_command(self.settings)
        self.process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_for_port(self.settings.bind_address, self.settings.ami_port, timeout):
            self.stop()
            raise AsteriskError(
                f"Asterisk did not open AMI on {self.settings.bind_address}:"
                f"{self.settings.ami_port} within {timeout:.0f} s; see "
                f"{self.settings.instance_host_dir / 'log'}"
            )

    def cli(self, command: str, timeout: float = 10.0) -> str:
        """Run one Asterisk CLI command through the control socket."""
        argv = chroot_command(self.settings, "/usr/sbin/asterisk", "-C", self.conf, "-rx", command)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        return done.stdout

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
