"""系统管理员: the files edited in the browser: the telephony files (the IVR menu and the
dialplan templates extensions.conf, pjsip.conf, queues.conf) and the site's holiday schedule
(holidays.yaml, crm/orders/schedule.py). Staff accounts are crm/accounts/.

A save is validated before Asterisk sees anything. The whole Asterisk configuration is rendered
with the new text and read the way Asterisk reads it (``hotline.confcheck``): syntax,
applications and PJSIP options the running Asterisk knows (asked through AMI), Goto targets,
prompts, queues and endpoints, and what the hotline itself relies on. Only then is the file
replaced (atomically), the configuration installed and Asterisk told through AMI (dialplan,
PJSIP or queue reload). Every saved version is kept with its author, time and diff; a rollback
is a new version with old content. A broken file is refused with the line it is wrong on, and
nothing running changes.

The holiday schedule is the CRM's own, not Asterisk's: it is checked by its parser (every date,
every statutory holiday of a year it names), put in force in the CRM at once, and the open orders
are counted again on it; Asterisk is neither asked nor reloaded. Its versions, diffs, rollback and
the check against a newer version are the same as the telephony files'.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.fields import Id, Key
from crm import audit
from crm.accounts.services import Staff
from crm.dialplan_editor.asterisk_facts import asterisk_facts, loaded_dialplan
from crm.domain.errors import InvalidInput, NotFound
from crm.domain.moments import iso
from crm.domain.workcalendar import ScheduleError, parse_schedule
from crm.http.deps import StaffDep, same_origin
from crm.http.errors import AMI_ERRORS
from crm.models import ConfigVersion
from crm.notifications import OrderChanged, ScheduleChanged
from crm.orders import schedule
from hotline import asterisk, confcheck, rendering
from hotline.confcheck import Problem
from hotline.prompts import build_prompts
from hotline.settings import Settings
from ivr.menu import Menu, load_menu, parse_menu

router = APIRouter(
    prefix="/web/api/admin",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=AMI_ERRORS,
)
MENU = "ivr-menu"
HOLIDAYS = "holidays"
MENU_RELOADS = ("dialplan reload", "module reload res_pjsip.so", "queue reload all")
_APPLYING = asyncio.Lock()


class Refused(InvalidInput):
    """A file that must not reach Asterisk; ``problems`` name each file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f"（共 {len(problems)} 处）" if len(problems) > 5 else ""
        super().__init__(
            "；".join(str(p) for p in problems[:5]) + more,
            problems=[asdict(p) for p in problems],
        )
        self.problems = problems


# The IVR menu ----------------------------------------------------------------------------------


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (pydantic's error location)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if str(key.value) == str(part):
                node, line = value, key.start_mark.line + 1
                break
        else:
            break
    return line


# Whole-menu checks (ivr.menu.Menu._references_exist) name what is wrong only in their text.
_MESSAGE_LOCS = (
    (re.compile(r"按键 '?([0-9*#])'?"), "options"),
    (re.compile(r"队列名称 '([^']+)'"), "queues"),
    (re.compile(r"提示音名称 '([^']+)'"), "prompts"),
)


def _loc_in_message(message: str) -> tuple[str, ...]:
    for pattern, section in _MESSAGE_LOCS:
        found = pattern.search(message)
        if found:
            return (section, found.group(1))
    if "默认队列" in message:
        return ("default_queue",)
    return ()


def parse_menu_text(file: str, text: str) -> Menu:
    """The menu, or ``Refused`` naming the line of the first thing wrong with it."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = f"YAML 格式错误（{getattr(exc, 'problem', exc)}）"
        raise Refused([Problem(file, line, problem)]) from exc
    try:
        return parse_menu(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _line_of(text, tuple(first["loc"]) or _loc_in_message(first["msg"]))
        where = ".".join(str(p) for p in first["loc"]) or "菜单"
        raise Refused([Problem(file, line, f"（{where}）{first['msg']}")]) from exc
    except ValueError as exc:
        raise Refused([Problem(file, None, str(exc))]) from exc


# Documents -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A telephony file edited in the browser: its versions are kept under ``name``."""

    name: str
    label: str
    reloads: tuple[str, ...]

    @property
    def is_menu(self) -> bool:
        return self.name == MENU

    @property
    def is_holidays(self) -> bool:
        """The CRM's holiday schedule: no Asterisk file."""
        return self.name == HOLIDAYS

    def path(self, settings: Settings) -> Path:
        if self.is_menu:
            return settings.ivr_menu_file
        if self.is_holidays:
            return schedule.holidays_file(settings)
        return rendering.site_templates_dir(settings) / self.name

    def current(self, settings: Settings) -> str:
        if self.is_menu:
            return settings.ivr_menu_file.read_text(encoding="utf-8")
        if self.is_holidays:
            return schedule.current_text(settings)
        return rendering.template_text(settings, self.name)

    def shipped(self) -> str | None:
        """The version that comes with the software (the menu has none: it is the site's)."""
        if self.is_menu:
            return None
        if self.is_holidays:
            return schedule.shipped_text()
        return rendering.shipped_template(self.name)


DOCUMENTS = {
    doc.name: doc
    for doc in (
        Document(MENU, "语音导航菜单", MENU_RELOADS),
        *(
            Document(name, label, (rendering.EDITABLE_FILES[name],))
            for name, label in (
                ("extensions.conf", "拨号方案"),
                ("pjsip.conf", "SIP 端点"),
                ("queues.conf", "呼叫队列"),
            )
        ),
        Document(HOLIDAYS, "节假日安排", ()),
    )
}


def _document(name: str) -> Document:
    doc = DOCUMENTS.get(name)
    if doc is None:
        raise NotFound("配置文件", name)
    return doc


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _versions(session: Session, name: str, most: int = 50) -> list[ConfigVersion]:
    """The newest versions first; the first one is what is in use."""
    return list(
        session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.name == name)
            .order_by(ConfigVersion.id.desc())
            .limit(most)
        )
    )


def _ensure_first_version(session: Session, doc: Document, settings: Settings) -> None:
    """The file as it was before the first save from the browser is version one."""
    if session.scalar(select(ConfigVersion.id).where(ConfigVersion.name == doc.name).limit(1)):
        return
    content = doc.current(settings)
    session.add(
        ConfigVersion(
            name=doc.name,
            content=content,
            author="setup",
            comment="随软件发布的版本" if content == doc.shipped() else "初始版本",
        )
    )
    session.commit()


def _view(request: Request, doc: Document) -> dict[str, Any]:
    settings = request.app.state.settings
    with request.app.state.sessions() as session:
        _ensure_first_version(session, doc, settings)
        versions = _versions(session, doc.name)
        return {
            "name": doc.name,
            "label": doc.label,
            # What a refusal leaves running: Asterisk's configuration, or the CRM's calendar.
            "applies_to": "crm" if doc.is_holidays else "asterisk",
            "path": str(doc.path(settings)),
            # A dialplan template the site has not changed is read from the software's own.
            "from_software": not doc.is_menu and not doc.path(settings).exists(),
            "content": doc.current(settings),
            "shipped": doc.shipped(),
            "version": versions[0].id,
            "versions": [
                {
                    "id": v.id,
                    "author": v.author,
                    "created_at": iso(v.created_at),
                    "comment": v.comment,
                    "diff": v.diff,
                }
                for v in versions
            ],
        }


async def _validated(request: Request, doc: Document, text: str) -> tuple[Menu, dict[str, str]]:
    """The menu and the whole configuration rendered with ``text``; ``Refused`` when Asterisk
    or the hotline would have a problem with it."""
    settings = request.app.state.settings
    facts = await asterisk_facts(request.app.state.agents.ami)
    if doc.is_menu:
        menu, overrides = parse_menu_text(doc.path(settings).name, text), {}
    else:
        menu, overrides = load_menu(settings.ivr_menu_file), {doc.name: text}
    # Rendering and checking take tens of milliseconds: not on the event loop.
    files, problems = await asyncio.to_thread(
        rendering.validate_config, settings, menu, overrides, facts
    )
    if problems:  # the edited file's own problems first
        raise Refused(sorted(problems, key=lambda p: (p.file != doc.name, p.line or 0)))
    return menu, files


def _put(doc: Document, settings: Settings, text: str) -> None:
    """Replace the file; a template equal to the shipped one is removed, so that upgrades of
    the software reach it again."""
    path = doc.path(settings)
    if text == doc.shipped():
        path.unlink(missing_ok=True)
    else:
        _write_atomically(path, text)


def _menu_of(doc: Document, settings: Settings, text: str) -> Menu:
    return parse_menu(text) if doc.is_menu else load_menu(settings.ivr_menu_file)


async def _install(
    request: Request,
    doc: Document,
    text: str,
    menu: Menu,
    previous: str,
    files: dict[str, str] | None = None,
) -> None:
    """Put ``text`` in place, install the configuration (``files`` when already rendered) and
    tell Asterisk."""
    settings = request.app.state.settings

    def install() -> None:
        if doc.is_menu:
            build_prompts(
                menu.prompts,
                settings.in_chroot(settings.asterisk_prompts_dir),
                settings.prompts_dir or settings.var_dir / "prompts" / "custom",
            )
        _put(doc, settings, text)
        try:
            asterisk.install_config(settings, menu, files)
        except Exception:
            _put(doc, settings, previous)  # the file and what Asterisk runs stay in step
            raise

    await asyncio.to_thread(install)
    for command in doc.reloads:
        await request.app.state.agents.ami.command(command)


async def _dialplan_loaded(request: Request, attempts: int = 10) -> bool:
    """True once Asterisk's loaded dialplan is, step for step, the installed extensions.conf."""
    settings = request.app.state.settings
    installed = (settings.instance_host_dir / "etc" / "extensions.conf").read_text("utf-8")
    expected = confcheck.step_keys(
        confcheck.read_dialplan(confcheck.parse("extensions.conf", installed), [])
    )
    for _ in range(attempts):
        if await loaded_dialplan(request.app.state.agents.ami) == expected:
            return True
        await asyncio.sleep(0.2)
    return False


async def apply_document(
    request: Request,
    staff: Staff,
    doc: Document,
    text: str,
    comment: str,
    base_version: Id | None = None,
) -> dict[str, Any]:
    """Validate, put in place, install, reload through AMI, and keep the version; one at a
    time, so two admins saving at once cannot both pass the version check."""
    async with _APPLYING:
        return await _apply(request, staff, doc, text, comment, base_version)


async def _apply(
    request: Request,
    staff: Staff,
    doc: Document,
    text: str,
    comment: str,
    base_version: int | None,
) -> dict[str, Any]:
    state = request.app.state
    settings = state.settings
    with state.sessions() as session:
        _ensure_first_version(session, doc, settings)
        latest = _versions(session, doc.name, 1)[0]
        if base_version is not None and latest.id != base_version:
            raise InvalidInput(
                f"{doc.label}已被 {latest.author} 修改（版本 #{latest.id}），请刷新后再改"
            )
    previous = doc.current(settings)
    if text == previous:
        raise InvalidInput("内容与正在使用的版本相同，无需生效")
    if doc.is_holidays:
        recounted = await asyncio.to_thread(_apply_holidays, request, staff, doc, text)
        _keep_version(request, staff, doc, previous, text, comment, recounted=len(recounted))
        for order in recounted:
            state.notifier.publish(OrderChanged(order.ticket_id))
        state.notifier.publish(ScheduleChanged(len(recounted)))
        return _view(request, doc)
    menu, files = await _validated(request, doc, text)
    await _install(request, doc, text, menu, previous, files)
    if not await _dialplan_loaded(request):
        # Asterisk loaded something other than what was checked: back to what ran before.
        await _install(request, doc, previous, _menu_of(doc, settings, previous), previous)
        raise Refused(
            [
                Problem(
                    doc.path(settings).name,
                    None,
                    "Asterisk 载入的拨号方案与校验结果不一致，已恢复原版本",
                )
            ]
        )
    if doc.is_menu:
        state.agents.menu = menu  # queue sign-in checks the new queues
    _keep_version(request, staff, doc, previous, text, comment)
    return _view(request, doc)


def _keep_version(
    request: Request,
    staff: Staff,
    doc: Document,
    previous: str,
    text: str,
    comment: str,
    **detail: Any,
) -> None:
    """The version now in use, with its author, time and diff, and the audit entry."""
    diff = "".join(
        difflib.unified_diff(previous.splitlines(True), text.splitlines(True), "之前", "之后", n=1)
    )
    with request.app.state.sessions() as session:
        session.add(
            ConfigVersion(
                name=doc.name, content=text, diff=diff, author=staff.username, comment=comment
            )
        )
        audit.record(
            session,
            staff.username,
            "apply_config",
            "config",
            doc.name,
            comment=comment or None,
            **detail,
        )
        session.commit()


def _apply_holidays(
    request: Request, staff: Staff, doc: Document, text: str
) -> list[schedule.Recounted]:
    """Check the schedule, put the file in place and in force, and count the open orders
    again on it (docs/hotline-rules.md, "Call types and their limits": working days follow the
    published calendar). A refused file changes nothing; so does a failure to store the
    orders' new deadlines (the schedule before it is put back in force)."""
    settings = request.app.state.settings
    path = doc.path(settings)
    try:
        parse_schedule(text)
    except ScheduleError as exc:
        raise Refused([Problem(path.name, exc.line, str(exc))]) from exc
    previous = doc.current(settings)
    _put(doc, settings, text)
    try:
        schedule.apply_text(text)
        with request.app.state.sessions() as session:
            recounted = schedule.recount_open_orders(session, staff.username)
            session.commit()
    except Exception:
        _put(doc, settings, previous)
        schedule.load_at_start(settings)
        raise
    return recounted


@router.get("/documents")
def documents(request: Request, staff: StaffDep) -> list[dict[str, str]]:
    settings = request.app.state.settings
    return [
        {"name": d.name, "label": d.label, "file": d.path(settings).name}
        for d in DOCUMENTS.values()
    ]


@router.get("/documents/{name}")
def get_document(name: Key, request: Request, staff: StaffDep) -> dict[str, Any]:
    return _view(request, _document(name))


class DocumentIn(BaseModel):
    content: str = Field(min_length=1, max_length=200_000)
    comment: str = Field("", max_length=200)
    # The version the text was edited from: a save over someone else's newer one is refused.
    base_version: Id | None = None


@router.post("/documents/{name}")
async def save_document(
    name: Key, body: DocumentIn, request: Request, staff: StaffDep
) -> dict[str, Any]:
    doc = _document(name)
    return await apply_document(request, staff, doc, body.content, body.comment, body.base_version)


@router.post("/documents/{name}/versions/{version_id}/rollback")
async def rollback(name: Key, version_id: Id, request: Request, staff: StaffDep) -> dict[str, Any]:
    doc = _document(name)
    with request.app.state.sessions() as session:
        version = session.get(ConfigVersion, version_id)
        if version is None or version.name != doc.name:
            raise NotFound("版本", version_id)
        text = version.content
    return await apply_document(request, staff, doc, text, f"回滚到版本 #{version_id}")
