"""Ledger (台账) export, supervisor figures, alerts and the audit log."""

from __future__ import annotations

import json
from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import select

from callmodel.fields import Day, Id, Limit, OptionalKey, OptionalName
from crm import audit
from crm.domain.access import CONFIDENTIAL_AUDIT_ACTIONS, Role
from crm.domain.errors import Forbidden, InvalidInput, NotFound
from crm.http.deps import NowDep, SessionDep, UserDep
from crm.http.errors import API_ERRORS
from crm.models.calls import Alert
from crm.models.workorders import AuditEntry
from crm.orders import schemas as s
from crm.reports.ledger import figures, ledger_csv, ledger_rows, ledger_xlsx

router = APIRouter(prefix="/api", tags=["ledger and figures 台账与统计"], responses=API_ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("结束日期不能早于开始日期")


@router.get("/ledger", summary="台账导出（CSV / XLSX / JSON）")
def ledger(
    session: SessionDep,
    user: UserDep,
    start: Day,
    end: Day,
    format: Literal["csv", "xlsx", "json"] = "csv",
) -> Response:
    _range(start, end)
    rows = ledger_rows(session, start, end, user)
    session.commit()  # the audit entries of reports read through the ledger
    name = f"ledger-{start:%Y%m%d}-{end:%Y%m%d}"
    if format == "json":
        body = json.dumps([r.__dict__ for r in rows], ensure_ascii=False)
        return Response(body, media_type="application/json")
    if format == "xlsx":
        return Response(
            ledger_xlsx(rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        ledger_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/figures", summary="统计：接听率、解决率、满意度、按时反馈率、重复报修率")
def get_figures(
    session: SessionDep,
    user: UserDep,
    now: NowDep,
    start: Day,
    end: Day,
    by: Literal["day", "type", "unit"] = "day",
) -> list[dict[str, object]]:
    _range(start, end)
    return figures(session, start, end, by, now)


@router.get("/alerts", response_model=list[s.AlertOut], summary="提醒（超时、紧急、举报）")
def alerts(session: SessionDep, user: UserDep, limit: Limit = 100) -> list[Alert]:
    audiences = [r.value for r in user.roles]
    query = select(Alert).where(Alert.audience.in_(audiences), Alert.acknowledged_at.is_(None))
    return list(session.scalars(query.order_by(Alert.id.desc()).limit(limit)))


@router.post("/alerts/{alert_id}/ack", response_model=s.AlertOut, summary="确认提醒")
def acknowledge(alert_id: Id, session: SessionDep, user: UserDep, now: NowDep) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("提醒", alert_id)
    if alert.audience not in {r.value for r in user.roles}:
        raise Forbidden("该提醒不是发给您的。")
    alert.acknowledged_at = now
    audit.record(session, user.username, "acknowledge", "alert", alert.id)
    session.commit()
    return alert


@router.get("/audit", response_model=list[s.AuditOut], summary="操作日志")
def audit_log(
    session: SessionDep,
    user: UserDep,
    entity: OptionalKey = None,
    entity_id: OptionalKey = None,
    actor: OptionalName = None,
    action: OptionalKey = None,
    confidential: bool = False,
    limit: int = Query(200, ge=1, le=5000),
) -> list[AuditEntry]:
    """The audit log, newest first; the entries about reports only for the hotline leader,
    and with ``confidential`` only those (the leader console's 操作日志 view)."""
    query = select(AuditEntry)
    if Role.HOTLINE_LEADER not in user.roles:
        query = query.where(AuditEntry.action.not_in(CONFIDENTIAL_AUDIT_ACTIONS))
    if confidential:
        query = query.where(AuditEntry.action.in_(CONFIDENTIAL_AUDIT_ACTIONS))
    if action:
        query = query.where(AuditEntry.action == action)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
