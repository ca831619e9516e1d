"""Directories admins edit: member units (成员单位), special lines (专线), staff users.

Who may read and who may edit is the access policy's (crm/http/policy.py): reads are open to
every member of staff (agents need the directory while on the phone), writes to admins and the
hotline leader; every write is audited with the before/after values.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.fields import Id, SearchText
from crm import audit
from crm.domain.access import Viewer
from crm.domain.errors import NotFound
from crm.domain.special_lines import SpecialLine, suggest_special_lines
from crm.http.deps import SessionDep, UserDep
from crm.http.errors import API_ERRORS
from crm.models.base import Base
from crm.models.knowledge import SpecialLineEntry
from crm.models.workorders import StaffUser, Unit
from crm.orders import schemas as s

router = APIRouter(prefix="/api", tags=["directory 目录"], responses=API_ERRORS)
M = TypeVar("M", bound=Base)


def _save(session: Session, user: Viewer, row: M, data: dict[str, Any], entity: str) -> M:
    before = {k: getattr(row, k, None) for k in data}
    for key, value in data.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    changed = {k: v for k, v in data.items() if before.get(k) != v}
    audit.record(session, user.username, "save", entity, getattr(row, "id", None), changed=changed)
    session.commit()
    return row


def _get(session: Session, model: type[M], key: int, what: str) -> M:
    row = session.get(model, key)
    if row is None:
        raise NotFound(what, key)
    return row


@router.get("/units", response_model=list[s.UnitOut], summary="成员单位目录")
def list_units(session: SessionDep, user: UserDep) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.level, Unit.id)))


@router.post("/units", response_model=s.UnitOut, status_code=201)
def create_unit(body: s.UnitIn, session: SessionDep, user: UserDep) -> Unit:
    return _save(session, user, Unit(), body.model_dump(), "unit")


@router.put("/units/{unit_id}", response_model=s.UnitOut)
def update_unit(unit_id: Id, body: s.UnitIn, session: SessionDep, user: UserDep) -> Unit:
    return _save(session, user, _get(session, Unit, unit_id, "单位"), body.model_dump(), "unit")


@router.get("/special-lines", response_model=list[s.SpecialLineOut], summary="专线目录")
def list_lines(session: SessionDep, user: UserDep) -> list[SpecialLineEntry]:
    return list(session.scalars(select(SpecialLineEntry).order_by(SpecialLineEntry.id)))


@router.get(
    "/special-lines/suggest", response_model=list[s.SpecialLineOut], summary="按问题推荐专线"
)
def suggest_lines(text: SearchText, session: SessionDep, user: UserDep) -> list[SpecialLineEntry]:
    rows = list(session.scalars(select(SpecialLineEntry).where(SpecialLineEntry.active.is_(True))))
    by_number = {r.number: r for r in rows}
    lines = [SpecialLine(r.number, r.name, r.scope, tuple(r.keywords)) for r in rows]
    return [by_number[line.number] for line in suggest_special_lines(text, lines)]


@router.post("/special-lines", response_model=s.SpecialLineOut, status_code=201)
def create_line(body: s.SpecialLineIn, session: SessionDep, user: UserDep) -> SpecialLineEntry:
    return _save(session, user, SpecialLineEntry(), body.model_dump(), "special_line")


@router.put("/special-lines/{line_id}", response_model=s.SpecialLineOut)
def update_line(
    line_id: Id, body: s.SpecialLineIn, session: SessionDep, user: UserDep
) -> SpecialLineEntry:
    row = _get(session, SpecialLineEntry, line_id, "专线")
    return _save(session, user, row, body.model_dump(), "special_line")


@router.get("/users", response_model=list[s.UserOut], summary="工作人员")
def list_users(session: SessionDep, user: UserDep) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))


@router.post("/users", response_model=s.UserOut, status_code=201)
def create_user(body: s.UserIn, session: SessionDep, user: UserDep) -> StaffUser:
    data = body.model_dump()
    data["roles"] = [r.value for r in body.roles]
    return _save(session, user, StaffUser(), data, "user")
