"""Chinese full-text search of the knowledge base on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from crm.knowledge.services import search, terms_of
from crm.models.knowledge import KbArticle
from tests.helpers import seed


@pytest.fixture
def db(session: Session) -> Session:
    seed(session)
    return session


def slugs(db: Session, query: str) -> list[str]:
    return [hit.article.slug for hit in search(db, query)]


def test_finds_id_card_inside_the_question_title(db: Session) -> None:
    assert slugs(db, "身份证")[0] == "id-card-reissue"


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("公积金", "housing-fund-withdrawal"),
        ("社保", "social-security-card"),  # two characters: below the trigram size
        ("养老金 认证", "pension-certification"),
        ("身份证丢了怎么补办", "id-card-reissue"),  # whole question: trigram fallback
    ],
)
def test_search_variants(db: Session, query: str, slug: str) -> None:
    assert slugs(db, query)[0] == slug


def test_no_match_returns_nothing(db: Session) -> None:
    assert slugs(db, "火星移民") == []
    assert search(db, "  ") == []


def test_edited_and_new_articles_are_searchable(db: Session) -> None:
    db.add(KbArticle(slug="dog-licence", title="养犬登记办理", body="携带犬只免疫证明到派出所办理"))
    db.flush()
    assert slugs(db, "养犬登记") == ["dog-licence"]
    article = db.query(KbArticle).filter_by(slug="dog-licence").one()
    article.title = "犬只登记办理"
    db.flush()
    assert slugs(db, "犬只登记") == ["dog-licence"]
    assert slugs(db, "养犬登记") == []


def test_inactive_articles_are_hidden(db: Session) -> None:
    article = db.query(KbArticle).filter_by(slug="id-card-reissue").one()
    article.active = False
    db.flush()
    assert "id-card-reissue" not in slugs(db, "身份证")


def test_terms_split_on_chinese_punctuation() -> None:
    assert terms_of("身份证，补办？ 材料") == ["身份证", "补办", "材料"]
