"""Verifying the audit chain: every hash, every link, no gap, the head and the checkpoints.
The tables and the stored files are compared with the events by workflow/audit/replay.py, fed by
the same walk (verify_chain's `observe`).

What it detects and what it cannot is written in the README ("Audit trail").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from workflow.audit.chain import canonical_json, canonical_record, chain_hash, iso_utc
from workflow.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead
from workflow.extensions import db

BATCH = 5000


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # "hash", "gap", "link", "head", "checkpoint"
    message: str


@dataclass
class Report:
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None


@dataclass(frozen=True)
class Anchor:
    """A head someone noted (a published checkpoint, or one given on the command line)."""

    seq: int
    hash: str
    source: str


_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_id,
    AuditEvent.actor_name,
    AuditEvent.role,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.action,
    AuditEvent.payload,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def event_rows(batch: int = BATCH) -> Iterator[tuple]:
    """All events in seq order, fetched in keyset pages (constant memory, any database)."""
    after = 0
    while True:
        rows = db.session.execute(
            select(*_COLUMNS).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def count_events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def anchors(extra: Iterable[Anchor] = ()) -> list[Anchor]:
    published = [
        Anchor(c.seq, c.hash, f"checkpoint del {iso_utc(c.created_at)}")
        for c in db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
    ]
    return sorted([*published, *extra], key=lambda a: a.seq)


def verify_chain(
    extra_anchors: Iterable[Anchor] = (),
    progress: Callable[[int], None] | None = None,
    observe: Callable[[tuple], None] | None = None,
) -> Report:
    """Walk the whole chain and name the first broken event and why.

    Checks, for each event: its seq follows the previous one (gap), its prev_hash is the previous
    event's hash (link), its hash is SHA-256 over prev_hash and its canonical bytes (hash). Then the
    head row must point at the last event, and every anchor (published checkpoint or noted head)
    must still be in the chain with the same hash — which reveals a truncated tail and a chain
    recomputed from scratch. `observe` sees every row walked (the tables' replay reads the chain
    in the same pass: replay.Replay.feed).
    """
    report = Report()
    expected_seq, prev_hash = 1, GENESIS_HASH
    hashes_at: dict[int, str] = {}
    wanted = {a.seq for a in anchors(extra_anchors)}

    def flag(seq: int, kind: str, message: str) -> None:
        if not report.problems:  # after the first break every later event would cascade
            report.problems.append(Problem(seq, kind, f"Evento {seq}: {message}"))

    for row in event_rows():
        seq, occurred_at, actor_id, actor_name, role, otype, oid, action, payload, prev, own = row
        if seq != expected_seq:
            flag(expected_seq, "gap", f"manca (sequenza interrotta, il successivo è {seq}).")
        if prev != prev_hash:
            flag(seq, "link", "collegamento interrotto (prev_hash diverso dall'evento precedente).")
        record = canonical_record(
            seq, iso_utc(occurred_at), actor_id, actor_name, role, otype, oid, action, payload
        )
        if chain_hash(prev, record) != own:
            flag(seq, "hash", "impronta non corrispondente (contenuto o impronta alterati).")
        if action == "audit.checkpoint" and payload != canonical_json(
            {"hash": prev, "seq": seq - 1}
        ):
            flag(seq, "checkpoint", "il checkpoint non attesta la testa che lo precede.")
        if seq in wanted:
            hashes_at[seq] = own
        expected_seq, prev_hash = seq + 1, own
        if observe:
            observe(row)
        report.checked += 1
        if progress:
            progress(1)
    report.head_seq, report.head_hash = expected_seq - 1, prev_hash
    _check_head(report)
    _check_anchors(report, anchors(extra_anchors), hashes_at)
    return report


def _check_head(report: Report) -> None:
    head = db.session.get(AuditHead, 1, populate_existing=True)
    if head is None or (head.seq, head.hash) != (report.head_seq, report.head_hash):
        recorded = head.seq if head else "—"
        message = (
            f"Testa della catena incoerente: registrata {recorded}, ultimo evento presente "
            f"{report.head_seq} (eventi finali rimossi, o aggiunti fuori dal servizio)."
        )
        report.problems.append(Problem(report.head_seq + 1, "head", message))


def _check_anchors(report: Report, known: list[Anchor], hashes_at: dict[int, str]) -> None:
    for anchor in known:
        found = hashes_at.get(anchor.seq)
        if anchor.seq == 0 or found == anchor.hash:
            continue
        if found is None:
            why = f"manca, ma il {anchor.source} attesta la testa {anchor.seq} "
            why += f"({anchor.hash[:16]}…): coda della catena troncata."
        else:
            why = f"impronta diversa da quella attestata dal {anchor.source} (catena ricalcolata)."
        report.problems.append(Problem(anchor.seq, "checkpoint", f"Evento {anchor.seq}: {why}"))
