"""Asterisk's configuration files read as main/config.c reads them: sections, templates,
``name = value`` entries and comments, with a problem (file and line) for whatever Asterisk
would drop with a warning."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is (``line`` counts from 1 in the file as written)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file} 第 {self.line} 行" if self.line else self.file
        return f"{where}：{self.message}"


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
