"""Deadlines people manage by hand (create, settle) and the readings of the deadline pages.

The deadlines the domain derives by itself are kept by workflow/deadlines/rules.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, time

from sqlalchemy import or_, select

from workflow.access.authorize import acting_role
from workflow.access.models import User, UserRole
from workflow.access.rights import OPERATIONS
from workflow.access.roles import (
    DIREZIONE_GENERALE,
    ROLE_CODES,
)
from workflow.audit import chain as audit
from workflow.core import inputs
from workflow.core.clock import Clock, as_utc, rome_today
from workflow.core.errors import Conflict, InvalidData, NotFound
from workflow.core.transaction import operation
from workflow.deadlines.models import CANCELLED, MET, MISSED, OPEN, Deadline, DeadlineAssignee
from workflow.deadlines.rules import KIND_LABELS, Spec, close, ensure, parere_due
from workflow.extensions import db
from workflow.procedures.models import Procedure

MANAGERS = OPERATIONS["deadlines.manage"]

# --- Reading ---------------------------------------------------------------------------------


def get(deadline_id: int) -> Deadline:
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None:
        raise NotFound(f"Scadenza {deadline_id} non trovata.")
    return deadline


def for_object(object_type: str, object_id: object) -> list[Deadline]:
    return list(
        db.session.scalars(
            select(Deadline)
            .where(Deadline.object_type == object_type, Deadline.object_id == str(object_id))
            .order_by(Deadline.due_date, Deadline.id)
        )
    )


def responsible_for(user: User) -> Iterable[Deadline]:
    """Live deadlines the user answers for, by one of their roles or by name."""
    named = select(DeadlineAssignee.deadline_id).where(DeadlineAssignee.user_id == user.id)
    return db.session.scalars(
        select(Deadline)
        .where(
            Deadline.state.in_((OPEN, MISSED)),
            or_(Deadline.responsible_role.in_(user.role_codes), Deadline.id.in_(named)),
        )
        .order_by(Deadline.due_date, Deadline.id)
    )


def list_live(limit: int = 500) -> list[Deadline]:
    return list(
        db.session.scalars(
            select(Deadline)
            .where(Deadline.state.in_((OPEN, MISSED)))
            .order_by(Deadline.due_date, Deadline.id)
            .limit(limit)
        )
    )


def holders_of(role: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role, User.active.is_(True))
            .order_by(User.id)
        )
    )


def responsible_users(
    deadline: Deadline, holders: Callable[[str], list[User]] = holders_of
) -> list[User]:
    """The named assignees and every active holder of the responsible role, without repeats.

    `holders` lets a caller that handles many deadlines look each role up once.
    """
    users = {a.user_id: db.session.get(User, a.user_id) for a in deadline.assignees}
    if deadline.responsible_role:
        users.update({u.id: u for u in holders(deadline.responsible_role)})
    return [u for u in users.values() if u is not None and u.active]


# --- Operations ------------------------------------------------------------------------------


@operation
def create_deadline(
    *,
    title: str,
    actor: User,
    clock: Clock,
    due_date: date | None = None,
    working_days: int | None = None,
    counted_from: date | None = None,
    kind: str = "manuale",
    due_time: time | None = None,
    procedure_id: int | None = None,
    responsible_role: str | None = DIREZIONE_GENERALE,
    assignee_ids: Iterable[int] = (),
    legal_basis: str = "",
    description: str = "",
) -> Deadline:
    """Record a deadline by hand: a date, or "entro N giorni lavorativi" from a date (an opinion).

    Raises NotAllowed, NotFound (procedure or user), InvalidData.
    """
    role = acting_role(actor, MANAGERS, "registrare una scadenza", clock=clock)
    if not title.strip():
        raise InvalidData("Manca la descrizione della scadenza.")
    due_date, legal_basis = _due_date(due_date, working_days, counted_from, legal_basis)
    assignees = _checked_recipients(kind, responsible_role, assignee_ids, procedure_id)
    deadline = ensure(
        Spec(
            source_key=f"manual:{uuid.uuid4().hex}",
            kind=kind,
            title=title.strip(),
            object_type="procedure" if procedure_id else "deadline",
            object_id=str(procedure_id or ""),
            procedure_id=procedure_id,
            due_date=due_date,
            due_time=due_time,
            responsible_role=responsible_role,
            legal_basis=legal_basis.strip(),
            description=description.strip(),
        ),
        clock=clock,
    )
    deadline.assignees = [DeadlineAssignee(user_id=u) for u in assignees]
    db.session.flush()
    if not procedure_id:
        deadline.object_id = str(deadline.id)
    audit.record(
        actor=actor,
        role=role,
        object_type="deadline",
        object_id=deadline.id,
        action="deadline.created",
        payload=_created_payload(deadline, working_days, assignees),
        clock=clock,
    )
    return deadline


def _created_payload(
    deadline: Deadline, working_days: int | None, assignees: list[int]
) -> dict[str, object]:
    """What the audit trail keeps of a deadline recorded by hand."""
    return {
        "title": deadline.title,
        "kind": deadline.kind,
        "due_date": deadline.due_date.isoformat(),
        "due_time": deadline.due_time.isoformat() if deadline.due_time else None,
        "working_days": working_days,
        "responsible_role": deadline.responsible_role,
        "assignees": assignees,
    }


def _due_date(
    due_date: date | None, working_days: int | None, counted_from: date | None, legal_basis: str
) -> tuple[date, str]:
    """The due date and its legal basis: the date given, or N working days from a date (an
    opinion's term, counted as c.p.c. art. 155). Raises InvalidData."""
    if working_days is not None:
        if due_date is not None or counted_from is None or not 1 <= working_days <= 365:
            raise InvalidData(
                "Indicare la data, oppure i giorni lavorativi (da 1 a 365) e il giorno da cui "
                "contarli."
            )
        due_date = parere_due(counted_from, working_days)
        legal_basis = legal_basis.strip() or (
            f"{working_days} giorni lavorativi dal {counted_from:%d/%m/%Y} (c.p.c. art. 155)"
        )
    if due_date is None:
        raise InvalidData("Manca la data della scadenza.")
    return due_date, legal_basis


def _checked_recipients(
    kind: str, responsible_role: str | None, assignee_ids: Iterable[int], procedure_id: int | None
) -> list[int]:
    """The assignees' ids, sorted, once each, after checking the kind, the role, the users and the
    procedure exist. Raises InvalidData, NotFound."""
    if kind not in KIND_LABELS:
        raise InvalidData(f"Tipo di scadenza «{kind}» sconosciuto.")
    if responsible_role is not None and responsible_role not in ROLE_CODES:
        raise InvalidData(f"Ruolo «{responsible_role}» sconosciuto.")
    assignees = []
    for user_id in sorted(set(assignee_ids)):
        if db.session.get(User, user_id) is None:
            raise NotFound(f"Utente {user_id} non trovato.")
        assignees.append(user_id)
    if responsible_role is None and not assignees:
        raise InvalidData("Indicare un ruolo responsabile o almeno un utente.")
    if procedure_id is not None and db.session.get(Procedure, procedure_id) is None:
        raise NotFound(f"Procedimento {procedure_id} non trovato.")
    return assignees


@operation
def settle(deadline_id: int, state: str, *, actor: User, clock: Clock, note: str = "") -> Deadline:
    """Mark a deadline met or cancelled by hand: its reminders stop at once.

    Raises NotFound, NotAllowed, InvalidData, Conflict (already met or cancelled).
    """
    deadline = get(deadline_id)
    role = acting_role(actor, MANAGERS, "chiudere una scadenza", clock=clock)
    if state not in (MET, CANCELLED):
        raise InvalidData("Una scadenza si chiude come adempiuta o annullata.")
    if not deadline.live:
        raise Conflict(f"La scadenza è già {deadline.state_label}.")
    close(deadline, as_utc(clock.now()), state)
    audit.record(
        actor=actor,
        role=role,
        object_type="deadline",
        object_id=deadline.id,
        action=f"deadline.{state}",
        # The note lives only in the audit payload: the column guard never sees it.
        payload={
            "note": inputs.clean_text(note, "nota", max_length=2000, multiline=True).strip(),
            "on": rome_today(clock).isoformat(),
        },
        clock=clock,
    )
    return deadline
