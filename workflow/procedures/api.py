"""The JSON API (v1), authenticated by a per-user bearer token. Same services as the UI."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from marshmallow import fields

from workflow.access.models import User
from workflow.core.openapi import (
    BODY_ERRORS,
    Blueprint,
    Day,
    Schema,
    current_spec,
    event_body,
    event_parameter,
    integer,
    one_of,
    text,
)
from workflow.core.web import body_version, caller, clock, iso, json_body
from workflow.definitions import LATEST
from workflow.engine.stepdata import allowed_events_json
from workflow.procedures import operations as procedures
from workflow.procedures.models import Milestone, Procedure

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Procedimenti (PSTTM)")


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


class OpenBody(Schema):
    period_start = integer(2000, 2100, required=True, metadata={"description": "anno di inizio"})
    kind = one_of(LATEST, load_default="psttm")
    title = text(Procedure.__table__.c.title, allow_none=True, load_default=None)
    fascicolo = text(Procedure.__table__.c.fascicolo, load_default="")


class PlanBody(Schema):
    version = integer(0, required=True, metadata={"description": "versione letta"})
    planned = fields.Dict(
        keys=text(Milestone.__table__.c.code),
        values=Day(allow_none=True),
        required=True,
        metadata={"description": "{codice tappa: data prevista o null}"},
    )


class AllowedEvent(Schema):
    event = fields.String()
    label = fields.String()
    fields_ = fields.List(fields.Dict(), data_key="fields")


class ProcedureSummary(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    period = fields.String()
    fascicolo = fields.String()
    state = fields.String()
    state_label = fields.String()
    version = fields.Integer()


class ProcedureList(Schema):
    procedures = fields.List(fields.Nested(ProcedureSummary))


class ProcedureDetail(ProcedureSummary):
    definition_version = fields.Integer()
    milestones = fields.List(fields.Dict())
    steps = fields.List(fields.Dict())
    allowed_events = fields.List(fields.Nested(AllowedEvent))


@bp.outside_contract("/openapi.json")
def openapi() -> dict[str, Any]:
    """This API's OpenAPI description, generated from the code."""
    return current_spec()


@bp.outside_contract("/docs")
def docs() -> str:
    """The API's description as a page (Swagger UI, served from our own static files)."""
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))


@bp.get("/procedures")
@bp.answers(200, ProcedureList)
def list_procedures() -> dict[str, Any]:
    """List the procedures with their current state and version."""
    return {"procedures": [summary(p) for p in procedures.list_all()]}


@bp.post("/procedures")
@bp.answers(201, ProcedureDetail, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(OpenBody)
def open_procedure(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Open the procedure of a triennio."""
    procedure = procedures.open_procedure(
        body["kind"],
        body["period_start"],
        actor=caller(),
        clock=clock(),
        title=body["title"],
        fascicolo=body["fascicolo"],
    )
    return detail(procedure, caller()), 201


@bp.get("/procedures/<int:procedure_id>")
@bp.answers(200, ProcedureDetail, errors=(404,))
def show(procedure_id: int) -> dict[str, Any]:
    """One procedure: state, version, milestones, steps and the events allowed to the caller."""
    return detail(procedures.get(procedure_id), caller())


@bp.post("/procedures/<int:procedure_id>/events/<event>", parameters=[event_parameter()])
@bp.answers(200, ProcedureDetail, errors=(*BODY_ERRORS, 404, 409))
@bp.doc(requestBody=event_body())
def fire_event(procedure_id: int, event: str) -> dict[str, Any]:
    """Fire an event of the procedure's machine with the step's data.

    The body's fields depend on the event (the machine's definition): the step's own parser
    reads them, and refuses a field the step does not have.
    """
    body = json_body()
    version = body_version(body, "del procedimento")
    data = {k: v for k, v in body.items() if k != "version"}
    procedure = procedures.advance(
        procedure_id, event, expected_version=version, data=data, actor=caller(), clock=clock()
    )
    return detail(procedure, caller())


@bp.post("/procedures/<int:procedure_id>/milestones")
@bp.answers(200, ProcedureDetail, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(PlanBody)
def plan(body: dict[str, Any], procedure_id: int) -> dict[str, Any]:
    """Set the planned dates of milestones."""
    procedure = procedures.plan_milestones(
        procedure_id,
        expected_version=body["version"],
        planned=body["planned"],
        actor=caller(),
        clock=clock(),
    )
    return detail(procedure, caller())
