"""Asterisk configuration read the way Asterisk reads it, and checked before Asterisk sees it.

Asterisk's config reader (main/config.c) and pbx_config load what they can and log the rest: a
line without '=' is dropped with a warning, a PJSIP object with an option it does not know
fails to load, a misspelt application, Goto label or queue name fails only when a caller gets
there. A hotline must not learn that from a caller, so each file is parsed here with the same
rules, then cross-checked (contexts, labels, priorities, queues, endpoints, prompts), and every
problem names its file and line.

What only the running Asterisk knows (its loaded applications and channel types, the options
each PJSIP object accepts) comes in as ``AsteriskFacts``; without it those checks are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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
CONTEXT_DIRECTIVES = frozenset({"exten", "same", "include", "ignorepat", "switch", "lswitch",
                                "eswitch"})  # fmt: skip
# Applications whose arguments name sound files, and which argument does.
PROMPT_ARGUMENT = {"playback": 0, "background": 0, "controlplayback": 0, "read": 1}
GOTO_APPS = frozenset({"goto", "gosub"})
GOTO_IF_APPS = frozenset({"gotoif", "gosubif"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is (``line`` counts from 1 in the file as written)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file} 第 {self.line} 行" if self.line else self.file
        return f"{where}：{self.message}"


@dataclass(frozen=True)
class AsteriskFacts:
    """What the running Asterisk accepts; lower-case names."""

    applications: frozenset[str]
    channel_types: frozenset[str]
    pjsip_options: dict[str, frozenset[str]]


@dataclass
class Entry:
    key: str
    value: str
    line: int


@dataclass
class Section:
    name: str
    line: int
    template: bool = False
    appended: bool = False  # ``[name](+)``: more of an earlier section, not a new object
    entries: list[Entry] = field(default_factory=list)
    inherited: list[Entry] = field(default_factory=list)

    @property
    def all_entries(self) -> list[Entry]:
        """Entries the way Asterisk sees them: the templates' first, then the section's own."""
        return self.inherited + self.entries

    def values(self, key: str) -> list[Entry]:
        return [e for e in self.all_entries if e.key == key]

    def value(self, key: str) -> str | None:
        found = self.values(key)
        return found[-1].value if found else None


@dataclass
class ConfFile:
    name: str
    sections: list[Section]
    problems: list[Problem]

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def real_sections(self) -> Iterator[Section]:
        """Sections that become objects (templates, ``(!)``, do not)."""
        return (s for s in self.sections if not s.template)


# Parsing ---------------------------------------------------------------------------------------


def _strip_comments(text: str, name: str, problems: list[Problem]) -> list[tuple[int, str]]:
    """(line number, text without comments) for each line, as config.c strips them."""
    lines: list[tuple[int, str]] = []
    depth, opened_at = 0, 0
    for number, raw in enumerate(text.split("\n"), start=1):
        out: list[str] = []
        i = 0
        while i < len(raw):
            if depth:
                if raw.startswith("--;", i):
                    depth -= 1
                    i += 3
                elif raw.startswith(";--", i):
                    depth += 1
                    i += 3
                else:
                    i += 1
                continue
            char = raw[i]
            if char == "\\" and raw.startswith(";", i + 1):
                out.append(";")
                i += 2
            elif raw.startswith(";--", i) and not raw.startswith(";---", i):
                depth, opened_at = 1, number
                i += 3
            elif char == ";":
                break
            else:
                out.append(char)
                i += 1
        lines.append((number, "".join(out).strip()))
    if depth:
        problems.append(Problem(name, opened_at, "块注释 ;-- 没有以 --; 结束，其后的内容全被忽略"))
    return lines


def parse(name: str, text: str) -> ConfFile:
    """The file's sections and entries, and the lines Asterisk would drop or refuse."""
    problems: list[Problem] = []
    sections: list[Section] = []
    by_name: dict[str, Section] = {}
    current: Section | None = None
    for number, line in _strip_comments(text, name, problems):
        if not line:
            continue
        if line.startswith("["):
            current = _section(name, number, line, by_name, problems)
            if current is not None:
                sections.append(current)
                by_name.setdefault(current.name, current)
            continue
        if line.startswith("#"):
            problems.append(
                Problem(name, number, f"不支持指令 {line.split()[0]}：内容请直接写在本文件中")
            )
            continue
        if current is None:
            problems.append(
                Problem(name, number, "这一行不在任何 [节] 之内（Asterisk 将拒绝整个文件）")
            )
            continue
        key, sep, value = line.partition("=")
        if not sep:
            problems.append(Problem(name, number, "缺少等号 '='（Asterisk 会丢弃这一行）"))
            continue
        if value.startswith(">"):
            value = value[1:]
        if not key.strip():
            problems.append(Problem(name, number, "等号前缺少名称"))
            continue
        current.entries.append(Entry(key.strip(), value.strip(), number))
    return ConfFile(name, sections, problems)


def _section(
    name: str, number: int, line: str, known: dict[str, Section], problems: list[Problem]
) -> Section | None:
    close = line.find("]")
    if close < 0:
        problems.append(Problem(name, number, "节名缺少 ']'（Asterisk 将拒绝整个文件）"))
        return None
    section = Section(line[1:close].strip(), number)
    rest = line[close + 1 :].strip()
    if not rest:
        return section
    if not rest.startswith("(") or not rest.endswith(")"):
        problems.append(Problem(name, number, f"节 [{section.name}] 之后的 '{rest}' 无法识别"))
        return section
    for option in (o.strip() for o in rest[1:-1].split(",")):
        if option == "!":
            section.template = True
        elif option == "+":  # more of an earlier section: it keeps what that one had
            section.appended = True
            if section.name not in known:
                problems.append(
                    Problem(name, number, f"要追加的节 [{section.name}] 在此之前不存在")
                )
            else:
                section.inherited += known[section.name].all_entries
        elif option:
            base = known.get(option)
            if base is None:
                problems.append(Problem(name, number, f"要继承的模板 [{option}] 在此之前不存在"))
                continue
            section.inherited += base.all_entries
    return section


# Dialplan values -------------------------------------------------------------------------------


def is_dynamic(text: str) -> bool:
    """True when Asterisk computes the value at call time (a variable or an expression)."""
    return "${" in text or "$[" in text


def split_top(text: str, separators: str) -> list[str]:
    """``text`` split on ``separators`` that are outside (), ${} and $[] (dialplan arguments)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char in separators and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def unbalanced(text: str) -> str | None:
    """What does not close in a dialplan argument: ``${…}``, ``$[…]`` or ``(…)``."""
    stack: list[str] = []
    closing = {"(": ")", "${": "}", "$[": "]", "[": "]", "{": "}"}
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("${", "$["):
            stack.append(pair)
            i += 2
            continue
        char = text[i]
        if char in "([{":
            stack.append(char)
        elif char in ")]}":
            if not stack or closing[stack[-1]] != char:
                return f"多余的 '{char}'"
            stack.pop()
        i += 1
    if stack:
        opened = stack[-1]
        return f"'{opened}' 没有对应的 '{closing[opened]}'"
    return None


def pattern_matches(pattern: str, exten: str) -> bool:
    """Asterisk's extension pattern rules (``_X.``, ``_NXX``, ``_[1-5]!``) or a literal."""
    pattern = pattern.split("/", 1)[0]
    if not pattern.startswith("_"):
        return pattern == exten
    regex, i, body = [], 0, pattern[1:]
    while i < len(body):
        char = body[i].upper()
        if char == "X":
            regex.append("[0-9]")
        elif char == "Z":
            regex.append("[1-9]")
        elif char == "N":
            regex.append("[2-9]")
        elif char == ".":
            regex.append(".+")
        elif char == "!":
            regex.append(".*")
        elif char == "[":
            end = body.find("]", i)
            if end < 0:
                return False
            regex.append("[" + re.escape(body[i + 1 : end]).replace("\\-", "-") + "]")
            i = end
        else:
            regex.append(re.escape(body[i]))
        i += 1
    return re.fullmatch("".join(regex), exten) is not None


@dataclass
class Step:
    """One priority of one extension."""

    context: str
    exten: str
    priority: int
    label: str | None
    app: str
    data: str
    line: int


@dataclass
class Dialplan:
    contexts: dict[str, Section]
    # context → extension → priorities and labels
    steps: dict[str, dict[str, list[Step]]]
    includes: dict[str, list[str]]
    globals: dict[str, str]

    def find(self, context: str, exten: str, seen: frozenset[str] = frozenset()) -> list[Step]:
        """The steps Asterisk would run for ``exten`` in ``context`` (includes followed)."""
        table = self.steps.get(context, {})
        if exten in table:
            return table[exten]
        for pattern, steps in table.items():
            if pattern_matches(pattern, exten):
                return steps
        for included in self.includes.get(context, []):
            if included not in seen:
                found = self.find(included, exten, seen | {context})
                if found:
                    return found
        return []


StepKey = tuple[str, str, int, str | None, str, str, int]


def step_keys(plan: Dialplan) -> set[StepKey]:
    """Every step as (context, extension, priority, label, application, data, line): the form
    Asterisk's ``dialplan show`` prints, so what it loaded can be compared with what we read."""
    return {
        (s.context, s.exten, s.priority, s.label, s.app, s.data, s.line)
        for table in plan.steps.values()
        for steps in table.values()
        for s in steps
    }


def read_dialplan(conf: ConfFile, problems: list[Problem]) -> Dialplan:
    """Extensions, priorities and labels as pbx_config numbers them."""
    plan = Dialplan({}, {}, {}, {})
    for section in conf.real_sections():
        if section.name == "general":
            continue
        if section.name == "globals":
            plan.globals.update({e.key: e.value for e in section.all_entries})
            continue
        plan.contexts[section.name] = section
        table = plan.steps.setdefault(section.name, {})
        includes = plan.includes.setdefault(section.name, [])
        last: Step | None = None
        for entry in section.all_entries:
            if entry.key == "include":
                includes.append(entry.value.split(",", 1)[0].strip())
            elif entry.key in ("exten", "same"):
                last = _read_step(conf.name, section.name, entry, last, table, problems)
            elif entry.key not in CONTEXT_DIRECTIVES:
                problems.append(
                    Problem(
                        conf.name, entry.line, f"未知指令 '{entry.key}'（Asterisk 会忽略这一行）"
                    )
                )
    return plan


def _read_step(
    file: str,
    context: str,
    entry: Entry,
    last: Step | None,
    table: dict[str, list[Step]],
    problems: list[Problem],
) -> Step | None:
    value = entry.value
    if entry.key == "same":
        if last is None:
            problems.append(Problem(file, entry.line, "'same =>' 之前没有 'exten =>'"))
            return None
        exten = last.exten
    else:
        exten, sep, value = value.partition(",")
        exten = exten.strip()
        if not sep or not exten:
            problems.append(Problem(file, entry.line, "应写作 exten => 号码,优先级,应用(参数)"))
            return last
    priority_text, _, application = value.partition(",")
    priority_text = priority_text.strip()
    label = None
    if "(" in priority_text:
        priority_text, _, label = priority_text.partition("(")
        if not label.endswith(")"):
            problems.append(Problem(file, entry.line, "标签缺少 ')'"))
        label = label.rstrip(")").strip()
        priority_text = priority_text.strip()
    steps = table.setdefault(exten, [])
    previous = steps[-1].priority if steps else None
    if priority_text == "hint":
        return last
    if priority_text in ("n", "next"):
        if previous is None:
            problems.append(
                Problem(file, entry.line, f"分机 '{exten}' 的第一步不能用 'n'，请写优先级 1")
            )
            return last
        priority = previous + 1
    elif priority_text in ("s", "same"):
        if previous is None:
            problems.append(Problem(file, entry.line, f"分机 '{exten}' 的第一步不能用 's'"))
            return last
        priority = previous
    elif priority_text.isdigit() and int(priority_text) > 0:
        priority = int(priority_text)
    else:
        problems.append(Problem(file, entry.line, f"优先级 '{priority_text}' 不正确"))
        return last
    if any(s.priority == priority for s in steps):
        problems.append(Problem(file, entry.line, f"分机 '{exten}' 的优先级 {priority} 重复"))
    if label and any(s.label == label for s in steps):
        problems.append(Problem(file, entry.line, f"分机 '{exten}' 的标签 '{label}' 重复"))
    app, data = _application(file, entry.line, application.strip(), problems)
    step = Step(context, exten, priority, label, app, data, entry.line)
    steps.append(step)
    return step


def _application(file: str, line: int, text: str, problems: list[Problem]) -> tuple[str, str]:
    if not text:
        problems.append(Problem(file, line, "缺少应用（例如 NoOp()）"))
        return "", ""
    app, paren, rest = text.partition("(")
    if not paren:
        return app.strip(), ""
    if is_dynamic(app):
        return "", ""
    if not rest.endswith(")"):
        problems.append(Problem(file, line, f"{app.strip()}( 缺少结尾的 ')'"))
        return app.strip(), rest
    return app.strip(), rest[:-1]


# Checks ----------------------------------------------------------------------------------------


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
