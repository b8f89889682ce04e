"""The protocol register's pages: the list with its filters and CSV export, the registration
form, one registration (with annulment and segnatura), and the fascicolo page."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workflow.access.enforce import may
from workflow.acts import queries as acts_queries
from workflow.core import csvexport
from workflow.core.errors import GuardFailed, TooLarge
from workflow.core.forms import RELOAD_FILE, on_too_large
from workflow.core.web import clock
from workflow.protocollo import fascicoli, queries, segnatura
from workflow.protocollo import operations as protocollo
from workflow.protocollo.forms import AnnulmentForm, RegistrationForm
from workflow.protocollo.models import DIRECTIONS
from workflow.protocollo.operations import DocumentData

bp = Blueprint("protocollo", __name__)


@bp.get("/protocollo")
def list_entries() -> str:
    filters = queries.Filters.from_args(request.args)
    return render_template(
        "protocollo/list.html",
        rows=queries.search(filters),
        filters=filters,
        directions=DIRECTIONS,
        fascicolo=acts_queries.fascicolo_in(filters.q),
        # The export keeps the list's filters; the CSV variant is the link's own choice.
        csv_args={k: v for k, v in request.args.items() if k != csvexport.PARAMETER},
        may_register=may(current_user, "protocol.register"),
    )


@bp.get("/protocollo.csv")
def export_csv() -> Response:
    filters = queries.Filters.from_args(request.args)
    form = csvexport.variant(request.args.get(csvexport.PARAMETER))
    return csvexport.download(
        queries.csv_export(queries.search(filters), form), "registro-protocollo", form
    )


def _form_page(form: RegistrationForm, status: int = 200) -> tuple[str, int]:
    return render_template("protocollo/new.html", form=form), status


@on_too_large("protocollo.create")
def _too_large(message: str) -> tuple[str, int]:
    form = RegistrationForm(formdata=None)
    form.documents.errors = [message]
    return _form_page(form, 413)


@bp.get("/protocollo/nuovo")
def new() -> tuple[str, int]:
    return _form_page(RegistrationForm())


@bp.post("/protocollo/nuovo")
def create() -> Response | tuple[str, int]:
    form = RegistrationForm()
    if not form.validate():
        flash("Registrazione non eseguita: correggere i campi indicati.", "error")
        return _form_page(form, 422)
    try:
        registration = protocollo.register(
            direction=form.direction.data,
            oggetto=form.oggetto.data,
            document_date=form.document_date.data,
            sender_protocol=form.sender_protocol.data or "",
            sender_protocol_date=form.sender_protocol_date.data,
            fascicolo=form.fascicolo.data,
            correspondents=form.correspondent_data(),
            documents=[
                DocumentData(file_name=f.filename or "", content=f.read())
                for f in form.documents.data
                if f
            ],
            actor=current_user,
            clock=clock(),
        )
    except TooLarge as exc:
        form.documents.errors = [f"{exc.message} {RELOAD_FILE}"]
        return _form_page(form, exc.status)
    except GuardFailed as exc:
        flash(exc.message, "error")
        return _form_page(form, exc.status)
    entry = registration.entry
    label = queries.row_of(entry).label
    flash(f"Documento protocollato con il numero {label}.", "info")
    return redirect(url_for("protocollo.show", anno=entry.year, numero=entry.number))


@bp.get("/protocollo/<int:anno>/<int:numero>")
def show(anno: int, numero: int) -> str:
    row = queries.row_of(protocollo.entry_of(anno, numero))
    return render_template(
        "protocollo/show.html",
        row=row,
        form=AnnulmentForm(),
        may_annul=may(current_user, "protocol.annul") and row.annulment is None,
        impronta=segnatura.impronta,
    )


@bp.post("/protocollo/<int:anno>/<int:numero>/annulla")
def annul(anno: int, numero: int) -> Response | tuple[str, int]:
    form = AnnulmentForm()
    if form.validate():
        try:
            protocollo.annul(
                anno,
                numero,
                reason=form.reason.data,
                authorising_act=form.authorising_act.data,
                actor=current_user,
                clock=clock(),
            )
        except GuardFailed as exc:
            flash(exc.message, "error")
        else:
            flash("Registrazione annullata: resta visibile, segnata come annullata.", "info")
            return redirect(url_for("protocollo.show", anno=anno, numero=numero))
    else:
        flash("Annullamento non eseguito: indicare il motivo e il provvedimento.", "error")
    row = queries.row_of(protocollo.entry_of(anno, numero))
    page = render_template(
        "protocollo/show.html",
        row=row,
        form=form,
        may_annul=may(current_user, "protocol.annul") and row.annulment is None,
        impronta=segnatura.impronta,
    )
    return page, 422


@bp.get("/protocollo/<int:anno>/<int:numero>/segnatura.xml")
def segnatura_xml(anno: int, numero: int) -> Response:
    return segnatura.download(protocollo.entry_of(anno, numero))


@bp.get("/fascicolo")
def fascicolo() -> str:
    found = fascicoli.browse(request.args.get("codice", ""))
    return render_template("protocollo/fascicolo.html", fascicolo=found)
