"""The cross-checks Asterisk itself would only fail at run time: Goto targets and labels,
prompts that must exist, queues and their members, PJSIP objects and their references, and
(with what the running Asterisk knows, ``AsteriskFacts``) applications and options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hotline.confcheck.config_files import ConfFile, Problem, Section
from hotline.confcheck.dialplan import (
    Dialplan,
    Step,
    is_dynamic,
    read_dialplan,
    split_top,
    unbalanced,
)

PJSIP_TYPES = frozenset(
    {
        "endpoint", "aor", "auth", "transport", "identify", "registration", "global", "system",
        "domain_alias", "contact", "acl", "phoneprov", "outbound-publish",
        "inbound-publication", "resource_list",
    }
)  # fmt: skip


QUEUE_STRATEGIES = frozenset(
    {"ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "rrordered", "linear",
     "wrandom"}
)  # fmt: skip


# Applications whose arguments name sound files, and which argument does.
PROMPT_ARGUMENT = {"playback": 0, "background": 0, "controlplayback": 0, "read": 1}


GOTO_APPS = frozenset({"goto", "gosub"})


GOTO_IF_APPS = frozenset({"gotoif", "gosubif"})


@dataclass(frozen=True)
class AsteriskFacts:
    """What the running Asterisk accepts; lower-case names."""

    applications: frozenset[str]
    channel_types: frozenset[str]
    pjsip_options: dict[str, frozenset[str]]


@dataclass(frozen=True)
class Telephony:
    """The parsed files that refer to each other."""

    extensions: ConfFile
    pjsip: ConfFile
    queues: ConfFile
    musiconhold: ConfFile | None = None

    def pjsip_of_type(self, kind: str) -> dict[str, Section]:
        return {
            s.name: s for s in self.pjsip.real_sections() if (s.value("type") or "").strip() == kind
        }

    def queue_names(self) -> set[str]:
        return {s.name for s in self.queues.real_sections() if s.name != "general"}


def check(
    files: Telephony,
    facts: AsteriskFacts | None,
    prompt_exists: Callable[[str], bool],
) -> tuple[list[Problem], Dialplan]:
    """Every problem in the three files and between them; the dialplan as read."""
    problems = [*files.extensions.problems, *files.pjsip.problems, *files.queues.problems]
    plan = read_dialplan(files.extensions, problems)
    endpoints = files.pjsip_of_type("endpoint")
    problems += _check_pjsip(files, plan, facts)
    problems += _check_queues(files, endpoints)
    problems += _check_steps(files, plan, endpoints, facts, prompt_exists)
    problems += _unreachable(plan, files.extensions.name)
    return problems, plan


def _check_pjsip(files: Telephony, plan: Dialplan, facts: AsteriskFacts | None) -> list[Problem]:
    name, problems = files.pjsip.name, []
    types = PJSIP_TYPES | set(facts.pjsip_options if facts else ())
    seen: set[tuple[str, str]] = set()
    for section in files.pjsip.sections:
        kind = (section.value("type") or "").strip()
        if not kind:
            if not section.template:
                problems.append(Problem(name, section.line, f"[{section.name}] 缺少 type"))
            continue
        if kind not in types:
            line = section.values("type")[-1].line
            problems.append(Problem(name, line, f"[{section.name}] 的类型 '{kind}' 不存在"))
            continue
        if not section.template and not section.appended:
            if (kind, section.name) in seen:
                problems.append(Problem(name, section.line, f"{kind} [{section.name}] 重复定义"))
            seen.add((kind, section.name))
        if facts and kind in facts.pjsip_options:
            allowed = facts.pjsip_options[kind]
            for entry in section.entries:
                if entry.key not in allowed and not entry.key.startswith("@"):
                    problems.append(
                        Problem(
                            name, entry.line, f"{kind} 没有选项 '{entry.key}'（该对象将无法加载）"
                        )
                    )
    references = {
        "endpoint": (("aors", "aor"), ("auth", "auth"), ("outbound_auth", "auth"),
                     ("transport", "transport")),
        "identify": (("endpoint", "endpoint"),),
        "registration": (("outbound_auth", "auth"), ("transport", "transport"),
                         ("endpoint", "endpoint")),
    }  # fmt: skip
    for kind, refs in references.items():
        for section in files.pjsip_of_type(kind).values():
            for key, target in refs:
                targets = files.pjsip_of_type(target)
                for entry in section.values(key):
                    for ref in (r.strip() for r in entry.value.split(",")):
                        if ref and ref not in targets:
                            problems.append(
                                Problem(name, entry.line, f"{key} 引用的 {target} '{ref}' 不存在")
                            )
    for section in files.pjsip_of_type("endpoint").values():
        for entry in section.values("context"):
            if entry.value not in plan.contexts:
                problems.append(Problem(name, entry.line, f"拨号方案中没有上下文 [{entry.value}]"))
    return problems


def _check_queues(files: Telephony, endpoints: dict[str, Section]) -> list[Problem]:
    name, problems = files.queues.name, []
    music = {s.name for s in files.musiconhold.real_sections()} if files.musiconhold else None
    for section in files.queues.sections:
        if section.name == "general":
            continue
        for entry in section.entries:
            if entry.key == "strategy" and entry.value not in QUEUE_STRATEGIES:
                problems.append(Problem(name, entry.line, f"没有振铃策略 '{entry.value}'"))
            elif entry.key == "musicclass" and music is not None and entry.value not in music:
                problems.append(Problem(name, entry.line, f"等待音乐中没有 [{entry.value}]"))
            elif entry.key == "member":
                interface = entry.value.split(",", 1)[0].strip()
                problems += _interface_problems(name, entry.line, interface, endpoints, None)
    return problems


def _interface_problems(
    file: str,
    line: int,
    interface: str,
    endpoints: dict[str, Section],
    facts: AsteriskFacts | None,
    plan: Dialplan | None = None,
) -> list[Problem]:
    if is_dynamic(interface) or "/" not in interface:
        return []
    tech, _, resource = interface.partition("/")
    if facts and tech.lower() not in facts.channel_types:
        return [Problem(file, line, f"Asterisk 没有通道类型 '{tech}'")]
    if tech.upper() == "PJSIP":
        endpoint = resource.split("/", 1)[0].rsplit("@", 1)[-1]
        if endpoint not in endpoints:
            return [Problem(file, line, f"SIP 端点 '{endpoint}' 不存在（pjsip.conf）")]
    elif tech.lower() == "local" and plan is not None:
        context = resource.partition("@")[2].split("/", 1)[0]
        if context and context not in plan.contexts:
            return [Problem(file, line, f"拨号方案中没有上下文 [{context}]")]
    return []


def _globals_only(plan: Dialplan) -> dict[str, str]:
    """Global variables the dialplan never changes: ``${NAME}`` can be read as the value."""
    assigned = set()
    for table in plan.steps.values():
        for steps in table.values():
            for step in steps:
                if step.app.lower() in ("set", "mset"):
                    for part in split_top(step.data, ","):
                        assigned.add(part.partition("=")[0].strip())
    return {k: v for k, v in plan.globals.items() if k not in assigned and not is_dynamic(v)}


def _check_steps(
    files: Telephony,
    plan: Dialplan,
    endpoints: dict[str, Section],
    facts: AsteriskFacts | None,
    prompt_exists: Callable[[str], bool],
) -> list[Problem]:
    name, problems = files.extensions.name, []
    constants = _globals_only(plan)
    queues = files.queue_names()

    def expand(text: str) -> str:
        for key, value in constants.items():
            text = text.replace("${" + key + "}", value)
        return text

    for table in plan.steps.values():
        for steps in table.values():
            for step in steps:
                app = step.app.lower()
                if not app:
                    continue
                if facts and app not in facts.applications:
                    problems.append(
                        Problem(
                            name,
                            step.line,
                            f"Asterisk 没有应用 '{step.app}'（拼写错误或模块未加载）",
                        )
                    )
                    continue
                wrong = unbalanced(step.data)
                if wrong:
                    problems.append(Problem(name, step.line, f"{step.app} 的参数中{wrong}"))
                    continue
                data = expand(step.data)
                args = split_top(data, ",")
                if app in GOTO_APPS:
                    problems += _target_problems(name, step, args, plan)
                elif app in GOTO_IF_APPS:
                    branches = split_top(data, "?")
                    if len(branches) > 1:
                        for branch in split_top(branches[-1], ":"):
                            if branch.strip():
                                problems += _target_problems(
                                    name, step, split_top(branch, ","), plan
                                )
                elif app == "queue":
                    queue = args[0].strip()
                    if queue and not is_dynamic(queue) and queue not in queues:
                        problems.append(
                            Problem(name, step.line, f"队列 '{queue}' 不存在（queues.conf）")
                        )
                elif app == "dial":
                    for interface in split_top(args[0], "&"):
                        problems += _interface_problems(
                            name, step.line, interface.strip(), endpoints, facts, plan
                        )
                elif app in PROMPT_ARGUMENT and len(args) > PROMPT_ARGUMENT[app]:
                    for prompt in split_top(args[PROMPT_ARGUMENT[app]], "&"):
                        prompt = prompt.strip()
                        if prompt and not is_dynamic(prompt) and not prompt_exists(prompt):
                            problems.append(Problem(name, step.line, f"提示音 '{prompt}' 不存在"))
    return problems


def _target_problems(file: str, step: Step, args: list[str], plan: Dialplan) -> list[Problem]:
    """Goto/Gosub targets ``[[context,]exten,]priority`` that are fixed in the file must exist."""
    parts = [a.strip() for a in args]
    if not parts or len(parts) > 3:
        return [Problem(file, step.line, f"{step.app} 的目标应写作 [[上下文,]分机,]优先级")]
    context, exten = step.context, step.exten
    if len(parts) == 3:
        context = parts.pop(0)
    if len(parts) == 2:
        exten = parts.pop(0)
    priority = parts[0].split("(", 1)[0].strip()  # Gosub passes arguments in ()
    if is_dynamic(context):
        return []
    if context not in plan.contexts:
        return [Problem(file, step.line, f"{step.app} 的上下文 [{context}] 不存在")]
    if is_dynamic(exten) or is_dynamic(priority):
        return []
    steps = plan.find(context, exten)
    if not steps:
        return [Problem(file, step.line, f"{step.app} 的分机 '{exten}' 在 [{context}] 中不存在")]
    if priority.isdigit():
        if all(s.priority != int(priority) for s in steps):
            return [Problem(file, step.line, f"{step.app}：分机 '{exten}' 没有优先级 {priority}")]
    elif all(s.label != priority for s in steps):
        return [Problem(file, step.line, f"{step.app}：分机 '{exten}' 没有标签 '{priority}'")]
    return []


def _unreachable(plan: Dialplan, file: str) -> list[Problem]:
    """Extensions a call can never enter: they have steps but no priority 1."""
    return [
        Problem(file, steps[0].line, f"分机 '{exten}' 没有优先级 1，来电无法进入")
        for table in plan.steps.values()
        for exten, steps in table.items()
        if steps and all(s.priority != 1 for s in steps)
    ]
