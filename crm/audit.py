"""The audit log: every write, and every read of a confidential report, with the acting user."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm.models.workorders import AuditEntry


def record(
    session: Session, actor: str, action: str, entity: str, entity_id: object, **detail: Any
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail={k: v for k, v in detail.items() if v is not None},
    )
    session.add(entry)
    return entry
