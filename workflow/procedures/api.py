"""The JSON API (v1), authenticated by a per-user bearer token. Same services as the UI."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from workflow.access.models import User
from workflow.core.errors import BadRequest
from workflow.core.openapi import build as build_openapi
from workflow.core.openapi import documented, event_body
from workflow.core.web import body_version, caller, clock, iso, json_body
from workflow.definitions import LATEST
from workflow.engine.stepdata import allowed_events_json, parse_date
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def summary(procedure: Procedure) -> dict[str, Any]:
    return {
        "id": procedure.id,
        "kind": procedure.kind,
        "title": procedure.title,
        "period": procedure.period_label,
        "fascicolo": procedure.fascicolo,
        "state": procedure.state,
        "state_label": procedures.state_label(procedure),
        "version": procedure.version,
    }


def detail(procedure: Procedure, user: User) -> dict[str, Any]:
    definition = procedures.definition_of(procedure)
    return {
        **summary(procedure),
        "definition_version": procedure.definition_version,
        "milestones": [
            {
                "code": row.code,
                "label": row.label,
                "phase": row.phase,
                "planned_date": iso(row.planned_date),
                "actual_date": iso(row.actual_date),
                "act": row.act or None,
                "outcome": row.outcome or None,
                "earlier": list(row.earlier),
            }
            for row in procedures.milestone_rows(procedure)
        ],
        "steps": [
            {
                "event": s.event,
                "milestone": s.milestone_code,
                "from": s.from_state,
                "to": s.to_state,
                "date": iso(s.occurred_on),
                "act": procedures.citation(definition, s) or None,
                "data": s.data,
                "recorded_by": s.recorded_by.username,
                "recorded_role": s.recorded_role,
            }
            for s in procedure.steps
        ],
        "allowed_events": allowed_events_json(procedures.allowed_events(procedure, user, clock())),
    }


OPEN_BODY = {
    "type": "object",
    "required": ["period_start"],
    "properties": {
        "period_start": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "kind": {"type": "string", "enum": sorted(LATEST)},
        "title": {"type": "string", "maxLength": 300},
        "fascicolo": {"type": "string", "maxLength": 40},
    },
}
PLAN_BODY = {
    "type": "object",
    "required": ["version", "planned"],
    "properties": {
        "version": {"type": "integer"},
        "planned": {
            "type": "object",
            "additionalProperties": {"type": ["string", "null"], "format": "date"},
        },
    },
}


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """This API's OpenAPI description, generated from the code."""
    return build_openapi(current_app)


@bp.get("/procedures")
@documented()
def list_procedures() -> dict[str, Any]:
    """List the procedures with their current state and version."""
    return {"procedures": [summary(p) for p in procedures.list_all()]}


@bp.post("/procedures")
@documented(400, 404, 409, 413, 422, ok=201, body=OPEN_BODY)
def open_procedure() -> tuple[dict[str, Any], int]:
    """Open the procedure of a triennio."""
    body = json_body()
    start = body.get("period_start")
    if not isinstance(start, int) or isinstance(start, bool):
        raise BadRequest("Manca «period_start» (intero): l'anno di inizio del triennio.")
    procedure = procedures.open_procedure(
        str(body.get("kind", "psttm")),
        start,
        actor=caller(),
        clock=clock(),
        title=body.get("title") if isinstance(body.get("title"), str) else None,
        fascicolo=body.get("fascicolo") if isinstance(body.get("fascicolo"), str) else "",
    )
    return detail(procedure, caller()), 201


@bp.get("/procedures/<int:procedure_id>")
@documented(404)
def show(procedure_id: int) -> dict[str, Any]:
    """One procedure: state, version, milestones, steps and the events allowed to the caller."""
    return detail(procedures.get(procedure_id), caller())


@bp.post("/procedures/<int:procedure_id>/events/<event>")
@documented(400, 404, 409, 413, 422, body=event_body())
def fire_event(procedure_id: int, event: str) -> dict[str, Any]:
    """Fire an event of the procedure's machine with the step's data."""
    body = json_body()
    version = body_version(body, "del procedimento")
    data = {k: v for k, v in body.items() if k != "version"}
    procedure = procedures.advance(
        procedure_id, event, expected_version=version, data=data, actor=caller(), clock=clock()
    )
    return detail(procedure, caller())


@bp.post("/procedures/<int:procedure_id>/milestones")
@documented(400, 404, 409, 413, 422, body=PLAN_BODY)
def plan(procedure_id: int) -> dict[str, Any]:
    """Set the planned dates of milestones."""
    body = json_body()
    planned_raw = body.get("planned")
    if not isinstance(planned_raw, dict):
        raise BadRequest("Manca «planned»: un oggetto {codice tappa: data o null}.")
    planned = {
        code: parse_date(value, f"Data prevista ({code})") if value is not None else None
        for code, value in planned_raw.items()
    }
    procedure = procedures.plan_milestones(
        procedure_id,
        expected_version=body_version(body, "del procedimento"),
        planned=planned,
        actor=caller(),
        clock=clock(),
    )
    return detail(procedure, caller())
