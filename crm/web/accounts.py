"""Create and change staff accounts (the CLI's create-admin and the admin console use these)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.domain.access import Role
from crm.models.workorders import StaffUser
from crm.services import audit
from crm.web.auth import hash_password
from crm.web.models import WebCredential

MIN_PASSWORD = 10


class AccountError(ValueError):
    pass


def set_account(
    session: Session,
    username: str,
    password: str,
    roles: Iterable[Role | str],
    *,
    display_name: str | None = None,
    extension: str | None = None,
    actor: str = "cli",
) -> StaffUser:
    """Create the user (or update roles and password of an existing one); never commits."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("工号不能为空，且不超过64个字符")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    role_values = sorted({Role(r).value for r in roles})
    if not role_values:
        raise AccountError("至少选择一个角色")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        user = StaffUser(username=username, display_name=display_name or username, roles=[])
        session.add(user)
    user.roles = role_values
    if display_name:
        user.display_name = display_name
    user.active = True
    session.flush()
    if extension:
        taken = session.scalar(
            select(WebCredential).where(
                WebCredential.agent_extension == extension, WebCredential.user_id != user.id
            )
        )
        if taken is not None:
            raise AccountError(f"分机 {extension} 已绑定其他用户")
    cred = session.get(WebCredential, user.id)
    if cred is None:
        cred = WebCredential(user_id=user.id, password_hash="", session_epoch=0)
        session.add(cred)
    else:
        cred.session_epoch = (cred.session_epoch or 0) + 1
    cred.password_hash = hash_password(password)
    cred.agent_extension = extension or None
    session.flush()
    audit.record(session, actor, "set_account", "staff_user", user.id, roles=role_values)
    return user
