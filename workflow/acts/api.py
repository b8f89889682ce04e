"""The JSON API (v1) for acts and registers: same token, same conventions as procedures."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, request

from workflow.access.models import User
from workflow.acts import documents, queries, registers
from workflow.acts import operations as acts
from workflow.acts.models import Act, ActDocument, ActEvent
from workflow.core import csvexport
from workflow.core.clock import rome_today
from workflow.core.errors import BadRequest, InvalidData
from workflow.core.web import body_version, caller, clock, iso, json_body, send_pdf
from workflow.engine.stepdata import allowed_events_json, parse_date

bp = Blueprint("acts_api", __name__, url_prefix="/api/v1")


def document_json(act: Act, document: ActDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "kind": document.kind,
        "name": document.original_name,
        "sha256": document.sha256_hex,
        "size": document.size,
        "uploaded_at": iso(document.uploaded_at),
        "signature_status": document.signature_status,
        "signatures": [
            {
                "firmato_digitalmente_da": s.signer_name,
                "signing_time": iso(s.signing_time),
                "intact": s.intact,
                "trusted": s.trusted,
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
            "giorni": act.publication_days,
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
def list_acts() -> dict[str, Any]:
    return {"acts": [summary(a) for a in queries.search(request.args.get("q", ""))]}


@bp.post("/acts")
def propose() -> tuple[dict[str, Any], int]:
    body = json_body()
    procedure_id = body.get("procedure_id")
    if procedure_id is not None and (not isinstance(procedure_id, int) or procedure_id < 1):
        raise BadRequest("«procedure_id» deve essere un intero.")
    fields = ("oggetto", "fascicolo", "proponente", "materia", "struttura", "testo")
    act = acts.propose(
        str(body.get("act_type", "decreto_sindaco")),
        actor=caller(),
        clock=clock(),
        procedure_id=procedure_id,
        **{name: body.get(name) or "" for name in fields},
    )
    return detail(act, caller()), 201


@bp.get("/acts/<int:act_id>")
def show(act_id: int) -> dict[str, Any]:
    return detail(acts.get(act_id), caller())


@bp.post("/acts/<int:act_id>/events/<event>")
def fire_event(act_id: int, event: str) -> dict[str, Any]:
    body = json_body()
    version = body_version(body, "dell'atto", text=True)
    data = {k: v for k, v in body.items() if k != "version"}
    act = acts.fire_event(
        act_id, event, expected_version=version, data=data, actor=caller(), clock=clock()
    )
    return detail(act, caller())


@bp.post("/acts/<int:act_id>/documents")
def upload(act_id: int) -> tuple[dict[str, Any], int]:
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Manca il file (campo «file» di un modulo multipart).")
    document = documents.attach(
        act_id,
        expected_version=body_version(request.form, "dell'atto", text=True),
        filename=upload.filename or "",
        content=upload.read(documents.max_bytes() + 1),
        kind=request.form.get("kind", "atto"),
        actor=caller(),
        clock=clock(),
    )
    act = acts.get(act_id)
    return {"document": document_json(act, document), "version": act.version}, 201


@bp.get("/acts/<int:act_id>/documents/<int:document_id>")
def download(act_id: int, document_id: int) -> Response:
    document = documents.get_document(act_id, document_id)
    return send_pdf(documents.read(document), document.original_name, document.sha256)


@bp.get("/registers/<register>/daily")
def daily_register(register: str) -> Response:
    raw = request.args.get("date")
    if not raw:
        raise BadRequest("Manca «date» (aaaa-mm-gg): il giorno del registro.")
    if register not in registers.REGISTERS:
        raise InvalidData(f"Registro «{register}» sconosciuto.")
    day = parse_date(raw, "Giorno del registro")
    form = csvexport.variant(request.args.get(csvexport.PARAMETER))
    csv = registers.daily_register_csv(day, register, form)
    return csvexport.download(csv, f"registro-{register}-{day}", form)
