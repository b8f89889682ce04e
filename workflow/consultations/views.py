"""The territory (Comuni, Unioni, Forum and their addresses) and the consultation page of a
procedure: open the window, register contributions, read completeness, export, close."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workflow.access.enforce import may
from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory, territory_data
from workflow.consultations.forms import (
    AddressesForm,
    CloseForm,
    ContributionForm,
    ForumMemberForm,
    OpenForm,
)
from workflow.consultations.models import CHANNELS
from workflow.consultations.themes import THEMES
from workflow.core import csvexport
from workflow.core.errors import Conflict, GuardFailed, InvalidData, TooLarge
from workflow.core.forms import ButtonForm, on_too_large, place_error
from workflow.core.web import clock, form_version
from workflow.procedures import operations as procedures
from workflow.procedures import record

bp = Blueprint("contributions", __name__)


@bp.get("/territorio")
def territory_index() -> tuple[str, int]:
    return _territory_page()


def _territory_page(
    *,
    addresses: tuple[int, AddressesForm] | None = None,
    member: ForumMemberForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The territory with its forms: `addresses` (body id, form) a refused address list as typed,
    `member` a refused new Forum member as typed, `status` the refusal's (403, 409, 422) or 200."""

    def addresses_form(body: Any) -> AddressesForm:
        if addresses is not None and addresses[0] == body.id:
            return addresses[1]
        typed = ", ".join(a.address for a in body.addresses)
        return AddressesForm(body.id, formdata=None, addresses=typed)

    page = render_template(
        "contributions/territory.html",
        bodies=territory.bodies(),
        zones=territory_data.ZONE_LABELS,
        members=territory.union_members(),
        may_manage=may(current_user, "territory.manage"),
        addresses_form=addresses_form,
        member=member or ForumMemberForm(formdata=None),
    )
    return page, status


@bp.post("/territorio/<int:body_id>/indirizzi")
def set_addresses(body_id: int) -> Response | tuple[str, int]:
    form = AddressesForm(body_id)
    if not form.validate_on_submit():
        return _territory_page(addresses=(body_id, form), status=422)
    try:
        territory.set_addresses(body_id, form.lines(), actor=current_user, clock=clock())
    except (GuardFailed, Conflict) as refusal:
        form.addresses.errors = [*form.addresses.errors, refusal.message]
        return _territory_page(addresses=(body_id, form), status=refusal.status)
    flash("Indirizzi aggiornati.", "info")
    return redirect(url_for("contributions.territory_index", _anchor=f"ente-{body_id}"))


@bp.post("/territorio/forum")
def add_forum_member() -> Response | tuple[str, int]:
    form = ForumMemberForm()
    if not form.validate_on_submit():
        return _territory_page(member=form, status=422)
    try:
        territory.add_forum_member(
            form.name.data, addresses=form.lines(), actor=current_user, clock=clock()
        )
    except (GuardFailed, Conflict) as refusal:
        form.refuse(refusal)
        return _territory_page(member=form, status=refusal.status)
    flash("Componente del Forum aggiunto.", "info")
    return redirect(url_for("contributions.territory_index"))


@bp.post("/territorio/forum/<int:body_id>/stato")
def set_forum_member_active(body_id: int) -> Response:
    active = ButtonForm().checked().on
    territory.set_forum_member_active(body_id, active, actor=current_user, clock=clock())
    flash("Elenco del Forum aggiornato.", "info")
    return redirect(url_for("contributions.territory_index", _anchor=f"ente-{body_id}"))


def _consultation_page(
    procedure_id: int,
    *,
    opening: OpenForm | None = None,
    contribution: ContributionForm | None = None,
    closing: CloseForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The consultation page with its forms: those given (a failed submission, typed values and
    messages kept) or fresh ones; `status` the refusal's (400, 409, 413, 422) or 200."""
    procedure = procedures.get(procedure_id)
    found = queries.for_procedure(procedure.id)
    extension = record.extension(procedure.steps)
    definition = procedures.definition_of(procedure)
    if found is not None and contribution is None:
        contribution = ContributionForm(found, formdata=None)
    page = render_template(
        "contributions/consultation.html",
        procedure=procedure,
        consultation=found,
        extension=extension,
        extension_act=record.citation(definition, extension[0]) if extension else "",
        status=queries.status(found) if found else None,
        deadline=queries.effective_deadline(found) if found else None,
        zones=territory_data.ZONE_LABELS,
        themes=THEMES,
        channels=CHANNELS,
        may_manage=may(current_user, "consultation.manage"),
        may_register=may(current_user, "contribution.register"),
        opening=opening
        or OpenForm(formdata=None, zones=list(territory_data.ZONE_LABELS), forum=True),
        contribution=contribution,
        closing=closing or CloseForm(formdata=None),
    )
    return page, status


@bp.get("/procedimenti/<int:procedure_id>/consultazione")
def consultation(procedure_id: int) -> tuple[str, int]:
    return _consultation_page(procedure_id)


@bp.post("/procedimenti/<int:procedure_id>/consultazione")
def open_consultation(procedure_id: int) -> Response | tuple[str, int]:
    form = OpenForm()
    if not form.validate_on_submit():
        return _consultation_page(procedure_id, opening=form, status=422)
    try:
        contributions.open_consultation(
            procedure_id,
            deadline=form.deadline.data,
            zones=form.zones.data or [],
            forum=form.forum.data,
            unions=form.unions.data,
            actor=current_user,
            clock=clock(),
        )
    except (Conflict, InvalidData) as refusal:
        place_error(form, refusal)
        return _consultation_page(procedure_id, opening=form, status=refusal.status)
    flash("Consultazione aperta.", "info")
    return redirect(url_for("contributions.consultation", procedure_id=procedure_id))


@bp.post("/consultazioni/<int:consultation_id>/contributi")
def register(consultation_id: int) -> Response | tuple[str, int]:
    found = queries.get(consultation_id)
    form = ContributionForm(found)
    if not form.validate_on_submit():
        status = 400 if form.file.errors and len(form.errors) == 1 else 422
        return _consultation_page(found.procedure_id, contribution=form, status=status)
    upload = form.file.data
    try:
        contribution = contributions.register_contribution(
            consultation_id,
            body_id=int(form.body_id.data),
            received_at=form.received_at.data,
            channel=form.channel.data,
            summary=form.summary.data,
            themes=form.themes.data or [],
            file_name=upload.filename or "",
            content=upload.read(),
            actor=current_user,
            clock=clock(),
        )
    except (Conflict, InvalidData, TooLarge) as refusal:
        place_error(form, refusal, where=_CONTRIBUTION_WORDS)
        return _consultation_page(found.procedure_id, contribution=form, status=refusal.status)
    late = " (in ritardo)" if contribution.late else ""
    flash(f"Contributo registrato: protocollo {contribution.protocol}{late}.", "info")
    return redirect(url_for("contributions.consultation", procedure_id=found.procedure_id))


@on_too_large("contributions.register")
def _contribution_too_large(message: str) -> tuple[str, int]:
    found = queries.get(request.view_args["consultation_id"])
    form = ContributionForm(found, formdata=None)
    form.file.errors = [message]
    return _consultation_page(found.procedure_id, contribution=form, status=413)


# Where the operation's refusals of a contribution are shown (a word of the message → a field).
_CONTRIBUTION_WORDS = {
    "file": "file",
    "pdf": "file",
    "invitati": "body_id",
    "canale": "channel",
    "tema": "themes",
    "ricezione": "received_at",
}


@bp.get("/consultazioni/<int:consultation_id>/contributi.csv")
def export_csv(consultation_id: int) -> Response:
    found = queries.get(consultation_id)
    form = csvexport.variant(request.args.get(csvexport.PARAMETER))
    return csvexport.download(
        queries.csv_export(found, form), f"contributi-{consultation_id}", form
    )


@bp.get("/consultazioni/<int:consultation_id>/sintesi")
def summary(consultation_id: int) -> str:
    found = queries.get(consultation_id)
    return render_template(
        "contributions/summary.html",
        consultation=found,
        procedure=procedures.get(found.procedure_id),
        status=queries.status(found),
        deadline=queries.effective_deadline(found),
        zones=territory_data.ZONE_LABELS,
        themes=THEMES,
        channels=CHANNELS,
    )


@bp.post("/consultazioni/<int:consultation_id>/chiudi")
def close(consultation_id: int) -> Response | tuple[str, int]:
    found = queries.get(consultation_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _consultation_page(found.procedure_id, closing=form, status=422)
    try:
        contributions.close_consultation(
            consultation_id,
            expected_version=form_version("Manca la versione della consultazione."),
            outcome=form.outcome.data,
            actor=current_user,
            clock=clock(),
        )
    except (Conflict, InvalidData) as refusal:
        place_error(form, refusal)
        return _consultation_page(found.procedure_id, closing=form, status=refusal.status)
    flash("Consultazione chiusa: l'esito è citato nell'adozione.", "info")
    return redirect(url_for("contributions.consultation", procedure_id=found.procedure_id))
