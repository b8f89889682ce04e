"""The JSON API (v1) for acts and registers: same token, same conventions as procedures."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask import Response
from marshmallow import fields, validate

from workflow.access.models import User
from workflow.acts import documents, queries, referto, registers
from workflow.acts import operations as acts
from workflow.acts.models import Act, ActDocument, ActEvent
from workflow.acts.register_models import REGISTERS
from workflow.core import csvexport
from workflow.core.clock import rome_today
from workflow.core.errors import InvalidData, NotFound
from workflow.core.openapi import (
    BODY_ERRORS,
    Blueprint,
    Day,
    File,
    Schema,
    event_body,
    event_parameter,
    identifier,
    integer,
    one_of,
    text,
)
from workflow.core.web import body_version, caller, clock, iso, json_body, send_pdf
from workflow.definitions import ACT_DEFINITIONS
from workflow.definitions.acts import ACT_TYPES
from workflow.engine.stepdata import allowed_events_json
from workflow.procedures.models import Procedure

bp = Blueprint("acts_api", __name__, url_prefix="/api/v1", description="Atti e registri")
ACT = Act.__table__.c


class SearchQuery(Schema):
    q = text(ACT.oggetto, load_default="", metadata={"description": "oggetto, numero, fascicolo"})


class ProposeBody(Schema):
    act_type = one_of(ACT_TYPES, load_default="decreto_sindaco")
    procedure_id = identifier(allow_none=True, load_default=None)
    oggetto = text(ACT.oggetto, load_default="")
    fascicolo = text(
        Procedure.__table__.c.fascicolo,
        load_default="",
        metadata={"description": "titolario/anno/numero (2.16/2024/1)"},
    )
    proponente = text(ACT.proponente, load_default="")
    materia = text(ACT.materia, load_default="")
    struttura = text(ACT.struttura, load_default="")
    testo = text(ACT.testo, load_default="")


class UploadForm(Schema):
    version = integer(0, strict=False, required=True, metadata={"description": "versione letta"})
    kind = one_of(documents.KINDS, load_default="atto", metadata={"description": "ruolo"})
    original_id = identifier(
        strict=False,
        load_default=None,
        metadata={"description": "per una versione per la pubblicazione: il suo originale"},
    )
    file = File(required=True, metadata={"description": "il PDF (firmato o no)"})


class RefertoForm(Schema):
    version = integer(0, strict=False, required=True, metadata={"description": "versione letta"})
    file = File(required=True, metadata={"description": "il referto firmato (PDF PAdES)"})


class RoleBody(Schema):
    version = integer(0, required=True, metadata={"description": "versione letta"})
    kind = one_of(documents.KINDS, required=True, metadata={"description": "nuovo ruolo"})
    original_id = identifier(allow_none=True, load_default=None)


class WithdrawBody(Schema):
    version = integer(0, required=True, metadata={"description": "versione letta"})
    motivazione = text(ActDocument.__table__.c.withdrawn_reason, required=True)


class YearQuery(Schema):
    anno = integer(1, 9999, strict=False, required=True, metadata={"description": "l'anno"})
    formato = fields.String(
        validate=validate.OneOf(sorted(csvexport.VARIANTS)),
        metadata={"description": "csv (predefinito) o excel: separatore «;» e BOM UTF-8"},
    )


class RegisterQuery(Schema):
    date = Day(required=True, metadata={"description": "il giorno del registro"})
    formato = fields.String(
        validate=validate.OneOf(sorted(csvexport.VARIANTS)),
        metadata={"description": "csv (predefinito) o excel: separatore «;» e BOM UTF-8"},
    )


class ActSummary(Schema):
    id = fields.Integer()
    act_type = fields.String()
    act_type_label = fields.String()
    state = fields.String()
    state_label = fields.String()
    version = fields.Integer()
    oggetto = fields.String()
    repertorio_generale = fields.String(allow_none=True)
    pubblicazione_nr = fields.String(allow_none=True)
    stato = fields.String(allow_none=True)


class ActList(Schema):
    acts = fields.List(fields.Nested(ActSummary))


class ActDetail(ActSummary):
    record = fields.Dict()
    repertorio = fields.Dict()
    protocollo = fields.Dict()
    albo = fields.Dict()
    fascicolo = fields.Dict()
    esecutivita = fields.Dict()
    procedure_id = fields.Integer(allow_none=True)
    testo = fields.String()
    proposal_sha256 = fields.String()
    proposal_revision = fields.Integer()
    missing_opinions = fields.List(fields.Raw())
    events = fields.List(fields.Dict())
    allowed_events = fields.List(fields.Dict())


class Uploaded(Schema):
    document = fields.Dict()
    version = fields.Integer()


PDF = {"type": "string", "format": "binary"}
CSV = {"type": "string"}
REGISTER_PARAMETER = {
    "in": "path",
    "name": "register",
    "required": True,
    "schema": {"type": "string", "enum": list(REGISTERS)},
}


def document_json(act: Act, document: ActDocument) -> dict[str, Any]:
    """A document as staff see it: role, whether the Albo publishes it, a withdrawal."""
    return {
        "id": document.id,
        "kind": document.kind,
        "kind_label": acts.DOCUMENT_ROLES[document.kind],
        "original_id": document.original_id,
        "published": document.published,
        "withdrawn": {
            "at": iso(document.withdrawn_at),
            "by": document.withdrawn_by.username,
            "motivazione": document.withdrawn_reason,
        }
        if document.withdrawn_at
        else None,
        "name": document.original_name,
        "sha256": document.sha256_hex,
        "size": document.size,
        "uploaded_at": iso(document.uploaded_at),
        "signature_status": document.signature_status,
        "signatures": [
            {
                "firmato_digitalmente_da": s.signer_name,
                "codice_fiscale": s.codice_fiscale,
                "signing_time": iso(s.signing_time),
                "intact": s.intact,
                "modification_ok": s.modification_ok,
                "trusted": s.trusted,
                "trust_checked": s.trust_checked,
                "summary": s.summary,
            }
            for s in document.signatures
        ],
        "url": f"/api/v1/acts/{act.id}/documents/{document.id}",
    }


def summary(act: Act) -> dict[str, Any]:
    rec = queries.record(act, rome_today(clock()))
    return {
        "id": act.id,
        "act_type": act.act_type,
        "act_type_label": acts.act_type(act).label,
        "state": act.state,
        "state_label": queries.state_label(act),
        "version": act.version,
        "oggetto": act.oggetto,
        "repertorio_generale": rec.repertorio or None,
        "pubblicazione_nr": rec.pubblicazione or None,
        "stato": queries.albo_status(act, rome_today(clock())),
    }


def record_json(act: Act, today: date) -> dict[str, Any]:
    """The seed's record, field by field (Albo pretorio, decree R.G. 43/2025), as of `today`
    (Europe/Rome): the publication's state depends on the day."""
    rec = queries.record(act, today)
    return {
        "stato": rec.stato,
        "pubblicazione_nr": rec.pubblicazione or None,
        "in_pubblicazione_dal": iso(act.published_from),
        "in_pubblicazione_al": iso(act.published_to),
        "repertorio_generale": rec.repertorio or None,
        "data_approvazione": iso(act.approval_date),
        "protocollo": rec.protocollo or None,
        "titolario_anno_fascicolo": act.fascicolo,
        "proponente": act.proponente,
        "materia": act.materia,
        "struttura_organizzativa": act.struttura,
        "oggetto": act.oggetto,
        "documenti": [document_json(act, d) for d in act.documents],
    }


def _extensions_json(act: Act) -> list[dict[str, Any]]:
    """The proroghe of the publication, oldest first."""
    return [
        {
            "al": iso(p.al),
            "al_precedente": iso(p.precedente),
            "motivazione": p.motivazione,
            "atto": p.atto,
            "registrata_il": iso(p.recorded_at),
        }
        for p in queries.extensions(act)
    ]


def _annulment_json(act: Act) -> dict[str, Any] | None:
    """The annulment of the publication, forever part of its record."""
    event = queries.annulment(act)
    if event is None:
        return None
    return {
        "motivazione": event.data.get("motivazione"),
        "il": iso(event.recorded_at),
        "da": event.recorded_by.username,
    }


def numbers_json(act: Act) -> dict[str, Any]:
    """The act's numbers in each register, its file and when it takes effect."""
    return {
        "repertorio": {
            "numero": act.repertorio_number,
            "anno": act.repertorio_year,
            "data": iso(act.repertorio_date),
        },
        "protocollo": {"numero": act.protocollo_number, "anno": act.protocollo_year},
        "albo": {
            "numero": act.albo_number,
            "anno": act.albo_year,
            "dal": iso(act.published_from),
            "al": iso(act.published_to),
            "al_originario": iso(queries.original_end(act)),
            "giorni": act.publication_days,
            "annullamento": _annulment_json(act),
            "proroghe": _extensions_json(act),
        },
        "fascicolo": {
            "titolario": act.titolario,
            "anno": act.fascicolo_anno,
            "numero": act.fascicolo_numero,
        },
        "esecutivita": {
            "immediatamente_eseguibile": act.immediately_executable,
            "votazione": act.executability_vote or None,
            "dal": iso(acts.executability_date(act)),
        },
    }


def event_json(act: Act, event: ActEvent) -> dict[str, Any]:
    """One recorded event, and whether it covers the proposal's current text (its SHA-256)."""
    return {
        "event": event.event,
        "from": event.from_state,
        "to": event.to_state,
        "data": event.data,
        "proposal_sha256": event.proposal_sha256,
        "valid_for_current_text": event.proposal_sha256 == act.proposal_sha256,
        "recorded_at": iso(event.recorded_at),
        "recorded_by": event.recorded_by.username,
        "recorded_role": event.recorded_role,
    }


def detail(act: Act, user: User) -> dict[str, Any]:
    """Everything about the act as the API answers it, with the events `user` may fire now."""
    return {
        **summary(act),
        "record": record_json(act, rome_today(clock())),
        **numbers_json(act),
        "procedure_id": act.procedure_id,
        "testo": act.testo,
        "proposal_sha256": act.proposal_sha256,
        "proposal_revision": act.proposal_revision,
        "missing_opinions": acts.missing_opinions(act),
        "events": [event_json(act, e) for e in act.events],
        "allowed_events": allowed_events_json(acts.allowed_events(act, user, clock())),
    }


@bp.get("/acts")
@bp.answers(200, ActList, errors=(422,))
@bp.arguments(SearchQuery, location="query")
def list_acts(query: dict[str, Any]) -> dict[str, Any]:
    """The acts whose oggetto, number or fascicolo match `q` (all of them without it)."""
    return {"acts": [summary(a) for a in queries.search(query["q"])]}


@bp.post("/acts")
@bp.answers(201, ActDetail, errors=(*BODY_ERRORS, 404))
@bp.arguments(ProposeBody)
def propose(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Propose an act (its first state): the proposal's text and descriptive fields."""
    act = acts.propose(body.pop("act_type"), actor=caller(), clock=clock(), **body)
    return detail(act, caller()), 201


@bp.get("/acts/<int:act_id>")
@bp.answers(200, ActDetail, errors=(404,))
def show(act_id: int) -> dict[str, Any]:
    """One act: its record, numbers, events and the events allowed to the caller."""
    return detail(acts.get(act_id), caller())


@bp.post(
    "/acts/<int:act_id>/events/<event>",
    parameters=[event_parameter(ACT_DEFINITIONS.values())],
)
@bp.answers(200, ActDetail, errors=(*BODY_ERRORS, 404, 409))
@bp.doc(requestBody=event_body(ACT_DEFINITIONS.values()))
def fire_event(act_id: int, event: str) -> dict[str, Any]:
    """Fire an event of the act's machine (an opinion, a signature, a number…) with its data.

    The body's fields depend on the event: the step's own parser reads them.
    """
    body = json_body()
    version = body_version(body, "dell'atto", text=True)
    data = {k: v for k, v in body.items() if k != "version"}
    act = acts.fire_event(
        act_id, event, expected_version=version, data=data, actor=caller(), clock=clock()
    )
    return detail(act, caller())


@bp.post("/acts/<int:act_id>/documents")
@bp.answers(201, Uploaded, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(UploadForm, location="multipart")
def upload(form: dict[str, Any], act_id: int) -> tuple[dict[str, Any], int]:
    """Attach a PDF to the act: its SHA-256 and its signatures are read and stored."""
    upload = form["file"]
    document = documents.attach(
        act_id,
        expected_version=form["version"],
        filename=upload.filename or "",
        content=upload.read(documents.max_bytes() + 1),
        kind=form["kind"],
        original_id=form["original_id"],
        actor=caller(),
        clock=clock(),
    )
    act = acts.get(act_id)
    return {"document": document_json(act, document), "version": act.version}, 201


@bp.post("/acts/<int:act_id>/documents/<int:document_id>/role")
@bp.answers(200, Uploaded, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(RoleBody)
def change_role(body: dict[str, Any], act_id: int, document_id: int) -> dict[str, Any]:
    """Give a document another role, before publication only (audited)."""
    document = documents.change_role(
        act_id,
        document_id,
        expected_version=body["version"],
        kind=body["kind"],
        original_id=body["original_id"],
        actor=caller(),
        clock=clock(),
    )
    act = acts.get(act_id)
    return {"document": document_json(act, document), "version": act.version}


@bp.post("/acts/<int:act_id>/documents/<int:document_id>/withdraw")
@bp.answers(200, Uploaded, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(WithdrawBody)
def withdraw(body: dict[str, Any], act_id: int, document_id: int) -> dict[str, Any]:
    """Withdraw a wrong upload before publication: kept for staff, never published; after
    publication 409 (only annulment)."""
    document = documents.withdraw(
        act_id,
        document_id,
        expected_version=body["version"],
        reason=body["motivazione"],
        actor=caller(),
        clock=clock(),
    )
    act = acts.get(act_id)
    return {"document": document_json(act, document), "version": act.version}


@bp.get("/acts/<int:act_id>/referto")
@bp.answers(200, PDF, errors=(404,), content_type="application/pdf")
def referto_pdf(act_id: int) -> Response:
    """The referto di pubblicazione (PDF/A) to be signed, once the relata is issued."""
    act = acts.get(act_id)
    relata = queries.relata(act)
    if relata is None:
        raise NotFound("La relata di pubblicazione non è ancora stata rilasciata.")
    body = referto.referto_pdf(act, relata)
    name = f"referto-pubblicazione-{act.albo_number}-{act.albo_year}.pdf"
    return send_pdf(body, name, hashlib.sha256(body).digest())


@bp.post("/acts/<int:act_id>/referto")
@bp.answers(201, Uploaded, errors=(*BODY_ERRORS, 404, 409))
@bp.arguments(RefertoForm, location="multipart")
def upload_referto(form: dict[str, Any], act_id: int) -> tuple[dict[str, Any], int]:
    """Upload the referto signed by the Segretario Generale who issued the relata."""
    upload = form["file"]
    document = documents.attach_referto(
        act_id,
        expected_version=form["version"],
        filename=upload.filename or "",
        content=upload.read(documents.max_bytes() + 1),
        actor=caller(),
        clock=clock(),
    )
    act = acts.get(act_id)
    return {"document": document_json(act, document), "version": act.version}, 201


@bp.get("/albo/registro")
@bp.answers(200, CSV, errors=(422,), content_type="text/csv")
@bp.arguments(YearQuery, location="query")
def albo_register(query: dict[str, Any]) -> Response:
    """The register of the year's publications on the Albo, annulled ones included, as CSV."""
    year = query["anno"]
    form = csvexport.variant(query.get(csvexport.PARAMETER))
    today = rome_today(clock())
    csv = referto.register_csv(queries.albo_register(year), today, form)
    return csvexport.download(csv, f"registro-albo-{year}", form)


@bp.get("/acts/<int:act_id>/documents/<int:document_id>")
@bp.answers(200, PDF, errors=(404,), content_type="application/pdf")
def download(act_id: int, document_id: int) -> Response:
    """A stored document as it was uploaded, with its SHA-256 in the headers."""
    document = documents.get_document(act_id, document_id)
    return send_pdf(documents.read(document), document.original_name, document.sha256)


@bp.get("/registers/<register>/daily", parameters=[REGISTER_PARAMETER])
@bp.answers(200, CSV, errors=(422,), content_type="text/csv")
@bp.arguments(RegisterQuery, location="query")
def daily_register(query: dict[str, Any], register: str) -> Response:
    """A register's entries of one day, as CSV."""
    if register not in registers.REGISTERS:
        raise InvalidData(f"Registro «{register}» sconosciuto.")
    day = query["date"]
    form = csvexport.variant(query.get(csvexport.PARAMETER))
    csv = registers.daily_register_csv(day, register, form)
    return csvexport.download(csv, f"registro-{register}-{day}", form)
