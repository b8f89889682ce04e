"""Appending to the hash-chained audit trail, in the caller's transaction.

Each event's hash is SHA-256 over the previous event's hash (64 hex characters, ASCII) followed by
the canonical JSON of the event's own fields (sorted keys, UTF-8, no insignificant whitespace):
`seq`, `occurred_at` (ISO-8601 UTC with microseconds and "Z"), `actor_id`, `actor_name`, `role`,
`object_type`, `object_id`, `action`, `payload`. The same bytes come out of SQLite and PostgreSQL,
and scripts/verify_audit_export.py recomputes them with the standard library alone.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow.clock import Clock, as_utc
from workflow.extensions import db
from workflow.models import AuditCheckpoint, AuditEvent, AuditHead, User
from workflow.services.transaction import operation

# json.dumps(..., ensure_ascii=False) escapes strings with exactly this function.
_string = json.encoder.encode_basestring

SYSTEM_ACTOR = "sistema"
SYSTEM_ROLE = "sistema"


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8, no insignificant whitespace: the same text on every database."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def iso_utc(instant: datetime) -> str:
    return as_utc(instant).isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical_record(
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    actor_name: str,
    role: str,
    object_type: str,
    object_id: str,
    action: str,
    payload_json: str,
) -> bytes:
    """The canonical bytes of an event, with the stored (already canonical) payload text embedded.

    Byte for byte what canonical_json() gives for the whole record (keys in sorted order, strings
    escaped by the json module's own encoder); written out by hand because verifying a million
    events should not pay for a dict and a full serialisation per event.
    """
    actor = "null" if actor_id is None else str(int(actor_id))
    return (
        f'{{"action":{_string(action)},"actor_id":{actor},"actor_name":{_string(actor_name)},'
        f'"object_id":{_string(object_id)},"object_type":{_string(object_type)},'
        f'"occurred_at":{_string(occurred_at)},"payload":{payload_json},'
        f'"role":{_string(role)},"seq":{int(seq)}}}'
    ).encode()


def chain_hash(prev_hash: str, record_bytes: bytes) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(record_bytes)
    return digest.hexdigest()


def record_bytes_of(event: AuditEvent) -> bytes:
    return canonical_record(
        event.seq,
        iso_utc(event.occurred_at),
        event.actor_id,
        event.actor_name,
        event.role,
        event.object_type,
        event.object_id,
        event.action,
        event.payload,
    )


def _lock_head() -> AuditHead:
    """Lock the chain head (FOR UPDATE on PostgreSQL; SQLite transactions are BEGIN IMMEDIATE)."""
    return db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()


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

    Concurrent writers queue on the head lock, so the chain stays linear; `prev_hash` is UNIQUE as
    a backstop against a fork. A rolled-back transaction leaves no event and no gap.
    """
    head = _lock_head()
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
    event.hash = chain_hash(head.hash, record_bytes_of(event))
    head.seq, head.hash = event.seq, event.hash
    db.session.add(event)
    return event


def publish_checkpoint(*, actor: User | None, role: str, clock: Clock) -> AuditCheckpoint:
    """Record the current chain head as a checkpoint, itself an event of the chain.

    A chain alone cannot reveal a truncated tail or a chain recomputed from scratch; a head that was
    published (on the public Albo pages) and noted by anyone can. Called daily by the scheduler and
    on demand by the Segretario Generale. Not decorated: callers own the transaction.
    """
    head = _lock_head()
    checkpoint = AuditCheckpoint(seq=head.seq, hash=head.hash, created_at=as_utc(clock.now()))
    db.session.add(checkpoint)
    record(
        actor=actor,
        role=role,
        object_type="audit",
        object_id=head.seq,
        action="audit.checkpoint",
        payload={"seq": head.seq, "hash": head.hash},
        clock=clock,
    )
    return checkpoint


checkpoint_now = operation(publish_checkpoint)


def latest_checkpoint() -> AuditCheckpoint | None:
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))
