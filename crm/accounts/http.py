"""用户管理 in 系统管理: the staff accounts, listed and created by an administrator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from callmodel.fields import Name, OptionalCode
from crm.accounts.services import AccountError, Staff, list_accounts, set_account, username_taken
from crm.domain.access import Role
from crm.domain.errors import InvalidInput, RuleViolation
from crm.http.deps import require, same_origin
from crm.http.errors import API_ERRORS

router = APIRouter(
    prefix="/web/api/admin",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=API_ERRORS,
)
Admins = require(Role.ADMIN)


class UserIn(BaseModel):
    username: Name
    display_name: Name
    password: str = Field(min_length=1, max_length=256)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    extension: OptionalCode = None


@router.get("/users")
def users(request: Request, staff: Staff = Admins) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        return list_accounts(session)


@router.post("/users")
def create_user(body: UserIn, request: Request, staff: Staff = Admins) -> dict[str, Any]:
    if body.extension and body.extension not in {
        a.extension for a in request.app.state.settings.agents
    }:
        raise InvalidInput(f"没有分机 {body.extension}")
    """A new staff account; an existing username is refused (409), never overwritten."""
    with request.app.state.sessions() as session:
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
                actor=staff.username,
            )
        except AccountError as exc:
            raise InvalidInput(str(exc)) from exc
        session.commit()
        return {"username": user.username, "roles": user.roles}
