"""用户管理 in 系统管理: the staff accounts, listed, created and deactivated by an
administrator; the sign-in locks (crm/accounts/throttle.py) they may release early; and the
scripts' personal API tokens, issued and revoked by one (as ``hotline api-token`` does)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from callmodel.fields import Id, Name, OptionalCode
from crm.accounts import throttle, tokens
from crm.accounts.services import (
    AccountError,
    deactivate_account,
    list_accounts,
    set_account,
    username_taken,
)
from crm.domain.access import Role
from crm.domain.errors import InvalidInput, NotFound, RuleViolation
from crm.http.deps import NowDep, StaffDep, same_origin
from crm.http.errors import API_ERRORS
from crm.models.workorders import Unit
from crm.security import new_api_token

router = APIRouter(
    prefix="/web/api/admin",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=API_ERRORS,
)


class UserIn(BaseModel):
    username: Name
    display_name: Name
    password: str = Field(min_length=1, max_length=256)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    extension: OptionalCode = None
    unit_id: Id | None = Field(None, description="成员单位账号所属单位")


@router.get("/users")
def users(request: Request, staff: StaffDep) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        return list_accounts(session)


@router.post("/users")
def create_user(body: UserIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    """A new staff account; an existing username is refused (409), never overwritten."""
    if body.extension and body.extension not in {
        a.extension for a in request.app.state.settings.agents
    }:
        raise InvalidInput(f"没有分机 {body.extension}")
    if (Role.UNIT in body.roles) != (body.unit_id is not None):
        raise InvalidInput("成员单位账号须且只须选择所属单位")
    with request.app.state.sessions() as session:
        if body.unit_id is not None and session.get(Unit, body.unit_id) is None:
            raise InvalidInput(f"没有编号为 {body.unit_id} 的单位")
        if username_taken(session, body.username):
            raise RuleViolation(
                "unique_username", f"工号 {body.username.strip()} 已存在，不能重复创建"
            )
        try:
            user = set_account(
                session,
                body.username,
                body.password,
                body.roles,
                display_name=body.display_name,
                extension=body.extension,
                unit_id=body.unit_id,
                actor=staff.username,
                min_score=request.app.state.settings.sign_in.password_min_score,
            )
        except AccountError as exc:
            raise InvalidInput(str(exc)) from exc
        session.commit()
        return {"username": user.username, "roles": user.roles}


class TokenIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=128)
    days: int = Field(tokens.DEFAULT_DAYS, ge=1, le=tokens.MAX_DAYS)


@router.get("/tokens")
def api_tokens(request: Request, staff: StaffDep) -> list[dict[str, Any]]:
    """Every personal API token: whose, what for, until when, last use; never a secret."""
    with request.app.state.sessions() as session:
        return tokens.tokens(session)


@router.post("/tokens")
def issue_api_token(
    body: TokenIn, request: Request, staff: StaffDep, now: NowDep
) -> dict[str, Any]:
    """A script's token for one user; the secret is in this answer only (its hash is kept)."""
    with request.app.state.sessions() as session:
        issued = tokens.issue(
            session, body.username, body.label, new_api_token(),
            now=now, days=body.days, actor=staff.username,
        )  # fmt: skip
        session.commit()
    return {
        "id": issued.id,
        "username": issued.username,
        "expires_at": issued.expires_at,
        "token": issued.secret,
    }


@router.post("/tokens/{token_id}/revoke")
def revoke_api_token(
    token_id: int, request: Request, staff: StaffDep, now: NowDep
) -> dict[str, Any]:
    """End a token at once: it answers 401 from now on."""
    with request.app.state.sessions() as session:
        token = tokens.revoke(session, token_id, now=now, actor=staff.username)
        session.commit()
        return {"id": token.id, "revoked_at": token.revoked_at}


@router.post("/users/{username}/deactivate")
def deactivate_user(username: str, request: Request, staff: StaffDep) -> dict[str, Any]:
    """The person can no longer sign in, and every session of theirs ends at once."""
    if username.strip() == staff.username:
        raise RuleViolation("not_self", "不能停用自己的账号")
    with request.app.state.sessions() as session:
        if not deactivate_account(session, username, actor=staff.username):
            raise NotFound("工号", username.strip())
        session.commit()
    return {"username": username.strip(), "active": False}


class LockIn(BaseModel):
    scope: Literal["account", "address"]
    key: str = Field(min_length=1, max_length=128)


@router.get("/sign-in-locks")
def sign_in_locks(request: Request, now: NowDep, staff: StaffDep) -> list[dict[str, Any]]:
    """The 工号 and addresses locked out of sign-in now, latest ending first."""
    with request.app.state.sessions() as session:
        return throttle.locks(session, now)


@router.post("/sign-in-locks/release")
def release_sign_in_lock(body: LockIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    """Lift a lock before it runs out (the person called the administrator); audited."""
    with request.app.state.sessions() as session:
        if not throttle.release(session, body.scope, body.key, actor=staff.username):
            raise NotFound("登录锁定", body.key)
        session.commit()
    return {"scope": body.scope, "key": body.key, "released": True}
