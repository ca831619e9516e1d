"""The dialplan as pbx_config loads it: extensions, priorities, labels and applications from
``exten``/``same`` lines, and the expressions and patterns they use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotline.confcheck.config_files import ConfFile, Entry, Problem, Section

CONTEXT_DIRECTIVES = frozenset({"exten", "same", "include", "ignorepat", "switch", "lswitch",
                                "eswitch"})  # fmt: skip


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
