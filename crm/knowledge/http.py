"""Knowledge base (知识库): search while on the phone, edit as an admin."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from callmodel.fields import Id, Limit, SearchText
from crm.directory.http import _get, _save
from crm.http.deps import SessionDep, UserDep
from crm.http.errors import API_ERRORS
from crm.knowledge.services import search
from crm.models.knowledge import KbArticle
from crm.orders import schemas as s

router = APIRouter(prefix="/api/kb", tags=["knowledge base 知识库"], responses=API_ERRORS)


@router.get("/search", response_model=list[s.SearchHitOut], summary="全文检索（中文）")
def search_articles(
    session: SessionDep, user: UserDep, q: SearchText, limit: Limit = 10
) -> list[s.SearchHitOut]:
    return [
        s.SearchHitOut(article=s.ArticleOut.model_validate(h.article), score=h.score)
        for h in search(session, q, limit)
    ]


@router.get("/articles", response_model=list[s.ArticleOut])
def list_articles(session: SessionDep, user: UserDep) -> list[KbArticle]:
    return list(session.scalars(select(KbArticle).order_by(KbArticle.id)))


@router.get("/articles/{article_id}", response_model=s.ArticleOut)
def get_article(article_id: Id, session: SessionDep, user: UserDep) -> KbArticle:
    return _get(session, KbArticle, article_id, "知识库条目")


@router.post("/articles", response_model=s.ArticleOut, status_code=201)
def create_article(body: s.ArticleIn, session: SessionDep, user: UserDep) -> KbArticle:
    data = {**body.model_dump(), "updated_by": user.username}
    return _save(session, user, KbArticle(), data, "kb_article")


@router.put("/articles/{article_id}", response_model=s.ArticleOut)
def update_article(
    article_id: Id, body: s.ArticleIn, session: SessionDep, user: UserDep
) -> KbArticle:
    row = _get(session, KbArticle, article_id, "知识库条目")
    return _save(
        session, user, row, {**body.model_dump(), "updated_by": user.username}, "kb_article"
    )
