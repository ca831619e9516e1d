"""Seed and edit the directories: units, special lines, knowledge-base articles, staff.

The files under ``config/`` are the editable source of truth for a fresh install; ``seed`` copies
them into the database without overwriting rows an admin has since changed (matched by code,
number or slug, existing rows are left alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.domain.access import Role
from crm.domain.special_lines import DEFAULT_FILE as SPECIAL_LINES_FILE
from crm.domain.special_lines import SpecialLine, load_special_lines, suggest_special_lines
from crm.models.knowledge import KbArticle, SpecialLineEntry
from crm.models.workorders import StaffUser, Unit

CONFIG = Path(__file__).resolve().parents[2] / "config"
UNITS_FILE = CONFIG / "units.yaml"
KNOWLEDGE_DIR = CONFIG / "knowledge"


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def seed_units(session: Session, path: Path = UNITS_FILE) -> int:
    items = _yaml(path).get("units", [])
    by_code = {u.code: u for u in session.scalars(select(Unit))}
    added = 0
    for item in items:
        if item["code"] in by_code:
            continue
        unit = Unit(
            code=item["code"],
            name=item["name"],
            level=item.get("level", "city"),
            district=item.get("district"),
            contact_person=item.get("contact_person"),
            contact_number=item.get("contact_number"),
            complaint_number=item.get("complaint_number"),
            is_member=bool(item.get("is_member", True)),
            is_government=bool(item.get("is_government", True)),
            handles_reports=bool(item.get("handles_reports", False)),
        )
        session.add(unit)
        by_code[unit.code] = unit
        added += 1
    session.flush()
    for item in items:
        if "supervisor" in item and by_code[item["code"]].supervisor_id is None:
            by_code[item["code"]].supervisor_id = by_code[item["supervisor"]].id
    session.flush()
    return added


def seed_special_lines(session: Session, path: Path = SPECIAL_LINES_FILE) -> int:
    known = set(session.scalars(select(SpecialLineEntry.number)))
    added = 0
    for line in load_special_lines(path):
        if line.number in known:
            continue
        session.add(
            SpecialLineEntry(
                number=line.number, name=line.name, scope=line.scope, keywords=list(line.keywords)
            )
        )
        added += 1
    session.flush()
    return added


def seed_knowledge(session: Session, folder: Path = KNOWLEDGE_DIR) -> int:
    known = set(session.scalars(select(KbArticle.slug)))
    units = {u.code: u.id for u in session.scalars(select(Unit))}
    added = 0
    for path in sorted(folder.glob("*.yaml")):
        for item in _yaml(path).get("articles", []):
            if item["slug"] in known:
                continue
            session.add(
                KbArticle(
                    slug=item["slug"],
                    title=item["title"],
                    body=item["body"].strip(),
                    category=item.get("category", ""),
                    unit_id=units.get(item.get("unit", "")),
                )
            )
            added += 1
    session.flush()
    return added


def ensure_user(
    session: Session,
    username: str,
    display_name: str,
    roles: list[Role],
    unit_id: int | None = None,
) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        user = StaffUser(username=username, display_name=display_name)
        session.add(user)
    user.display_name = display_name
    user.roles = [r.value for r in roles]
    user.unit_id = unit_id
    session.flush()
    return user


def seed_staff(session: Session, agents: Iterable[tuple[str, str]] = ()) -> int:
    """An admin account, plus one agent account per configured phone (username = extension).

    A person signs in to the consoles once an administrator has set their password (scripts
    get a personal API token: ``hotline api-token``).
    Existing users are left as an admin edited them.
    """
    known = set(session.scalars(select(StaffUser.username)))
    wanted = [("admin", "系统管理员", [Role.ADMIN])]
    wanted += [(ext, name, [Role.AGENT]) for ext, name in agents]
    added = 0
    for username, name, roles in wanted:
        if username not in known:
            ensure_user(session, username, name, roles)
            added += 1
    return added


def seed_all(session: Session, agents: Iterable[tuple[str, str]] = ()) -> dict[str, int]:
    """Units first (articles and users refer to them), then lines, articles and staff.

    ``agents`` is ``[(a.extension, a.name) for a in settings.agents]`` in the CRM app.
    """
    return {
        "units": seed_units(session),
        "special_lines": seed_special_lines(session),
        "kb_articles": seed_knowledge(session),
        "staff": seed_staff(session, agents),
    }


def special_lines_for(session: Session, text: str) -> list[dict[str, str]]:
    """The special lines (专线) whose keywords fit ``text``, at most five."""
    rows = list(session.scalars(select(SpecialLineEntry).where(SpecialLineEntry.active.is_(True))))
    lines = [SpecialLine(r.number, r.name, r.scope, tuple(r.keywords)) for r in rows]
    return [
        {"line": x.number, "name": x.name, "scope": x.scope}
        for x in suggest_special_lines(text, lines)
    ][:5]
