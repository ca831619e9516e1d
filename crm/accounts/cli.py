"""``hotline create-admin USERNAME``: the first system administrator; there are no defaults.

``hotline api-token create|list|revoke``: personal API tokens for scripts (crm/accounts/tokens.py).
A token acts as exactly its user; the secret is printed once and only its hash is kept.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from crm import db
from crm.accounts import tokens
from crm.accounts.services import AccountError, set_account
from crm.domain.access import Role
from crm.domain.errors import HotlineError
from crm.security import new_api_token
from hotline.settings import Settings

CLI = "cli"
R = TypeVar("R")


def create_admin(settings: Settings, username: str, password_stdin: bool = False) -> int:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码: ")
        if getpass.getpass("再次输入密码: ") != password:
            print("两次输入的密码不一致", file=sys.stderr)
            return 1
    db.upgrade(settings.db_url)
    engine = db.make_engine(settings.db_url)
    try:
        with db.transaction(db.make_sessionmaker(engine)) as session:
            set_account(
                session,
                username,
                password,
                [Role.ADMIN],
                actor="cli",
                min_score=settings.sign_in.password_min_score,
            )
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"已创建系统管理员 {username}")
    return 0


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """One transaction on the hotline's (migrated) database."""
    db.upgrade(settings.db_url)
    engine = db.make_engine(settings.db_url)
    try:
        with db.transaction(db.make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _run(settings: Settings, work: Callable[[Session], R]) -> R | None:
    """``work`` in one transaction; a refusal is printed (Chinese) and None returned."""
    try:
        with _session(settings) as session:
            return work(session)
    except HotlineError as exc:
        print(exc.message, file=sys.stderr)
        return None


def create_api_token(settings: Settings, username: str, label: str, days: int) -> int:
    """Issue a token for ``username`` and print it, once."""
    now = datetime.now(UTC)
    issued = _run(
        settings,
        lambda s: tokens.issue(s, username, label, new_api_token(), now=now, days=days, actor=CLI),
    )
    if issued is None:
        return 1
    until = f"{issued.expires_at:%Y-%m-%d}"
    # The secret alone on stdout (TOKEN=$(hotline api-token create …)); the rest on stderr.
    print(f"已为 {issued.username} 创建 API 令牌 #{issued.id}，有效期至 {until}。", file=sys.stderr)
    print("令牌只显示这一次，请妥善保存。", file=sys.stderr)
    print(issued.secret)
    return 0


def list_api_tokens(settings: Settings, username: str | None) -> int:
    """Every token (of one user): who, what for, until when, revoked or not; never a secret."""
    rows = _run(settings, lambda s: tokens.tokens(s, username))
    if rows is None:
        return 1
    for row in rows:
        state = "已撤销" if row["revoked_at"] else f"至 {row['expires_at']:%Y-%m-%d}"
        used = f"{row['last_used_at']:%Y-%m-%d %H:%M}" if row["last_used_at"] else "未使用"
        print(f"#{row['id']}\t{row['username']}\t{row['label']}\t{state}\t最近使用 {used}")
    return 0


def revoke_api_token(settings: Settings, token_id: int) -> int:
    """End a token at once."""
    now = datetime.now(UTC)
    if _run(settings, lambda s: tokens.revoke(s, token_id, now=now, actor=CLI)) is None:
        return 1
    print(f"已撤销 API 令牌 #{token_id}")
    return 0
