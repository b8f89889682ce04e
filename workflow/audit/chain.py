"""Appending to the hash-chained audit trail, in the caller's transaction.

Each event's hash is SHA-256 over the previous event's hash (64 hex characters, ASCII) followed by
the canonical JSON of the event's own fields (sorted keys, UTF-8, no insignificant whitespace):
`seq`, `occurred_at` (ISO-8601 UTC with microseconds and "Z"), `actor_id`, `actor_name`, `role`,
`object_type`, `object_id`, `action`, `payload`. Python alone computes it, after locking the head,
on every database: the bytes have one definition (canonical_record, which is canonical_json of the
whole record), and scripts/verify_audit_export.py recomputes them with the standard library alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.access.roles import SYSTEM
from workflow.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from workflow.core.clock import ROME, Clock, as_utc, rome_today
from workflow.core.transaction import operation
from workflow.extensions import db

# json.dumps(..., ensure_ascii=False) escapes strings with exactly this function.
_string = json.encoder.encode_basestring

SYSTEM_ACTOR = "sistema"  # actor_name of the events nobody in particular caused
PUBLISHERS = OPERATIONS["audit.checkpoint"]


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8, no insignificant whitespace: the same text on every database.

    Strings are escaped by the json module (quotes, backslashes and control characters; the rest,
    U+2028 and emoji included, kept as they are); numbers are written as Python writes them
    (`1.5`, `1e-07`, `10000000000000000000000`).
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def iso_utc(instant: datetime) -> str:
    """An instant as the chain records it: ISO-8601 in UTC, microseconds, "Z"."""
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
    """The canonical bytes of an event (UTF-8), with the stored, already canonical, payload text.

    Byte for byte canonical_json() of the whole record as a dict (tests/audit prove it on awkward
    text and numbers), which is what the offline verifier computes; written out by hand because
    verifying a million events should not pay for a dict and a full serialisation per event.
    `occurred_at` is iso_utc() of the event's time.
    """
    actor = "null" if actor_id is None else str(int(actor_id))
    return (
        f'{{"action":{_string(action)},"actor_id":{actor},"actor_name":{_string(actor_name)},'
        f'"object_id":{_string(object_id)},"object_type":{_string(object_type)},'
        f'"occurred_at":{_string(occurred_at)},"payload":{payload_json},'
        f'"role":{_string(role)},"seq":{int(seq)}}}'
    ).encode()


def chain_hash(prev_hash: str, record_bytes: bytes) -> str:
    """SHA-256 over the previous hash (64 hex characters, ASCII) then the record's bytes; hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(record_bytes)
    return digest.hexdigest()


def record_bytes_of(event: AuditEvent) -> bytes:
    """The canonical bytes of a stored event, as verification recomputes them."""
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


_EVENTS = AuditEvent.__table__
_HEAD = AuditHead.__table__
# Built once (every operation appends): no statement building and no cache key per event.
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_EVENTS = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _lock_head() -> tuple[int, str]:
    """Lock the chain head and read it afresh: (seq, hash) of the newest event.

    FOR UPDATE on PostgreSQL (SQLite transactions are BEGIN IMMEDIATE). A Core row, not an ORM
    object: a copy kept in the session's identity map could be older than the row just locked.
    """
    seq, hash_ = db.session.execute(_LOCK_HEAD).one()
    return seq, hash_


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

    `role` is a code of workflow/access/roles.py (ROLE_CODES, or SYSTEM / USER / ANONYMOUS).
    Concurrent writers queue on the head lock, so the chain stays linear; `prev_hash` is UNIQUE as
    a backstop against a fork. A rolled-back transaction leaves no event and no gap.
    """
    return append(
        actor=actor, role=role, entries=[(object_type, object_id, action, payload)], clock=clock
    )[0]


def append(
    *,
    actor: User | None,
    role: str,
    entries: Iterable[tuple[str, object, str, dict[str, Any]]],
    clock: Clock,
) -> list[AuditEvent]:
    """Append events (object_type, object_id, action, payload) in order, under one head lock.

    Lock the head, hash in Python (the seq is known once the head is locked), insert the events,
    move the head: three statements on any database, the database hashing nothing. Written with
    Core statements, outside the session's unit of work: the rows are in the database when this
    returns, and the events returned are detached copies of them.
    """
    occurred_at = as_utc(clock.now())
    occurred = iso_utc(occurred_at)
    rows = [_own_fields(actor, role, occurred_at, entry) for entry in entries]
    if not rows:
        return []
    seq, prev = _lock_head()
    for row in rows:
        seq += 1
        own = chain_hash(prev, _record_of(row, seq, occurred))
        row.update(seq=seq, prev_hash=prev, hash=own)
        prev = own
    db.session.execute(_INSERT_EVENTS, rows)
    db.session.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return [AuditEvent(**row) for row in rows]


def _own_fields(
    actor: User | None,
    role: str,
    occurred_at: datetime,
    entry: tuple[str, object, str, dict[str, Any]],
) -> dict[str, Any]:
    """An event's row without its place in the chain (seq, prev_hash, hash)."""
    object_type, object_id, action, payload = entry
    return {
        "occurred_at": occurred_at,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.full_name if actor else SYSTEM_ACTOR,
        "role": role,
        "object_type": object_type,
        "object_id": str(object_id),
        "action": action,
        "payload": canonical_json(payload),
    }


def _record_of(row: dict[str, Any], seq: int, occurred: str) -> bytes:
    """The canonical bytes of a row of _own_fields at `seq` (`occurred`: its time, iso_utc)."""
    return canonical_record(
        seq,
        occurred,
        row["actor_id"],
        row["actor_name"],
        row["role"],
        row["object_type"],
        row["object_id"],
        row["action"],
        row["payload"],
    )


def publish_checkpoint(*, actor: User | None, clock: Clock) -> AuditCheckpoint:
    """Record the current chain head as a checkpoint, itself an event of the chain.

    A chain alone cannot reveal a truncated tail or a chain recomputed from scratch; a head that was
    published (on the public Albo pages) and noted by anyone can. `actor` None is the system (the
    scheduler's daily job, `flask audit checkpoint` run on the server), recorded with role SYSTEM;
    a person must hold a role of the rights table's "audit.checkpoint" (the Segretario Generale),
    or be delegated it by a delegation valid on the clock's day (Europe/Rome): NotAllowed
    otherwise. Not decorated: callers own the transaction (checkpoint_now is the decorated one).
    """
    role = (
        SYSTEM
        if actor is None
        else acting_role(actor, PUBLISHERS, "pubblicare un checkpoint", clock=clock)
    )
    seq, hash_ = _lock_head()
    checkpoint = AuditCheckpoint(seq=seq, hash=hash_, created_at=as_utc(clock.now()))
    db.session.add(checkpoint)
    record(
        actor=actor,
        role=role,
        object_type="audit",
        object_id=seq,
        action="audit.checkpoint",
        payload={"seq": seq, "hash": hash_},
        clock=clock,
    )
    return checkpoint


checkpoint_now = operation(publish_checkpoint)


@operation
def publish_daily_checkpoint(*, clock: Clock) -> AuditCheckpoint | None:
    """The scheduler's daily checkpoint, by the system: at most one a day (Europe/Rome).

    None when one exists for today. Idempotent, so a restart, a catch-up run or a second scheduler
    publishes nothing twice: the chain head is locked before today's checkpoint is looked for, so
    of two schedulers starting together the second waits for the first to commit, then sees its
    checkpoint (FOR UPDATE on PostgreSQL, whose next statement reads what was committed meanwhile;
    BEGIN IMMEDIATE on SQLite). Looking first and locking after let both publish.
    """
    _lock_head()
    latest = latest_checkpoint()
    if latest is not None and as_utc(latest.created_at).astimezone(ROME).date() == rome_today(
        clock
    ):
        return None
    return publish_checkpoint(actor=None, clock=clock)


def latest_checkpoint() -> AuditCheckpoint | None:
    """The newest published checkpoint (highest seq), None before the first."""
    return next(iter(recent_checkpoints(1)), None)


def recent_checkpoints(limit: int) -> list[AuditCheckpoint]:
    """The `limit` most recently published checkpoints, newest first."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit)
    return list(db.session.scalars(query))
