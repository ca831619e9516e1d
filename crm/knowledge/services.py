"""Knowledge-base search for Chinese text, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm).

Chinese has no spaces, so word-based full-text search finds nothing without a segmenter. Both
backends instead index character trigrams: any term of three or more characters (身份证, 公积金)
is a substring match served by the index. Shorter terms (社保) are matched with LIKE, which is
still correct, just not indexed. A query is split on spaces and punctuation into terms; an article
matches when it contains every term, and results are ranked by how many times they occur.

When nothing contains every term (an agent typed the caller's whole question, 身份证丢了怎么补办),
``search`` falls back to the query's character trigrams and ranks articles by how many of them
they share, so the agent still sees the likely standard answer first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from crm.models.knowledge import KbArticle

_SPLIT = re.compile(r"[\s,，。、？?！!；;：:\"“”'‘’()（）]+")


@dataclass(frozen=True)
class Hit:
    article: KbArticle
    score: float


def terms_of(query: str) -> list[str]:
    return [t for t in _SPLIT.split(query.strip()) if t]


def _fts_query(terms: list[str]) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def search(session: Session, query: str, limit: int = 10) -> list[Hit]:
    terms = terms_of(query)
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    dialect = session.get_bind().dialect.name
    base = select(KbArticle).where(KbArticle.active.is_(True))
    for t in short_terms:
        pattern = f"%{t}%"
        base = base.where(or_(KbArticle.title.like(pattern), KbArticle.body.like(pattern)))
    if dialect == "sqlite" and long_terms:
        ids = select(text("rowid")).select_from(text("kb_fts")).where(text("kb_fts MATCH :q"))
        base = base.where(KbArticle.id.in_(ids)).params(q=_fts_query(long_terms))
    else:
        haystack = KbArticle.title + " " + KbArticle.body
        if long_terms:
            base = base.where(and_(*(haystack.ilike(f"%{t}%") for t in long_terms)))
    articles = list(session.scalars(base))
    if not articles:
        return _fuzzy(session, terms, dialect, limit)
    hits = []
    for article in articles:
        doc = f"{article.title}\n{article.body}"
        score = sum(doc.count(t) + 2 * article.title.count(t) for t in terms)
        hits.append(Hit(article, float(score)))
    hits.sort(key=lambda h: (-h.score, h.article.id))
    return hits[:limit]


def count_articles(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(KbArticle)) or 0)


def _fuzzy(session: Session, terms: list[str], dialect: str, limit: int) -> list[Hit]:
    grams = sorted({t[i : i + 3] for t in terms for i in range(max(len(t) - 2, 1))})
    base = select(KbArticle).where(KbArticle.active.is_(True))
    if dialect == "sqlite":
        ids = select(text("rowid")).select_from(text("kb_fts")).where(text("kb_fts MATCH :q"))
        query = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams if len(g) == 3)
        if not query:
            return []
        base = base.where(KbArticle.id.in_(ids)).params(q=query)
    else:
        haystack = KbArticle.title + " " + KbArticle.body
        base = base.where(or_(*(haystack.ilike(f"%{g}%") for g in grams)))
    hits = []
    for article in session.scalars(base):
        doc = f"{article.title}\n{article.body}"
        hits.append(Hit(article, float(sum(g in doc for g in grams))))
    hits.sort(key=lambda h: (-h.score, h.article.id))
    return hits[:limit]


def kb_for(session: Session, text: str, limit: int = 5) -> list[dict[str, Any]]:
    """Knowledge-base answers that fit ``text`` (the IVR choice, a search), shortened."""
    if not text:
        return []
    return [
        {"id": h.article.id, "title": h.article.title, "body": h.article.body[:400]}
        for h in search(session, text, limit)
    ]
