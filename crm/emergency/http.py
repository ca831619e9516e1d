"""HTTP routes of the call-emergency plan: the plan, post-event summaries, the blocklist.

Thin: each handler validates its body, calls one ``crm.emergency.services`` function, commits.
Who may call which is in crm/http/policy.py: the hotline leader keeps the blocklist and writes
summaries; the FastAGI server (service token) only asks whether one number is listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from callmodel.fields import Id, Limit, Name, PhoneNumber, Text
from crm.domain.emergency_plan import default_plan
from crm.emergency import services
from crm.http.deps import NowDep, SessionDep, UserDep
from crm.http.errors import API_ERRORS
from crm.models.emergency import BlockedNumber, EmergencySummary

router = APIRouter(tags=["emergency plan 来电应急预案"], responses=API_ERRORS)


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: Text = Field(description="原因")
    improvements: Text = Field(description="改进措施")


class SummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    kind: str
    cause: str
    improvements: str
    author: str
    created_at: datetime


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: PhoneNumber = Field(description="骚扰号码")
    reason: Text = Field(description="列入原因")
    days: int | None = Field(None, ge=1, le=3650, description="期限（天）；为空按应急预案默认")


class BlockedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    reason: str
    added_by: str
    added_at: datetime
    expires_at: datetime
    removed_by: Name | None = None
    removed_at: datetime | None = None


class BlockCheckOut(BaseModel):
    blocked: bool


@router.get("/api/emergency-plan", summary="来电应急预案：各类处置步骤与通知对象")
def get_plan(user: UserDep) -> dict[str, Any]:
    return default_plan().model_dump(mode="json")


@router.post(
    "/api/orders/{ticket_id}/emergency-summary",
    response_model=SummaryOut,
    summary="应急事后总结（原因、改进措施）",
)
def post_summary(
    ticket_id: Id, body: SummaryIn, session: SessionDep, user: UserDep, now: NowDep
) -> EmergencySummary:
    summary = services.write_summary(session, ticket_id, body.cause, body.improvements, user, now)
    session.commit()
    return summary


@router.get("/api/emergency-summaries", response_model=list[SummaryOut], summary="应急事后总结列表")
def list_summaries(
    session: SessionDep, user: UserDep, ticket_id: Id | None = None, limit: Limit = 100
) -> list[EmergencySummary]:
    return services.summaries(session, ticket_id, limit)


@router.get("/api/blocklist", response_model=list[BlockedOut], summary="骚扰号码名单")
def list_blocked(
    session: SessionDep,
    user: UserDep,
    now: NowDep,
    include_inactive: bool = Query(False, alias="all", description="含已过期、已移出的号码"),
) -> list[BlockedNumber]:
    return services.blocked_entries(session, now, include_inactive=include_inactive)


@router.post("/api/blocklist", response_model=BlockedOut, summary="列入骚扰号码名单")
def add_blocked(body: BlockIn, session: SessionDep, user: UserDep, now: NowDep) -> BlockedNumber:
    entry = services.block_number(session, body.number, body.reason, user, now, body.days)
    session.commit()
    return entry


@router.post(
    "/api/blocklist/{entry_id}/remove", response_model=BlockedOut, summary="移出骚扰号码名单"
)
def remove_blocked(entry_id: Id, session: SessionDep, user: UserDep, now: NowDep) -> BlockedNumber:
    entry = services.unblock_number(session, entry_id, user, now)
    session.commit()
    return entry


@router.get(
    "/api/blocklist/check", response_model=BlockCheckOut, summary="来电号码是否在骚扰号码名单中"
)
def check_blocked(session: SessionDep, now: NowDep, number: PhoneNumber) -> BlockCheckOut:
    """For the FastAGI server, which asks only once the caller did not choose 110."""
    return BlockCheckOut(blocked=services.is_blocked(session, number, now))
