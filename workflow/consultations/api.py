"""JSON API (v1) for the territory and consultations: same token authentication and services."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, request

from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory
from workflow.consultations.models import Body, Consultation, Contribution
from workflow.core.errors import BadRequest, NotFound
from workflow.core.web import body_version, caller, clock, iso, json_body, local_datetime
from workflow.engine.stepdata import parse_date
from workflow.procedures import operations as procedures

bp = Blueprint("api_contributions", __name__, url_prefix="/api/v1")


def body_json(body: Body) -> dict[str, Any]:
    return {
        "id": body.id,
        "kind": body.kind,
        "name": body.name,
        "zone": body.zone,
        "active": body.active,
        "addresses": [a.address for a in body.addresses],
    }


def contribution_json(c: Contribution) -> dict[str, Any]:
    return {
        "id": c.id,
        "body_id": c.body_id,
        "body": c.body.name,
        "received_at": iso(c.received_at),
        "channel": c.channel,
        "late": c.late,
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
        "contributions": [contribution_json(c) for c in found.contributions],
    }


@bp.get("/territorio/enti")
def list_bodies() -> dict[str, Any]:
    return {"bodies": [body_json(b) for b in territory.bodies(request.args.get("kind"))]}


@bp.put("/territorio/enti/<int:body_id>/indirizzi")
def set_addresses(body_id: int) -> dict[str, Any]:
    addresses = json_body().get("addresses")
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise BadRequest("«addresses» è un elenco di indirizzi.")
    body = territory.set_addresses(body_id, addresses, actor=caller(), clock=clock())
    return body_json(body)


@bp.get("/procedures/<int:procedure_id>/consultation")
def show(procedure_id: int) -> dict[str, Any]:
    procedure = procedures.get(procedure_id)
    found = queries.for_procedure(procedure.id)
    if found is None:
        raise NotFound("Nessuna consultazione aperta per questo procedimento.")
    return consultation_json(found)


@bp.post("/procedures/<int:procedure_id>/consultation")
def open_consultation(procedure_id: int) -> tuple[dict[str, Any], int]:
    body = json_body()
    zones = body.get("zones")
    if zones is not None and (
        not isinstance(zones, list) or not all(isinstance(z, str) for z in zones)
    ):
        raise BadRequest("«zones» è un elenco di codici di zona.")
    found = contributions.open_consultation(
        procedure_id,
        deadline=parse_date(body.get("deadline"), "deadline"),
        zones=zones,
        forum=bool(body.get("forum", True)),
        unions=bool(body.get("unions", False)),
        actor=caller(),
        clock=clock(),
    )
    return consultation_json(found), 201


@bp.post("/consultations/<int:consultation_id>/contributions")
def register(consultation_id: int) -> tuple[dict[str, Any], int]:
    body = json_body()
    try:
        content = base64.b64decode(str(body.get("content_base64", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("«content_base64» non è base64 valido.") from exc
    themes = body.get("themes", [])
    if not isinstance(themes, list):
        raise BadRequest("«themes» è un elenco di codici (M1…M6, D1…D10).")
    body_id = body.get("body_id")
    if not isinstance(body_id, int) or isinstance(body_id, bool):
        raise BadRequest("«body_id» deve essere un intero.")
    contribution = contributions.register_contribution(
        consultation_id,
        body_id=body_id,
        received_at=local_datetime(str(body.get("received_at", "")), "Data e ora di ricezione"),
        channel=str(body.get("channel", "")),
        summary=str(body.get("summary", "")),
        themes=[str(t) for t in themes],
        file_name=str(body.get("file_name", "")),
        content=content,
        actor=caller(),
        clock=clock(),
    )
    return contribution_json(contribution), 201


@bp.post("/consultations/<int:consultation_id>/close")
def close(consultation_id: int) -> dict[str, Any]:
    body = json_body()
    found = contributions.close_consultation(
        consultation_id,
        # The procedure's wording, as the answer has always said for the consultation too.
        expected_version=body_version(body, "del procedimento"),
        outcome=str(body.get("outcome", "")),
        actor=caller(),
        clock=clock(),
    )
    return consultation_json(found)
