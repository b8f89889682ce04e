"""Appending to the hash-chained audit trail, in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow.clock import Clock, as_utc
from workflow.extensions import db
from workflow.models import AuditEvent, AuditHead, User

SYSTEM_ACTOR = "sistema"


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8, no insignificant whitespace: the same bytes on SQLite and PostgreSQL."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical bytes of the event's own fields."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_json(record).encode("utf-8"))
    return digest.hexdigest()


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields an event's hash covers (everything but the hashes themselves)."""
    return {
        "seq": event.seq,
        "occurred_at": iso_utc(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "role": event.role,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "action": event.action,
        "payload": json.loads(event.payload),
    }


def iso_utc(instant: datetime) -> str:
    return as_utc(instant).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(
    *,
    actor: User | None,
    role: str,
    object_type: str,
    object_id: object,
    action: str,
    payload: dict[str, Any],
    clock: Clock,
) -> AuditEvent:
    """Append one event to the chain inside the current transaction (no commit here).

    The head row is locked first (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions are
    BEGIN IMMEDIATE), so concurrent writers queue up and the chain stays linear.
    """
    head = db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    # Microsecond precision survives both databases, so the stored time hashes the same later.
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=as_utc(clock.now()),
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else SYSTEM_ACTOR,
        role=role,
        object_type=object_type,
        object_id=str(object_id),
        action=action,
        payload=canonical_json(payload),
        prev_hash=head.hash,
    )
    event.hash = event_hash(head.hash, hashed_fields(event))
    head.seq, head.hash = event.seq, event.hash
    db.session.add(event)
    return event
