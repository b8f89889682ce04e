"""JSON API (v1) for the territory and consultations: same token authentication and services."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import fields

from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory
from workflow.consultations.models import Body, BodyAddress, Consultation, Contribution
from workflow.core.errors import BadRequest, NotFound
from workflow.core.openapi import (
    BODY_ERRORS,
    Blueprint,
    Day,
    LocalInstant,
    Schema,
    identifier,
    integer,
    text,
)
from workflow.core.web import caller, clock, iso
from workflow.procedures import operations as procedures

bp = Blueprint(
    "api_contributions", __name__, url_prefix="/api/v1", description="Territorio e consultazioni"
)
CONTRIBUTION = Contribution.__table__.c
THEME_LENGTH = 10  # a theme's code: M1…M6, D1…D10


class BodiesQuery(Schema):
    kind = text(Body.__table__.c.kind, load_default=None, metadata={"description": "tipo di ente"})


class AddressesBody(Schema):
    addresses = fields.List(text(BodyAddress.__table__.c.address), required=True)


class OpenConsultationBody(Schema):
    deadline = Day(required=True, metadata={"description": "termine per i contributi"})
    zones = fields.List(text(Body.__table__.c.zone), allow_none=True, load_default=None)
    forum = fields.Boolean(load_default=True)
    unions = fields.Boolean(load_default=False)


class ContributionBody(Schema):
    body_id = identifier(required=True)
    received_at = LocalInstant(required=True, metadata={"description": "AAAA-MM-GGTHH:MM"})
    channel = text(CONTRIBUTION.channel, load_default="")
    summary = text(CONTRIBUTION.summary, load_default="")
    themes = fields.List(text(max_length=THEME_LENGTH), load_default=list)
    file_name = text(CONTRIBUTION.file_name, load_default="")
    content_base64 = fields.String(load_default="", metadata={"format": "byte"})


class CloseBody(Schema):
    version = integer(0, required=True, metadata={"description": "versione letta"})
    outcome = text(Consultation.__table__.c.outcome, load_default="")


class BodyAnswer(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    zone = fields.String(allow_none=True)
    active = fields.Boolean()
    addresses = fields.List(fields.String())


class BodyList(Schema):
    bodies = fields.List(fields.Nested(BodyAnswer))


class ContributionAnswer(Schema):
    id = fields.Integer()
    body_id = fields.Integer()
    body = fields.String()
    received_at = fields.DateTime()
    channel = fields.String()
    late = fields.Boolean()
    protocol = fields.String(allow_none=True)
    summary = fields.String()
    themes = fields.List(fields.String())
    file_name = fields.String()
    file_sha256 = fields.String()
    file_size = fields.Integer()


class ConsultationAnswer(Schema):
    id = fields.Integer()
    procedure_id = fields.Integer()
    deadline = fields.Date()
    effective_deadline = fields.Date()
    version = fields.Integer()
    closed_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    summary_sha256 = fields.String(allow_none=True)
    completeness = fields.Dict()
    missing = fields.List(fields.Integer())
    contributions = fields.List(fields.Nested(ContributionAnswer))


def body_json(body: Body) -> dict[str, Any]:
    return {
        "id": body.id,
        "kind": body.kind,
        "name": body.name,
        "zone": body.zone,
        "active": body.active,
        "addresses": [a.address for a in body.addresses],
    }


def contribution_json(c: Contribution, late: bool) -> dict[str, Any]:
    """A contribution; `late` by the term in force now (after any proroga)."""
    return {
        "id": c.id,
        "body_id": c.body_id,
        "body": c.body.name,
        "received_at": iso(c.received_at),
        "channel": c.channel,
        "late": late,
        "protocol": c.protocol,
        "summary": c.summary,
        "themes": c.themes,
        "file_name": c.file_name,
        "file_sha256": c.file_sha256,
        "file_size": c.file_size,
    }


def consultation_json(found: Consultation) -> dict[str, Any]:
    status = queries.status(found)
    return {
        "id": found.id,
        "procedure_id": found.procedure_id,
        "deadline": iso(found.deadline),
        "effective_deadline": iso(queries.effective_deadline(found)),
        "version": found.version,
        "closed_at": iso(found.closed_at),
        "outcome": found.outcome or None,
        "summary_sha256": found.summary_sha256,
        "completeness": {
            "invited": status.total.invited,
            "answered": status.total.answered,
            "late": status.total.late,
            "groups": [
                {"code": g.code, "label": g.label, "invited": g.invited, "answered": g.answered}
                for g in status.groups
            ],
        },
        "missing": [b.id for b in status.missing],
        "contributions": [
            contribution_json(c, c.id in status.late_ids) for c in found.contributions
        ],
    }


@bp.get("/territorio/enti")
@bp.answers(200, BodyList, errors=(422,))
@bp.arguments(BodiesQuery, location="query")
def list_bodies(query: dict[str, Any]) -> dict[str, Any]:
    """The bodies of the territory (municipalities, unions…), of one kind or all."""
    return {"bodies": [body_json(b) for b in territory.bodies(query["kind"])]}


@bp.put("/territorio/enti/<int:body_id>/indirizzi")
@bp.answers(200, BodyAnswer, errors=(*BODY_ERRORS, 404))
@bp.arguments(AddressesBody)
def set_addresses(body: dict[str, Any], body_id: int) -> dict[str, Any]:
    """Replace a body's PEC/e-mail addresses."""
    found = territory.set_addresses(body_id, body["addresses"], actor=caller(), clock=clock())
    return body_json(found)


@bp.get("/procedures/<int:procedure_id>/consultation")
@bp.answers(200, ConsultationAnswer, errors=(404,))
def show(procedure_id: int) -> dict[str, Any]:
    """The procedure's consultation: its deadline, completeness and contributions."""
    procedure = procedures.get(procedure_id)
    found = queries.for_procedure(procedure.id)
    if found is None:
        raise NotFound("Nessuna consultazione aperta per questo procedimento.")
    return consultation_json(found)


@bp.post("/procedures/<int:procedure_id>/consultation")
@bp.answers(201, ConsultationAnswer, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(OpenConsultationBody)
def open_consultation(body: dict[str, Any], procedure_id: int) -> tuple[dict[str, Any], int]:
    """Open the consultation of the territory: invitations to the bodies of the zones."""
    found = contributions.open_consultation(
        procedure_id,
        deadline=body["deadline"],
        zones=body["zones"],
        forum=body["forum"],
        unions=body["unions"],
        actor=caller(),
        clock=clock(),
    )
    return consultation_json(found), 201


@bp.post("/consultations/<int:consultation_id>/contributions")
@bp.answers(201, ContributionAnswer, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(ContributionBody)
def register(body: dict[str, Any], consultation_id: int) -> tuple[dict[str, Any], int]:
    """Register a body's contribution (its file in base64), protocolled on receipt."""
    try:
        content = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("«content_base64» non è base64 valido.") from exc
    contribution = contributions.register_contribution(
        consultation_id,
        body_id=body["body_id"],
        received_at=body["received_at"],
        channel=body["channel"],
        summary=body["summary"],
        themes=body["themes"],
        file_name=body["file_name"],
        content=content,
        actor=caller(),
        clock=clock(),
    )
    return contribution_json(contribution, contribution.late), 201


@bp.post("/consultations/<int:consultation_id>/close")
@bp.answers(200, ConsultationAnswer, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(CloseBody)
def close(body: dict[str, Any], consultation_id: int) -> dict[str, Any]:
    """Close the consultation with its outcome (the procedure's version, as read last)."""
    found = contributions.close_consultation(
        consultation_id,
        expected_version=body["version"],
        outcome=body["outcome"],
        actor=caller(),
        clock=clock(),
    )
    return consultation_json(found)
