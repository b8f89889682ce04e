"""The staff UI for acts: list and search, propose, the record and its events, one form a step."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflow.access.enforce import may
from workflow.acts import documents, queries, signature_check
from workflow.acts import operations as acts
from workflow.core.clock import rome_today
from workflow.core.errors import BadRequest, GuardFailed, InvalidData, NotFound
from workflow.core.web import clock, form_version, send_pdf
from workflow.definitions import ACT_LATEST
from workflow.definitions import acts as machine

bp = Blueprint("acts", __name__)


@bp.app_context_processor
def signature_words() -> dict[str, object]:
    """What the document cards of the act page and of the Albo say of their signatures."""
    return {
        "signature_message": lambda d: signature_check.stored_check(d).message,
        "not_against_trust_list": signature_check.NOT_AGAINST_TRUST_LIST,
    }


PROPOSAL_FIELDS = ("oggetto", "fascicolo", "proponente", "materia", "struttura", "testo")


def _form_version() -> int:
    return form_version("Manca la versione dell'atto: ricarica la pagina.")


@bp.get("/atti")
@login_required
def list_acts() -> str:
    q = request.args.get("q", "")
    today = rome_today(clock())
    return render_template(
        "acts/list.html",
        rows=[(a, queries.record(a, today)) for a in queries.search(q)],
        q=q,
        fascicolo=queries.fascicolo_in(q),
        types=machine.ACT_TYPES,
        may_propose=may(current_user, "act.propose"),
        values={},
    )


@bp.post("/atti")
@login_required
def propose() -> Response | tuple[str, int]:
    values = {name: request.form.get(name, "") for name in PROPOSAL_FIELDS}
    raw_procedure = request.form.get("procedure_id", "").strip()
    try:
        if raw_procedure and not (raw_procedure.isascii() and raw_procedure.isdigit()):
            # Never dropped in silence: an act proposed "for" a procedure that is not one.
            raise InvalidData("«Procedimento»: indicare il numero del procedimento, o nulla.")
        act = acts.propose(
            request.form.get("act_type", "decreto_sindaco"),
            actor=current_user,
            clock=clock(),
            procedure_id=int(raw_procedure) if raw_procedure else None,
            **values,
        )
    except GuardFailed as exc:
        flash(exc.message, "error")
        today = rome_today(clock())
        page = render_template(
            "acts/list.html",
            rows=[(a, queries.record(a, today)) for a in queries.search("")],
            q="",
            types=machine.ACT_TYPES,
            may_propose=may(current_user, "act.propose"),
            values=values,
        )
        return page, exc.status
    flash("Proposta registrata.", "info")
    return redirect(url_for("acts.show", act_id=act.id))


@bp.get("/atti/<int:act_id>")
@login_required
def show(act_id: int) -> str:
    act = acts.get(act_id)
    today = rome_today(clock())
    return render_template(
        "acts/show.html",
        act=act,
        kind=acts.act_type(act),
        record=queries.record(act, today),
        state_label=queries.state_label(act),
        steps=acts.allowed_events(act, current_user, clock()),
        missing=acts.missing_opinions(act),
        signatures=acts.signatures(act),
        definition=ACT_LATEST,
        executable_on=acts.executability_date(act),
        may_upload=may(current_user, "act.upload")
        and act.state in (*machine.BEFORE_ADOPTION, machine.ADOTTATO),
        document_url=lambda d: url_for("acts.document", act_id=act.id, document_id=d.id),
    )


@bp.get("/atti/<int:act_id>/relata")
@login_required
def relata(act_id: int) -> str:
    """The printable certificate of publication, once the Segretario has issued it."""
    act = acts.get(act_id)
    event = next((e for e in act.events if e.event == "relata"), None)
    if event is None:
        raise NotFound("La relata di pubblicazione non è ancora stata rilasciata.")
    return render_template(
        "acts/relata.html",
        act=act,
        event=event,
        record=queries.record(act, rome_today(clock())),
        kind=acts.act_type(act),
    )


@bp.post("/atti/<int:act_id>/passaggi/<event>")
@login_required
def fire(act_id: int, event: str) -> Response:
    data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
    try:
        acts.fire_event(
            act_id,
            event,
            expected_version=_form_version(),
            data=data,
            actor=current_user,
            clock=clock(),
        )
    except GuardFailed as exc:
        flash(exc.message, "error")
        return redirect(url_for("acts.show", act_id=act_id))
    flash("Passaggio registrato.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


@bp.post("/atti/<int:act_id>/documenti")
@login_required
def upload(act_id: int) -> Response:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("Scegliere un file PDF da caricare.")
    try:
        document = documents.attach(
            act_id,
            expected_version=_form_version(),
            filename=upload.filename,
            content=upload.read(documents.max_bytes() + 1),
            kind=request.form.get("kind", "atto"),
            actor=current_user,
            clock=clock(),
        )
    except GuardFailed as exc:
        flash(exc.message, "error")
        return redirect(url_for("acts.show", act_id=act_id))
    flash(f"Documento caricato; impronta SHA-256 {document.sha256_hex}.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


@bp.get("/atti/<int:act_id>/documenti/<int:document_id>")
@login_required
def document(act_id: int, document_id: int) -> Response:
    document = documents.get_document(act_id, document_id)
    return send_pdf(documents.read(document), document.original_name, document.sha256)
