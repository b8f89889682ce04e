"""The staff UI for acts: list and search, propose, the record and its events, one form a step."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms import Form

from workflow.access.enforce import may
from workflow.acts import documents, progress, queries, referto, signature_check
from workflow.acts import operations as acts
from workflow.acts.forms import (
    DocumentUploadForm,
    ProposalForm,
    RefertoForm,
    RoleForm,
    WithdrawForm,
)
from workflow.acts.models import Act, ActEvent
from workflow.core import csvexport
from workflow.core.clock import rome_today
from workflow.core.errors import Conflict, GuardFailed, InvalidData, NotFound, TooLarge
from workflow.core.forms import on_too_large, place_error, step_form
from workflow.core.web import clock, form_version, send_pdf
from workflow.definitions import ACT_LATEST
from workflow.definitions import acts as machine
from workflow.procedures import operations as procedures

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


def _list_page(q: str = "", form: ProposalForm | None = None, status: int = 200) -> tuple[str, int]:
    """The acts found by `q`, with the proposal form (as typed after a refusal)."""
    today = rome_today(clock())
    page = render_template(
        "acts/list.html",
        rows=[(a, queries.record(a, today)) for a in queries.search(q)],
        q=q,
        fascicolo=queries.fascicolo_in(q),
        types=machine.ACT_TYPES,
        may_propose=may(current_user, "act.propose"),
        form=form or ProposalForm(procedures.list_all(), formdata=None),
    )
    return page, status


@bp.get("/atti")
@login_required
def list_acts() -> tuple[str, int]:
    return _list_page(request.args.get("q", ""))


@bp.post("/atti")
@login_required
def propose() -> Response | tuple[str, int]:
    form = ProposalForm(procedures.list_all())
    if not form.validate_on_submit():
        return _list_page(form=form, status=422)
    try:
        act = acts.propose(
            form.act_type.data,
            actor=current_user,
            clock=clock(),
            procedure_id=int(form.procedure_id.data) if form.procedure_id.data else None,
            **{name: form[name].data or "" for name in PROPOSAL_FIELDS},
        )
    except (GuardFailed, NotFound) as refusal:
        form.refuse(refusal)
        return _list_page(form=form, status=refusal.status)
    flash("Proposta registrata.", "info")
    return redirect(url_for("acts.show", act_id=act.id))


def _step_forms(act: Act, steps: list[Any], failed: tuple[str, Form] | None) -> dict[str, Form]:
    """A form per next step (core.forms.step_form): the one that was refused as typed, with its
    message; the others fresh ("rivedi" starts from the act's current text)."""
    forms = {}
    for s in steps:
        if failed is not None and failed[0] == s.event:
            forms[s.event] = failed[1]
            continue
        start = MultiDict({"testo": act.testo} if s.event == "rivedi" else {})
        forms[s.event] = step_form(s, start, f"{s.event}-")
    return forms


@bp.get("/atti/<int:act_id>")
@login_required
def show(act_id: int) -> str:
    return _act_page(act_id)[0]


def _act_page(
    act_id: int,
    failed: tuple[str, Form] | None = None,
    status: int = 200,
    upload: DocumentUploadForm | None = None,
    document_form: tuple[int, RoleForm | WithdrawForm] | None = None,
    referto_form: RefertoForm | None = None,
) -> tuple[str, int]:
    """The act's page; `failed` (event, form) a refused step's form as typed, `upload` a refused
    document upload as typed, `document_form` (document id, form) a refused role change or
    withdrawal as typed, `referto_form` a refused referto upload, `status` the refusal's code."""
    act = acts.get(act_id)
    definition_of_act = acts.definition_of(act)
    today = rome_today(clock())
    steps = acts.allowed_events(act, current_user, clock())
    as_act, as_annex = acts.publication_choices(act)
    by_id = {d.id: d for d in act.documents}
    page = render_template(
        "acts/show.html",
        act=act,
        kind=acts.act_type(act),
        record=queries.record(act, today),
        state_label=queries.state_label(act),
        steps=steps,
        step_forms=_step_forms(act, steps, failed),
        upload=upload or DocumentUploadForm(formdata=None),
        role_form=lambda d: _document_form(RoleForm, d, document_form),
        withdraw_form=lambda d: _document_form(WithdrawForm, d, document_form),
        referto_form=referto_form or RefertoForm(formdata=None),
        document_refused=document_form[0] if document_form else None,
        waiting=progress.what_is_missing(act, clock()),
        final=definition_of_act.state(act.state).final,
        missing=acts.missing_opinions(act),
        signatures=acts.signatures(act),
        definition=ACT_LATEST,
        executable_on=acts.executability_date(act),
        may_upload=may(current_user, "act.upload")
        and act.state in (*machine.BEFORE_ADOPTION, machine.ADOTTATO),
        may_upload_referto=may(current_user, "act.referto") and queries.referto(act) is None,
        document_url=lambda d: url_for("acts.document", act_id=act.id, document_id=d.id),
        roles=acts.DOCUMENT_ROLES,
        upload_roles=documents.KINDS,
        names={d.id: d.original_name for d in act.documents},
        choices={
            "atto": [(by_id[i], problem) for i, problem in as_act.items()],
            "allegati": [(by_id[i], problem) for i, problem in as_annex.items()],
        },
        annulment=queries.annulment(act),
        extensions=queries.extensions(act),
        original_end=queries.original_end(act),
    )
    return page, status


def _document_form(
    kind: type[RoleForm] | type[WithdrawForm],
    document: Any,
    failed: tuple[int, RoleForm | WithdrawForm] | None,
) -> RoleForm | WithdrawForm:
    """The role or withdrawal form of `document`: the refused one as typed, else a fresh one (the
    role form showing the document's current role and original)."""
    if failed is not None and failed[0] == document.id and isinstance(failed[1], kind):
        return failed[1]
    if kind is RoleForm:
        original = str(document.original_id or "")
        return RoleForm(document.id, formdata=None, kind=document.kind, original_id=original)
    return WithdrawForm(document.id, formdata=None)


@bp.get("/atti/<int:act_id>/relata")
@login_required
def relata(act_id: int) -> str:
    """The printable certificate of publication, once the Segretario has issued it."""
    act = acts.get(act_id)
    return render_template(
        "acts/relata.html",
        act=act,
        event=_relata(act),
        extensions=queries.extensions(act),
        record=queries.record(act, rome_today(clock())),
        kind=acts.act_type(act),
    )


@bp.post("/atti/<int:act_id>/passaggi/<event>")
@login_required
def fire(act_id: int, event: str) -> Response | tuple[str, int]:
    # A field that picks several documents comes as repeated keys: kept as a list.
    data = {
        k: v if len(v) > 1 else v[0]
        for k, v in request.form.lists()
        if k not in ("csrf_token", "version")
    }
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
        step = next(
            (
                s
                for s in acts.allowed_events(acts.get(act_id), current_user, clock())
                if s.event == event
            ),
            None,
        )
        if step is None:
            flash(exc.message, "error")
            return redirect(url_for("acts.show", act_id=act_id))
        form = step_form(step, request.form, f"{event}-")
        place_error(form, exc)
        return _act_page(act_id, (event, form), exc.status)
    flash("Passaggio registrato.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


def _original_id() -> int | None:
    """The original a version for publication stands for, as the form gives it."""
    raw = request.form.get("original_id", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise InvalidData("«Documento originale»: scegliere un documento dell'atto.")
    return int(raw)


@bp.post("/atti/<int:act_id>/documenti")
@login_required
def upload(act_id: int) -> Response | tuple[str, int]:
    form = DocumentUploadForm()
    if not form.validate_on_submit():
        return _act_page(act_id, upload=form, status=400)
    try:
        document = documents.attach(
            act_id,
            expected_version=_form_version(),
            filename=form.file.data.filename,
            content=form.file.data.read(documents.max_bytes() + 1),
            kind=form.kind.data,
            original_id=_original_id(),
            actor=current_user,
            clock=clock(),
        )
    except (GuardFailed, TooLarge) as exc:
        form.refuse(exc)
        return _act_page(act_id, upload=form, status=exc.status)
    flash(f"Documento caricato; impronta SHA-256 {document.sha256_hex}.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


@on_too_large("acts.upload")
def _upload_too_large(message: str) -> tuple[str, int]:
    form = DocumentUploadForm(formdata=None)
    form.file.errors = [message]
    return _act_page(request.view_args["act_id"], upload=form, status=413)


@on_too_large("acts.upload_referto")
def _referto_too_large(message: str) -> tuple[str, int]:
    form = RefertoForm(formdata=None)
    form.file.errors = [message]
    return _act_page(request.view_args["act_id"], referto_form=form, status=413)


@bp.post("/atti/<int:act_id>/documenti/<int:document_id>/ruolo")
@login_required
def change_role(act_id: int, document_id: int) -> Response | tuple[str, int]:
    form = RoleForm(document_id)
    if not form.validate_on_submit():
        return _act_page(act_id, document_form=(document_id, form), status=422)
    try:
        documents.change_role(
            act_id,
            document_id,
            expected_version=_form_version(),
            kind=form.kind.data,
            original_id=_original_id(),
            actor=current_user,
            clock=clock(),
        )
    except (GuardFailed, Conflict) as exc:
        form.refuse(exc)
        return _act_page(act_id, document_form=(document_id, form), status=exc.status)
    flash("Ruolo del documento cambiato.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


@bp.post("/atti/<int:act_id>/documenti/<int:document_id>/ritiro")
@login_required
def withdraw(act_id: int, document_id: int) -> Response | tuple[str, int]:
    form = WithdrawForm(document_id)
    if not form.validate_on_submit():
        return _act_page(act_id, document_form=(document_id, form), status=422)
    try:
        documents.withdraw(
            act_id,
            document_id,
            expected_version=_form_version(),
            reason=form.motivazione.data,
            actor=current_user,
            clock=clock(),
        )
    except (GuardFailed, Conflict) as exc:
        form.refuse(exc)
        return _act_page(act_id, document_form=(document_id, form), status=exc.status)
    flash("Documento ritirato: resta visibile agli uffici.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


def _relata(act: Act) -> ActEvent:
    event = queries.relata(act)
    if event is None:
        raise NotFound("La relata di pubblicazione non è ancora stata rilasciata.")
    return event


@bp.get("/atti/<int:act_id>/referto.pdf")
@login_required
def referto_pdf(act_id: int) -> Response:
    """The referto di pubblicazione to be signed by the Segretario Generale (PDF/A)."""
    act = acts.get(act_id)
    body = referto.referto_pdf(act, _relata(act))
    name = f"referto-pubblicazione-{act.albo_number}-{act.albo_year}.pdf"
    return send_pdf(body, name, hashlib.sha256(body).digest())


@bp.post("/atti/<int:act_id>/referto")
@login_required
def upload_referto(act_id: int) -> Response | tuple[str, int]:
    form = RefertoForm()
    if not form.validate_on_submit():
        return _act_page(act_id, referto_form=form, status=400)
    try:
        documents.attach_referto(
            act_id,
            expected_version=_form_version(),
            filename=form.file.data.filename,
            content=form.file.data.read(documents.max_bytes() + 1),
            actor=current_user,
            clock=clock(),
        )
    except (GuardFailed, Conflict, TooLarge) as exc:
        form.refuse(exc)
        return _act_page(act_id, referto_form=form, status=exc.status)
    flash("Referto firmato caricato: è pubblicato con la scheda all'Albo.", "info")
    return redirect(url_for("acts.show", act_id=act_id))


@bp.get("/atti/albo/registro")
@login_required
def albo_register() -> str | Response:
    """The printable register of the year's publications on the Albo (and its CSV)."""
    today = rome_today(clock())
    year = _year(request.args.get("anno", ""), today.year)
    rows = referto.register_rows(queries.albo_register(year), today)
    if request.args.get("formato"):
        form = csvexport.variant(request.args.get(csvexport.PARAMETER))
        csv = csvexport.text(referto.REGISTER_COLUMNS, rows, form)
        return csvexport.download(csv, f"registro-albo-{year}", form)
    return render_template(
        "acts/albo_register.html", year=year, rows=rows, columns=referto.REGISTER_COLUMNS
    )


def _year(raw: str, default: int) -> int:
    raw = raw.strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise InvalidData("«Anno»: indicare un anno di quattro cifre, ad esempio 2025.")
    return int(raw)


@bp.get("/atti/<int:act_id>/documenti/<int:document_id>")
@login_required
def document(act_id: int, document_id: int) -> Response:
    document = documents.get_document(act_id, document_id)
    return send_pdf(documents.read(document), document.original_name, document.sha256)
