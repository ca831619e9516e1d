"""系统管理员: the IVR menu edited in the browser, and staff accounts.

A save is validated before Asterisk sees anything: the YAML and the menu model
(``ivr.menu.parse_menu``: keys, queues, routes, prompt references), then the whole Asterisk
configuration is rendered from it (``hotline.asterisk.render_config``). Only then is the file
replaced (atomically), the configuration installed and Asterisk told through AMI (dialplan,
PJSIP and queue reloads); the FastAGI server re-reads the file when it changes. Every saved
version is kept with its author, time and diff; a rollback is a new version with old content.
A broken file is refused with the line it is wrong on, and nothing running changes.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.domain.access import Role
from crm.models.workorders import StaffUser
from crm.services import audit
from crm.services.errors import InvalidInput, NotFound
from crm.web.accounts import AccountError, set_account
from crm.web.auth import Staff, require, same_origin
from crm.web.models import ConfigVersion, WebCredential
from crm.web.pop import iso
from hotline import asterisk
from hotline.prompts import build_prompts
from ivr.menu import Menu, parse_menu

router = APIRouter(
    prefix="/web/api/admin", tags=["web console"], dependencies=[Depends(same_origin)]
)
Admins = require(Role.ADMIN)
MENU = "ivr-menu"
RELOADS = ("dialplan reload", "module reload res_pjsip.so", "queue reload all")


class MenuRefused(InvalidInput):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


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


def validate_menu(settings: Any, text: str) -> Menu:
    """The menu, or ``MenuRefused`` with a message naming the line."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise MenuRefused(
            f"第 {line} 行：YAML 格式错误（{getattr(exc, 'problem', exc)}）", line
        ) from exc
    try:
        menu = parse_menu(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _line_of(text, tuple(first["loc"]) or _loc_in_message(first["msg"]))
        where = ".".join(str(p) for p in first["loc"]) or "菜单"
        raise MenuRefused(f"第 {line} 行（{where}）：{first['msg']}", line) from exc
    except ValueError as exc:
        raise MenuRefused(str(exc), None) from exc
    try:
        asterisk.render_config(settings, menu)
    except Exception as exc:  # a template that cannot render this menu must not reach Asterisk
        raise MenuRefused(f"无法生成 Asterisk 配置：{exc}", None) from exc
    return menu


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _versions(session: Session) -> list[ConfigVersion]:
    return list(
        session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.name == MENU)
            .order_by(ConfigVersion.id.desc())
        )
    )


def _ensure_first_version(session: Session, path: Path) -> None:
    if session.scalar(select(ConfigVersion.id).where(ConfigVersion.name == MENU).limit(1)) is None:
        session.add(
            ConfigVersion(
                name=MENU,
                content=path.read_text(encoding="utf-8"),
                author="setup",
                comment="初始版本",
            )
        )
        session.commit()


def _view(request: Request) -> dict[str, Any]:
    path: Path = request.app.state.settings.ivr_menu_file
    with request.app.state.sessions() as session:
        _ensure_first_version(session, path)
        versions = _versions(session)
        return {
            "path": str(path),
            "content": path.read_text(encoding="utf-8"),
            "versions": [
                {
                    "id": v.id,
                    "author": v.author,
                    "created_at": iso(v.created_at),
                    "comment": v.comment,
                    "diff": v.diff,
                }
                for v in versions[:50]
            ],
        }


@router.get("/menu")
def get_menu(request: Request, staff: Staff = Admins) -> dict[str, Any]:
    return _view(request)


class MenuIn(BaseModel):
    content: str = Field(min_length=1, max_length=100_000)
    comment: str = Field("", max_length=200)


async def apply_menu(request: Request, staff: Staff, text: str, comment: str) -> dict[str, Any]:
    state = request.app.state
    settings = state.settings
    menu = validate_menu(settings, text)
    path: Path = settings.ivr_menu_file
    previous = path.read_text(encoding="utf-8")
    with state.sessions() as session:
        _ensure_first_version(session, path)

    def install() -> None:
        prompts_dir = settings.in_chroot(settings.asterisk_prompts_dir)
        build_prompts(
            menu.prompts,
            prompts_dir,
            settings.prompts_dir or settings.var_dir / "prompts" / "custom",
        )
        asterisk.install_config(settings, menu)  # rendered from the menu, not from the file
        _write_atomically(path, text)

    await asyncio.to_thread(install)
    for command in RELOADS:
        await state.agents.ami.action({"Action": "Command", "Command": command}, timeout=10)
    state.agents.menu = menu  # queue sign-in checks the new queues
    diff = "".join(
        difflib.unified_diff(previous.splitlines(True), text.splitlines(True), "之前", "之后", n=1)
    )
    with state.sessions() as session:
        session.add(
            ConfigVersion(
                name=MENU, content=text, diff=diff, author=staff.username, comment=comment
            )
        )
        audit.record(
            session, staff.username, "apply_ivr_menu", "config", MENU, comment=comment or None
        )
        session.commit()
    return _view(request)


@router.post("/menu")
async def save_menu(body: MenuIn, request: Request, staff: Staff = Admins) -> dict[str, Any]:
    return await apply_menu(request, staff, body.content, body.comment)


@router.post("/menu/versions/{version_id}/rollback")
async def rollback(version_id: int, request: Request, staff: Staff = Admins) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        version = session.get(ConfigVersion, version_id)
        if version is None or version.name != MENU:
            raise NotFound("版本", version_id)
        text = version.content
    return await apply_menu(request, staff, text, f"回滚到版本 {version_id}")


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    roles: list[Role] = Field(min_length=1)
    extension: str | None = Field(None, max_length=32)


@router.get("/users")
def users(request: Request, staff: Staff = Admins) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        rows = session.execute(
            select(StaffUser, WebCredential)
            .outerjoin(WebCredential, WebCredential.user_id == StaffUser.id)
            .order_by(StaffUser.username)
        )
        return [
            {
                "username": u.username,
                "display_name": u.display_name,
                "roles": u.roles,
                "active": u.active,
                "extension": c.agent_extension if c else None,
                "can_sign_in": c is not None,
            }
            for u, c in rows
        ]


@router.post("/users")
def create_user(body: UserIn, request: Request, staff: Staff = Admins) -> dict[str, Any]:
    if body.extension and body.extension not in {
        a.extension for a in request.app.state.settings.agents
    }:
        raise InvalidInput(f"没有分机 {body.extension}")
    with request.app.state.sessions() as session:
        try:
            user = set_account(
                session,
                body.username,
                body.password,
                body.roles,
                display_name=body.display_name,
                extension=body.extension,
                actor=staff.username,
            )
        except AccountError as exc:
            raise InvalidInput(str(exc)) from exc
        session.commit()
        return {"username": user.username, "roles": user.roles}
