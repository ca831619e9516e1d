"""Personal API tokens: how a script acts as one member of staff, and only as them.

A token belongs to one active user and carries that user's roles as they are at each use (a
role taken away is gone from the token too). It is issued by an administrator (``hotline
api-token create``), shown once, stored as its SHA-256 (crm/security.py), expires, and can be
revoked; every use is written to the audit log under its user. Nothing here reads a request:
the access policy (crm/http/policy.py) hands over the presented token and the route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.accounts.services import Staff, staff_of
from crm.domain.errors import InvalidInput, NotFound, Unauthenticated
from crm.models import ApiToken, WebCredential
from crm.models.workorders import StaffUser
from crm.security import token_digest

DEFAULT_DAYS = 90
MAX_DAYS = 366
UNKNOWN = "API 令牌无效"
REVOKED = "API 令牌已撤销"
EXPIRED = "API 令牌已过期，请重新申请"
USER_GONE = "API 令牌的用户已停用"


@dataclass(frozen=True)
class Issued:
    """A new token: its row id and the secret, which is never shown again."""

    id: int
    username: str
    expires_at: datetime
    secret: str


def issue(
    session: Session,
    username: str,
    label: str,
    secret: str,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    actor: str,
) -> Issued:
    """A token for an active user, valid ``days`` days; audited, never commits. ``secret``
    comes from ``crm.security.new_api_token``."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"有效期须为 1 至 {MAX_DAYS} 天")
    label = label.strip()
    if not label or len(label) > 128:
        raise InvalidInput("请写明令牌的用途（不超过128个字符）")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None or not user.active:
        raise NotFound("用户", username)
    token = ApiToken(
        user_id=user.id,
        token_hash=token_digest(secret),
        label=label,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session, actor, "issue_api_token", "api_token", token.id, user=user.username, label=label
    )
    return Issued(token.id, user.username, token.expires_at, secret)


def revoke(session: Session, token_id: int, *, now: datetime, actor: str) -> ApiToken:
    """End a token at once (it answers 401 from now on); audited, never commits."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("API 令牌", token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, actor, "revoke_api_token", "api_token", token.id)
    return token


def tokens(session: Session, username: str | None = None) -> list[dict[str, Any]]:
    """Every token (of one user), newest first, without anything of the secret."""
    query = (
        select(ApiToken, StaffUser)
        .join(StaffUser, StaffUser.id == ApiToken.user_id)
        .order_by(ApiToken.id.desc())
    )
    if username:
        query = query.where(StaffUser.username == username)
    return [
        {
            "id": t.id,
            "username": u.username,
            "label": t.label,
            "created_by": t.created_by,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "revoked_at": t.revoked_at,
            "last_used_at": t.last_used_at,
        }
        for t, u in session.execute(query)
    ]


def holder(session: Session, secret: str, *, now: datetime, route: str) -> Staff:
    """The member of staff a presented token acts as; the use is recorded (audit log, last
    use) under them. Raises ``Unauthenticated`` for an unknown, revoked or expired token, or
    one whose user was deactivated. Commits the record of the use."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None:
        raise Unauthenticated(UNKNOWN)
    if token.revoked_at is not None:
        raise Unauthenticated(REVOKED)
    if token.expires_at <= now:
        raise Unauthenticated(EXPIRED)
    user = session.get(StaffUser, token.user_id)
    if user is None or not user.active:
        raise Unauthenticated(USER_GONE)
    token.last_used_at = now
    audit.record(session, user.username, "api_token_use", "api_token", token.id, route=route)
    staff = staff_of(user, session.get(WebCredential, user.id))
    session.commit()
    return staff
