from tests.databases import (  # noqa: F401
    db_url,
    postgres_server,
    postgres_template,
    session,
    session_factory,
    sqlite_template,
)
