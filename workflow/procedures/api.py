"""The JSON API (v1), authenticated by a per-user bearer token. Same services as the UI."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from marshmallow import fields

from workflow.access.models import User
from workflow.acts import queries as act_queries
from workflow.acts.queries import Cited
from workflow.core.errors import InvalidData
from workflow.core.openapi import (
    BODY_ERRORS,
    FIELD_TYPES,
    Blueprint,
    Day,
    Schema,
    current_spec,
    event_body,
    event_parameter,
    integer,
    procedure_kind,
    text,
)
from workflow.core.web import body_version, caller, clock, iso, json_body
from workflow.definitions import DEFINITIONS
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


def _version_json(definition: Any, step: Any, values: Any) -> dict[str, Any]:
    """One version of a step's record: as first recorded, or a rettifica (with its motivo)."""
    return {
        "date": iso(values.occurred_on),
        "act": procedures.citation(definition, step, values) or None,
        "data": values.data,
        "recorded_by": values.recorded_by.username,
        "recorded_role": values.recorded_role,
        "recorded_at": iso(values.recorded_at),
        **({"motivo": values.motivo} if values is not step else {}),
    }


def _step_json(definition: Any, step: Any, cited: dict[str, Cited]) -> dict[str, Any]:
    """A recorded step as its record reads now, with the original and every rettifica, and what
    the Repertorio says of the act number it cites."""
    now = step.current
    found = cited.get(now.act_number or "")
    return {
        "id": step.id,
        "event": step.event,
        "milestone": step.milestone_code,
        "from": step.from_state,
        "to": step.to_state,
        "date": iso(now.occurred_on),
        "act": procedures.citation(definition, step) or None,
        "act_id": found.act_id if found else None,
        "warning": found.warning or None if found else None,
        "data": now.data,
        "recorded_by": step.recorded_by.username,
        "recorded_role": step.recorded_role,
        "original": _version_json(definition, step, step) if step.rettifiche else None,
        "rettifiche": [_version_json(definition, step, r) for r in step.rettifiche],
    }


def detail(procedure: Procedure, user: User, cited: dict[str, Any] | None = None) -> dict[str, Any]:
    """The procedure as the API answers it; `cited`: the Repertorio's answer for the acts its
    steps cite, when the caller read it already (else read here)."""
    definition = procedures.definition_of(procedure)
    if cited is None:
        cited = act_queries.cited_by_steps(procedure.steps)
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
        "steps": [_step_json(definition, s, cited) for s in procedure.steps],
        "allowed_events": allowed_events_json(procedures.allowed_events(procedure, user, clock())),
    }


class OpenBody(Schema):
    period_start = integer(2000, 2100, required=True, metadata={"description": "anno di inizio"})
    kind = procedure_kind(load_default="psttm")
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
    definition_version = fields.String()
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
    cited: dict[str, Any] = {}
    procedure = procedures.advance(
        procedure_id,
        event,
        expected_version=version,
        data=data,
        actor=caller(),
        clock=clock(),
        # The Repertorio's answer for the cited acts, read in the step's own transaction.
        read_along=lambda p: cited.update(act_queries.cited_by_steps(p.steps)),
    )
    return detail(procedure, caller(), cited)


def correction_body() -> dict[str, Any]:
    """The requestBody of a rettifica: `version`, `motivo` and any field a step records (the
    step's own parser refuses a field that step does not have)."""
    properties: dict[str, Any] = {
        "version": {"type": "integer", "description": "versione letta"},
        "motivo": {"type": "string", "maxLength": procedures.MOTIVO_MAX},
    }
    for definition in DEFINITIONS.values():
        for step in definition.steps:
            properties |= {f.name: {**FIELD_TYPES[f.type], "title": f.label} for f in step.fields}
    schema = {
        "type": "object",
        "required": ["version", "motivo"],
        "properties": properties,
        "additionalProperties": False,
    }
    return {"required": True, "content": {"application/json": {"schema": schema}}}


@bp.post("/procedures/<int:procedure_id>/steps/<int:step_id>/rettifiche")
@bp.answers(201, ProcedureDetail, errors=(*BODY_ERRORS, 404, 409))
@bp.doc(requestBody=correction_body())
def correct_step(procedure_id: int, step_id: int) -> tuple[dict[str, Any], int]:
    """Correct a recorded step (rettifica) with a reason; the original stays in the record.

    The body gives `version`, `motivo` and the step's fields to change; the others keep their
    value. The corrected values pass the step's own rules (422 with the step's message).
    """
    body = json_body()
    version = body_version(body, "del procedimento")
    motivo = body.get("motivo")
    if not isinstance(motivo, str):
        raise InvalidData("«motivo»: indicare il motivo della rettifica (testo).")
    data = {k: v for k, v in body.items() if k not in ("version", "motivo")}
    procedure = procedures.correct_step(
        procedure_id,
        step_id,
        expected_version=version,
        data=data,
        motivo=motivo,
        actor=caller(),
        clock=clock(),
    )
    return detail(procedure, caller()), 201


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
