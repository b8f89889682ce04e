"""The JSON API (v1) of the protocol register: list, one entry, register, annul, segnatura.
Same token, same error envelope and the same operations as the pages."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Response
from marshmallow import fields, validate

from workflow.core.errors import InvalidData
from workflow.core.openapi import BODY_ERRORS, Blueprint, Day, Schema, one_of, text
from workflow.core.web import caller, clock, iso
from workflow.protocollo import operations as protocollo
from workflow.protocollo import queries, segnatura
from workflow.protocollo.models import (
    DIRECTIONS,
    Annulment,
    Correspondent,
    RegisteredDocument,
    Registration,
)
from workflow.protocollo.operations import CorrespondentData, DocumentData

bp = Blueprint(
    "api_protocollo", __name__, url_prefix="/api/v1", description="Registro di protocollo"
)
REGISTRATION = Registration.__table__.c
CORRESPONDENT = Correspondent.__table__.c
ANNULMENT = Annulment.__table__.c
XML = {"type": "string"}


class ListQuery(Schema):
    anno = fields.String(
        validate=validate.Regexp(r"^\d{4}$", error="anno di quattro cifre"),
        metadata={"description": "anno di registrazione"},
    )
    direzione = one_of(DIRECTIONS, metadata={"description": "entrata o uscita"})
    q = text(max_length=200, load_default="", metadata={"description": "oggetto, numero, nome"})
    fascicolo = text(max_length=40, load_default="", metadata={"description": "2.16/2024/1"})


class CorrespondentBody(Schema):
    name = text(CORRESPONDENT.name, required=True)
    address = text(CORRESPONDENT.address, load_default="", metadata={"description": "PEC"})
    codice_fiscale = text(CORRESPONDENT.codice_fiscale, load_default="")


class DocumentBody(Schema):
    file_name = text(RegisteredDocument.__table__.c.file_name, required=True)
    content_base64 = fields.String(required=True, metadata={"format": "byte"})


class RegistrationBody(Schema):
    direction = one_of(DIRECTIONS, required=True)
    oggetto = text(REGISTRATION.oggetto, load_default="")
    document_date = Day(required=True, metadata={"description": "data del documento"})
    sender_protocol = text(REGISTRATION.sender_protocol, load_default="")
    sender_protocol_date = Day(load_default=None, allow_none=True)
    fascicolo = text(max_length=40, load_default="", metadata={"description": "2.16/2024/1"})
    correspondents = fields.List(
        fields.Nested(CorrespondentBody),
        required=True,
        validate=validate.Length(max=protocollo.MAX_CORRESPONDENTS),
    )
    documents = fields.List(
        fields.Nested(DocumentBody),
        required=True,
        validate=validate.Length(max=protocollo.MAX_DOCUMENTS),
    )


class AnnulmentBody(Schema):
    reason = text(ANNULMENT.reason, load_default="")
    authorising_act = text(ANNULMENT.authorising_act, load_default="")


class EntryAnswer(Schema):
    protocollo = fields.String()
    numero = fields.Integer()
    anno = fields.Integer()
    registrato_il = fields.String()
    direzione = fields.String(allow_none=True)
    oggetto = fields.String()
    data_documento = fields.String(allow_none=True)
    protocollo_mittente = fields.String(allow_none=True)
    data_protocollo_mittente = fields.String(allow_none=True)
    fascicolo = fields.String(allow_none=True)
    corrispondenti = fields.List(fields.Dict())
    documenti = fields.List(fields.Dict())
    impronta = fields.String()
    annullato = fields.Boolean()
    annullamento = fields.Dict(allow_none=True)
    segnatura = fields.String(allow_none=True)
    collegato_a = fields.Dict(allow_none=True)


class EntryList(Schema):
    entries = fields.List(fields.Nested(EntryAnswer))


def entry_json(row: queries.Row) -> dict[str, Any]:
    """One entry as the API answers it; an annulled entry keeps every registered field."""
    entry, registration, annulment = row.entry, row.registration, row.annulment
    path = f"/api/v1/protocollo/{entry.year}/{entry.number}"
    return {
        "protocollo": row.label,
        "numero": entry.number,
        "anno": entry.year,
        "registrato_il": iso(entry.registered_at),
        "direzione": registration.direction if registration else None,
        "oggetto": row.oggetto,
        "data_documento": iso(registration.document_date) if registration else None,
        "protocollo_mittente": (registration.sender_protocol or None) if registration else None,
        "data_protocollo_mittente": iso(registration.sender_protocol_date)
        if registration
        else None,
        "fascicolo": row.fascicolo or None,
        "corrispondenti": [
            {
                "ruolo": c.role,
                "denominazione": c.name,
                "indirizzo": c.address or None,
                "codice_fiscale": c.codice_fiscale or None,
            }
            for c in row.correspondents
        ],
        "documenti": [
            {"tipo": d.kind, "nome": d.file_name, "sha256": d.sha256, "dimensione": d.size}
            for d in (registration.documents if registration else [])
        ],
        "impronta": entry.fingerprint,
        "annullato": annulment is not None,
        "annullamento": {
            "motivo": annulment.reason,
            "provvedimento": annulment.authorising_act,
            "annullato_il": iso(annulment.annulled_at),
            "operatore": annulment.annulled_by.username,
        }
        if annulment
        else None,
        "segnatura": f"{path}/segnatura" if registration else None,
        "collegato_a": {"tipo": entry.object_type, "id": entry.object_id}
        if entry.object_type != protocollo.OBJECT_TYPE
        else None,
    }


@bp.get("/protocollo")
@bp.answers(200, EntryList, errors=(422,))
@bp.arguments(ListQuery, location="query")
def list_entries(query: dict[str, Any]) -> dict[str, Any]:
    """The protocol register, newest first, with the same filters as the page."""
    filters = queries.Filters.from_args({k: str(v) for k, v in query.items()})
    return {"entries": [entry_json(r) for r in queries.search(filters)]}


def _content(document: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(document["content_base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidData(
            f"«documents.content_base64» di «{document['file_name']}»: base64 non valido."
        ) from exc


@bp.post("/protocollo")
@bp.answers(201, EntryAnswer, errors=(*BODY_ERRORS,))
@bp.arguments(RegistrationBody)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Register an incoming or outgoing document: number and date are given by the system."""
    registration = protocollo.register(
        direction=body["direction"],
        oggetto=body["oggetto"],
        document_date=body["document_date"],
        sender_protocol=body["sender_protocol"],
        sender_protocol_date=body["sender_protocol_date"],
        fascicolo=body["fascicolo"],
        correspondents=[CorrespondentData(**c) for c in body["correspondents"]],
        documents=[
            DocumentData(file_name=d["file_name"], content=_content(d)) for d in body["documents"]
        ],
        actor=caller(),
        clock=clock(),
    )
    return entry_json(queries.row_of(registration.entry)), 201


@bp.get("/protocollo/<int:anno>/<int:numero>")
@bp.answers(200, EntryAnswer, errors=(404,))
def show(anno: int, numero: int) -> dict[str, Any]:
    """One protocol entry: its registration and, if annulled, the annulment."""
    return entry_json(queries.row_of(protocollo.entry_of(anno, numero)))


@bp.post("/protocollo/<int:anno>/<int:numero>/annullamento")
@bp.answers(200, EntryAnswer, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(AnnulmentBody)
def annul(body: dict[str, Any], anno: int, numero: int) -> dict[str, Any]:
    """Annul an entry (DPR 445/2000 art. 54): the Segretario Generale only; once."""
    protocollo.annul(anno, numero, actor=caller(), clock=clock(), **body)
    return entry_json(queries.row_of(protocollo.entry_of(anno, numero)))


@bp.get("/protocollo/<int:anno>/<int:numero>/segnatura")
@bp.answers(200, XML, errors=(404,), content_type="application/xml")
def segnatura_xml(anno: int, numero: int) -> Response:
    """The segnatura di protocollo (AgID Allegato 6, schema 3.0.0) as XML."""
    return segnatura.download(protocollo.entry_of(anno, numero))
