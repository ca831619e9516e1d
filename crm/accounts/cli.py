"""``hotline create-admin USERNAME``: the first system administrator; there are no defaults."""

from __future__ import annotations

import getpass
import sys

from crm import db
from crm.accounts.services import AccountError, set_account
from crm.domain.access import Role
from hotline.settings import Settings


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
