"""A change the database refuses is answered 409 or 422 with a Chinese message (crm/http/errors.py),
from SQLite's own errors and from PostgreSQL's SQLSTATE alike."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from crm.domain.errors import Conflict, InvalidInput
from crm.http.errors import install_error_handler, integrity_refusal
from crm.models.knowledge import KbArticle
from crm.models.workorders import StaffUser, Unit


def refusal_of(sessions: sessionmaker[Session], *rows: object) -> IntegrityError:
    with sessions() as session:
        session.add_all(rows)
        with pytest.raises(IntegrityError) as caught:
            session.flush()
        return caught.value


def test_a_duplicate_on_sqlite_is_a_conflict_naming_the_field(
    sessions: sessionmaker[Session],
) -> None:
    error = refusal_of(sessions, Unit(code="u1", name="单位甲"), Unit(code="u1", name="单位乙"))
    refusal = integrity_refusal(error)
    assert isinstance(refusal, Conflict) and refusal.status == 409
    assert refusal.message == "已存在相同的单位编码，不能重复保存"
    slug = refusal_of(
        sessions,
        KbArticle(slug="a", title="t", body="b", updated_by="x"),
        KbArticle(slug="a", title="t", body="b", updated_by="x"),
    )
    assert "知识库条目标识" in integrity_refusal(slug).message


def test_a_reference_to_nothing_on_sqlite_is_invalid_input(
    sessions: sessionmaker[Session],
) -> None:
    error = refusal_of(sessions, StaffUser(username="u", display_name="u", roles=[], unit_id=99))
    refusal = integrity_refusal(error)
    assert isinstance(refusal, InvalidInput) and refusal.status == 422
    assert "不存在" in refusal.message


@dataclass
class Diag:
    table_name: str


class PgError(Exception):
    """What psycopg raises: the SQLSTATE and the table in ``diag``."""

    def __init__(self, sqlstate: str, text: str, table: str) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate
        self.diag = Diag(table)


def pg(sqlstate: str, text: str, table: str = "staff_users") -> IntegrityError:
    return IntegrityError("INSERT …", {"username": "secret"}, PgError(sqlstate, text, table))


def test_postgresqls_refusals_are_told_apart_by_their_sqlstate() -> None:
    duplicate = pg(
        "23505",
        'duplicate key value violates unique constraint "staff_users_username_key"\n'
        "DETAIL:  Key (username)=(hl1) already exists.",
    )
    assert integrity_refusal(duplicate).message == "已存在相同的工号，不能重复保存"
    assert integrity_refusal(pg("23505", "duplicate", "other")).message == (
        "已存在相同的记录，不能重复保存"
    )
    assert isinstance(integrity_refusal(pg("23503", "violates foreign key")), InvalidInput)
    other = integrity_refusal(pg("23502", "null value in column"))
    assert isinstance(other, InvalidInput) and other.status == 422


def test_the_handler_answers_json_without_the_sql() -> None:
    app = FastAPI()
    install_error_handler(app)

    @app.post("/api/users")
    def create() -> None:
        raise pg("23505", "Key (username)=(hl1) already exists.")

    answer = TestClient(app).post("/api/users")
    assert answer.status_code == 409
    assert answer.json() == {"error": "已存在相同的工号，不能重复保存", "path": "/api/users"}
    assert "INSERT" not in answer.text and "secret" not in answer.text
