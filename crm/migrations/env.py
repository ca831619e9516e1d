"""Alembic environment: the URL comes from crm.db.upgrade, the models from crm.models."""

from alembic import context
from sqlalchemy import engine_from_config, pool

import crm.models
from crm.models.base import UTCDateTime

config = context.config
target_metadata = crm.models.Base.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from crm.models.base import UTCDateTime")  # type: ignore[attr-defined]
        return "UTCDateTime()"
    return False


def run_migrations() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
