"""JSON API (v1) for deadlines: same token authentication and services as the rest of the API."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from workflow.core.inputs import INT_MIN
from workflow.core.openapi import BODY_ERRORS, Blueprint, Day, Schema, identifier, integer, text
from workflow.core.web import caller, clock, iso
from workflow.deadlines import operations as deadlines
from workflow.deadlines import reminders
from workflow.deadlines.models import Deadline
from workflow.engine.stepdata import MAX_TEXT
from workflow.mail import sender
from workflow.procedures import operations as procedures

bp = Blueprint("api_deadlines", __name__, url_prefix="/api/v1", description="Scadenze")
DEADLINE = Deadline.__table__.c


class ListQuery(Schema):
    mine = fields.Boolean(load_default=False, metadata={"description": "solo le mie (1)"})


class CreateBody(Schema):
    title = text(DEADLINE.title, load_default="")
    due_date = Day(allow_none=True, load_default=None)
    working_days = integer(INT_MIN, allow_none=True, load_default=None)
    counted_from = Day(allow_none=True, load_default=None)
    kind = text(DEADLINE.kind, load_default="manuale")
    procedure_id = identifier(allow_none=True, load_default=None)
    responsible_role = text(
        DEADLINE.responsible_role, allow_none=True, load_default="direzione_generale"
    )
    assignees = fields.List(identifier(), load_default=list, metadata={"description": "id utente"})
    legal_basis = text(DEADLINE.legal_basis, load_default="")
    description = text(DEADLINE.description, load_default="")


class SettleBody(Schema):
    state = text(DEADLINE.state, load_default="", metadata={"description": "met o cancelled"})
    note = text(max_length=MAX_TEXT, load_default="")


class DeadlineSummary(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    due_date = fields.Date()
    due_time = fields.String(allow_none=True)
    state = fields.String()
    state_label = fields.String()
    procedure_id = fields.Integer(allow_none=True)
    responsible_role = fields.String(allow_none=True)
    assignees = fields.List(fields.Integer())
    legal_basis = fields.String()
    next_reminder_at = fields.DateTime(allow_none=True)


class DeadlineList(Schema):
    deadlines = fields.List(fields.Nested(DeadlineSummary))


class DeadlineDetail(DeadlineSummary):
    upcoming_reminders = fields.List(fields.Dict())
    emails = fields.List(fields.Dict())


def summary(deadline: Deadline) -> dict[str, Any]:
    return {
        "id": deadline.id,
        "kind": deadline.kind,
        "title": deadline.title,
        "due_date": iso(deadline.due_date),
        "due_time": deadline.due_time.isoformat(timespec="minutes") if deadline.due_time else None,
        "state": deadline.state,
        "state_label": deadline.state_label,
        "procedure_id": deadline.procedure_id,
        "responsible_role": deadline.responsible_role,
        "assignees": [a.user_id for a in deadline.assignees],
        "legal_basis": deadline.legal_basis,
        "next_reminder_at": iso(deadline.next_reminder_at),
    }


def detail(deadline: Deadline) -> dict[str, Any]:
    return {
        **summary(deadline),
        "upcoming_reminders": [
            {"label": label, "at": iso(at)}
            for label, at in reminders.upcoming_for(deadline, clock=clock())
        ],
        "emails": [
            {
                "recipient": m.recipient,
                "subject": m.subject,
                "due_at": iso(m.due_at),
                "status": m.status,
                "attempts": m.attempts,
                "sent_at": iso(m.sent_at),
                "smtp_response": m.smtp_response or None,
                "last_error": m.last_error or None,
            }
            for m in sender.for_deadline(deadline.id)
        ],
    }


@bp.get("/deadlines")
@bp.answers(200, DeadlineList, errors=(422,))
@bp.arguments(ListQuery, location="query")
def list_deadlines(query: dict[str, Any]) -> dict[str, Any]:
    """The live deadlines, or with `mine=1` those the caller answers for."""
    mine = query["mine"]
    rows = list(deadlines.responsible_for(caller())) if mine else deadlines.list_live()
    return {"deadlines": [summary(d) for d in rows]}


@bp.get("/procedures/<int:procedure_id>/deadlines")
@bp.answers(200, DeadlineList, errors=(404,))
def procedure_deadlines(procedure_id: int) -> dict[str, Any]:
    """The deadlines of one procedure."""
    procedure = procedures.get(procedure_id)
    return {"deadlines": [summary(d) for d in deadlines.for_object("procedure", procedure.id)]}


@bp.get("/deadlines/<int:deadline_id>")
@bp.answers(200, DeadlineDetail, errors=(404,))
def show(deadline_id: int) -> dict[str, Any]:
    """One deadline with its coming reminders and the e-mails sent for it."""
    return detail(deadlines.get(deadline_id))


@bp.post("/deadlines")
@bp.answers(201, DeadlineDetail, errors=(*BODY_ERRORS, 404))
@bp.arguments(CreateBody)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record a deadline by hand: a date, or N working days from a date."""
    deadline = deadlines.create_deadline(
        title=body["title"],
        due_date=body["due_date"],
        working_days=body["working_days"],
        counted_from=body["counted_from"],
        kind=body["kind"],
        procedure_id=body["procedure_id"],
        responsible_role=body["responsible_role"],
        assignee_ids=body["assignees"],
        legal_basis=body["legal_basis"],
        description=body["description"],
        actor=caller(),
        clock=clock(),
    )
    return detail(deadline), 201


@bp.post("/deadlines/<int:deadline_id>/settle")
@bp.answers(200, DeadlineDetail, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(SettleBody)
def settle(body: dict[str, Any], deadline_id: int) -> dict[str, Any]:
    """Close a deadline as met or cancelled: its reminders stop."""
    deadline = deadlines.settle(
        deadline_id, body["state"], note=body["note"], actor=caller(), clock=clock()
    )
    return detail(deadline)
