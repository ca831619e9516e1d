"""Personal API tokens for the tests: how a test acts as one member of staff over HTTP.

A test's token is known in advance (``token_of``), so module-level headers can name it; the
fixture that seeds the users grants it (``grant``), through the same ``crm.accounts.tokens``
the ``hotline api-token create`` command uses. Nothing else lets a request act as a user.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm import db
from crm.accounts import tokens
from crm.directory.services import ensure_user
from crm.domain.access import Role
from crm.models import ApiToken
from crm.security import token_digest

# A script of the floor's supervisors: reads the call path, moves any agent.
SCRIPT = "script1"
SCRIPT_ROLES = (Role.SHIFT_LEADER, Role.HOTLINE_LEADER)


def token_of(username: str) -> str:
    """The secret of the test token of ``username``."""
    return f"hlt_test-token-of-{username}"


def as_user(username: str) -> dict[str, str]:
    """Request headers acting as ``username`` (their token must be granted)."""
    return {"Authorization": f"Bearer {token_of(username)}"}


def grant(
    sessions: sessionmaker[Session],
    *usernames: str,
    now: datetime | None = None,
    days: int = tokens.MAX_DAYS,
) -> dict[str, int]:
    """Issue the test token of each user (who must exist and be active) unless it was issued
    already; their row ids."""
    issued = {}
    with db.transaction(sessions) as session:
        for name in usernames:
            digest = token_digest(token_of(name))
            found = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest))
            if found is not None:
                issued[name] = found
                continue
            token = tokens.issue(
                session, name, "tests", token_of(name),
                now=now or datetime.now(UTC), days=days, actor="tests",
            )  # fmt: skip
            issued[name] = token.id
    return issued


def script_token(
    sessions: sessionmaker[Session], username: str = SCRIPT, roles: tuple[Role, ...] = SCRIPT_ROLES
) -> dict[str, str]:
    """A member of staff for a script (created if missing) with a granted token: its headers."""
    with db.transaction(sessions) as session:
        ensure_user(session, username, username, list(roles))
    grant(sessions, username)
    return as_user(username)


def script_token_at(
    db_url: str, username: str = SCRIPT, roles: tuple[Role, ...] = SCRIPT_ROLES
) -> dict[str, str]:
    """``script_token`` for the database of a hotline or CRM the test started."""
    engine = db.make_engine(db_url)
    try:
        return script_token(db.make_sessionmaker(engine), username, roles)
    finally:
        engine.dispose()
