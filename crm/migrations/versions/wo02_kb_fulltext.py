"""knowledge-base full-text search for Chinese

SQLite: an external-content FTS5 table with the trigram tokenizer (SQLite >= 3.34), which matches
any substring of three or more characters, so 身份证 is found in 补办身份证需要什么材料 without a
word segmenter; triggers keep it in step with kb_articles.
PostgreSQL: pg_trgm and a GIN trigram index on title || body, used by ILIKE '%…%'. The extension
needs a superuser (or a trusted-extension grant) the first time.

Revision ID: wo02
Revises: wo01
Create Date: 2026-11-28
"""

from alembic import op

revision = "wo02"
down_revision = "wo01"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE kb_fts USING fts5(
        title, body, content='kb_articles', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER kb_fts_ai AFTER INSERT ON kb_articles BEGIN
        INSERT INTO kb_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    """CREATE TRIGGER kb_fts_ad AFTER DELETE ON kb_articles BEGIN
        INSERT INTO kb_fts(kb_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body); END""",
    """CREATE TRIGGER kb_fts_au AFTER UPDATE ON kb_articles BEGIN
        INSERT INTO kb_fts(kb_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO kb_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    "INSERT INTO kb_fts(kb_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS kb_fts_au",
    "DROP TRIGGER IF EXISTS kb_fts_ad",
    "DROP TRIGGER IF EXISTS kb_fts_ai",
    "DROP TABLE IF EXISTS kb_fts",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_kb_articles_trgm ON kb_articles "
    "USING gin ((title || ' ' || body) gin_trgm_ops)",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_kb_articles_trgm"]


def _run(statements: dict[str, list[str]]) -> None:
    for sql in statements.get(op.get_bind().dialect.name, []):
        op.execute(sql)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})
