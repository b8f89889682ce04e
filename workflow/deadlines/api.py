"""JSON API (v1) for deadlines: same token authentication and services as the rest of the API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from workflow.core.errors import BadRequest
from workflow.core.web import caller, clock, iso, json_body
from workflow.deadlines import operations as deadlines
from workflow.deadlines import reminders
from workflow.deadlines.models import Deadline
from workflow.engine.stepdata import parse_date
from workflow.mail import sender
from workflow.procedures import operations as procedures

bp = Blueprint("api_deadlines", __name__, url_prefix="/api/v1")


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
def list_deadlines() -> dict[str, Any]:
    if request.args.get("mine") == "1":
        rows = list(deadlines.responsible_for(caller()))
    else:
        rows = deadlines.list_live()
    return {"deadlines": [summary(d) for d in rows]}


@bp.get("/procedures/<int:procedure_id>/deadlines")
def procedure_deadlines(procedure_id: int) -> dict[str, Any]:
    procedure = procedures.get(procedure_id)
    return {"deadlines": [summary(d) for d in deadlines.for_object("procedure", procedure.id)]}


@bp.get("/deadlines/<int:deadline_id>")
def show(deadline_id: int) -> dict[str, Any]:
    return detail(deadlines.get(deadline_id))


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise BadRequest(f"«{name}» deve essere un intero.")
    return value


@bp.post("/deadlines")
def create() -> tuple[dict[str, Any], int]:
    body = json_body()
    assignees = body.get("assignees", [])
    if not isinstance(assignees, list) or not all(isinstance(a, int) for a in assignees):
        raise BadRequest("«assignees» è un elenco di id utente.")
    raw_due, raw_from = body.get("due_date"), body.get("counted_from")
    deadline = deadlines.create_deadline(
        title=str(body.get("title", "")),
        due_date=parse_date(raw_due, "due_date") if raw_due is not None else None,
        working_days=_optional_int(body, "working_days"),
        counted_from=parse_date(raw_from, "counted_from") if raw_from is not None else None,
        kind=str(body.get("kind", "manuale")),
        procedure_id=_optional_int(body, "procedure_id"),
        responsible_role=body.get("responsible_role", "direzione_generale"),
        assignee_ids=assignees,
        legal_basis=str(body.get("legal_basis", "")),
        description=str(body.get("description", "")),
        actor=caller(),
        clock=clock(),
    )
    return detail(deadline), 201


@bp.post("/deadlines/<int:deadline_id>/settle")
def settle(deadline_id: int) -> dict[str, Any]:
    body = json_body()
    deadline = deadlines.settle(
        deadline_id,
        str(body.get("state", "")),
        note=str(body.get("note", "")),
        actor=caller(),
        clock=clock(),
    )
    return detail(deadline)
