"""The territory as data: load the Comuni and Unioni shipped with the app, keep the Forum's member
list and every body's contact addresses (PEC or e-mail) up to date."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.access.roles import SYSTEM
from workflow.audit import chain as audit
from workflow.consultations import territory_data as territory
from workflow.consultations.models import COMUNE, FORUM, UNIONE, Body, BodyAddress, UnionMember
from workflow.core.clock import Clock
from workflow.core.errors import Conflict, InvalidData, NotFound
from workflow.core.transaction import operation
from workflow.extensions import db
from workflow.mail.settings import checked_address

MANAGERS = OPERATIONS["territory.manage"]


@operation
def load(*, clock: Clock) -> int:
    """Create the Comuni (with their zone) and the Unioni that are missing; returns rows created.

    Idempotent: run by `flask territorio` and by the demo, as often as one likes.
    """
    existing = {(b.kind, b.name): b for b in db.session.scalars(select(Body))}
    created = 0
    for name, zone in territory.comuni():
        if (COMUNE, name) not in existing:
            existing[(COMUNE, name)] = body = Body(kind=COMUNE, name=name, zone=zone)
            db.session.add(body)
            created += 1
    for union_name, members in territory.UNIONS.values():
        if (UNIONE, union_name) in existing:
            continue
        union = Body(kind=UNIONE, name=union_name, zone=None)
        db.session.add(union)
        db.session.flush()
        for member in members:
            db.session.add(UnionMember(union_id=union.id, comune_id=existing[(COMUNE, member)].id))
        created += 1
    if created:
        audit.record(
            actor=None,
            role=SYSTEM,
            object_type="territory",
            object_id="load",
            action="territory.loaded",
            payload={"created": created},
            clock=clock,
        )
    return created


def bodies(kind: str | None = None) -> list[Body]:
    query = select(Body).order_by(Body.kind, Body.name)
    if kind:
        query = query.where(Body.kind == kind)
    return list(db.session.scalars(query))


def get(body_id: int) -> Body:
    body = db.session.get(Body, body_id)
    if body is None:
        raise NotFound(f"Ente {body_id} non trovato.")
    return body


def union_members() -> dict[int, list[str]]:
    """Union id → names of its member Comuni."""
    rows = db.session.execute(
        select(UnionMember.union_id, Body.name)
        .join(Body, Body.id == UnionMember.comune_id)
        .order_by(Body.name)
    )
    members: dict[int, list[str]] = {}
    for union_id, name in rows:
        members.setdefault(union_id, []).append(name)
    return members


@operation
def set_addresses(body_id: int, addresses: Iterable[str], *, actor: User, clock: Clock) -> Body:
    """Replace the contact addresses (PEC or e-mail) of a body; audited with before and after.

    Raises NotFound, NotAllowed, InvalidData (an address that is not an address).
    """
    role = acting_role(actor, MANAGERS, "modificare gli indirizzi degli enti", clock=clock)
    body = get(body_id)
    wanted: list[str] = []
    for raw in addresses:
        address = raw.strip()
        if not address:
            continue
        address = checked_address(address)
        if address.lower() not in {a.lower() for a in wanted}:
            wanted.append(address)
    before = [a.address for a in body.addresses]
    if sorted(before) == sorted(wanted):
        return body
    # Keep the rows that stay: deleting and re-inserting the same address in one flush would
    # trip UNIQUE(body, address), since the unit of work inserts before it deletes.
    kept = [a for a in body.addresses if a.address in wanted]
    body.addresses = kept + [BodyAddress(address=a) for a in wanted if a not in before]
    audit.record(
        actor=actor,
        role=role,
        object_type="body",
        object_id=body.id,
        action="body.addresses",
        payload={"name": body.name, "before": before, "after": wanted},
        clock=clock,
    )
    return body


@operation
def add_forum_member(
    name: str, *, actor: User, clock: Clock, addresses: Iterable[str] = ()
) -> Body:
    """Add a member to the Forum metropolitano's list.

    Raises NotAllowed, InvalidData (no name or a bad address), Conflict (already a member).
    """
    role = acting_role(actor, MANAGERS, "modificare il Forum metropolitano", clock=clock)
    name = " ".join(name.split())
    if not name:
        raise InvalidData("Manca il nome del componente del Forum.")
    if db.session.scalar(select(Body.id).where(Body.kind == FORUM, Body.name == name)):
        raise Conflict(f"«{name}» è già componente del Forum metropolitano.")
    clean = [checked_address(a.strip()) for a in addresses if a.strip()]
    body = Body(kind=FORUM, name=name, zone=None)
    body.addresses = [BodyAddress(address=a) for a in dict.fromkeys(clean)]
    db.session.add(body)
    db.session.flush()
    audit.record(
        actor=actor,
        role=role,
        object_type="body",
        object_id=body.id,
        action="forum.member_added",
        payload={"name": name, "addresses": clean},
        clock=clock,
    )
    return body


@operation
def set_forum_member_active(body_id: int, active: bool, *, actor: User, clock: Clock) -> Body:
    """A member leaves (or rejoins) the Forum; past contributions stay. Raises NotFound,
    NotAllowed, InvalidData (not a Forum member)."""
    role = acting_role(actor, MANAGERS, "modificare il Forum metropolitano", clock=clock)
    body = get(body_id)
    if body.kind != FORUM:
        raise InvalidData("Solo i componenti del Forum si aggiungono o si tolgono dall'elenco.")
    if body.active != active:
        body.active = active
        audit.record(
            actor=actor,
            role=role,
            object_type="body",
            object_id=body.id,
            action="forum.member_active" if active else "forum.member_inactive",
            payload={"name": body.name},
            clock=clock,
        )
    return body
