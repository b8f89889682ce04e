"""The territory (Comuni, Unioni, Forum and their addresses) and the consultation page of a
procedure: open the window, register contributions, read completeness, export, close."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workflow.access.enforce import may
from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory, territory_data
from workflow.consultations.models import CHANNELS
from workflow.consultations.themes import THEMES
from workflow.core import csvexport
from workflow.core.errors import BadRequest
from workflow.core.web import clock, form_version, local_datetime
from workflow.engine.stepdata import parse_date
from workflow.procedures import operations as procedures
from workflow.procedures import record

bp = Blueprint("contributions", __name__)


@bp.get("/territorio")
def territory_index() -> str:
    return render_template(
        "contributions/territory.html",
        bodies=territory.bodies(),
        zones=territory_data.ZONE_LABELS,
        members=territory.union_members(),
        may_manage=may(current_user, "territory.manage"),
    )


@bp.post("/territorio/<int:body_id>/indirizzi")
def set_addresses(body_id: int) -> Response:
    lines = request.form.get("addresses", "").replace(",", "\n").splitlines()
    territory.set_addresses(body_id, lines, actor=current_user, clock=clock())
    flash("Indirizzi aggiornati.", "info")
    return redirect(url_for("contributions.territory_index", _anchor=f"ente-{body_id}"))


@bp.post("/territorio/forum")
def add_forum_member() -> Response:
    lines = request.form.get("addresses", "").replace(",", "\n").splitlines()
    territory.add_forum_member(
        request.form.get("name", ""), addresses=lines, actor=current_user, clock=clock()
    )
    flash("Componente del Forum aggiunto.", "info")
    return redirect(url_for("contributions.territory_index"))


@bp.post("/territorio/forum/<int:body_id>/stato")
def set_forum_member_active(body_id: int) -> Response:
    active = request.form.get("active") == "1"
    territory.set_forum_member_active(body_id, active, actor=current_user, clock=clock())
    flash("Elenco del Forum aggiornato.", "info")
    return redirect(url_for("contributions.territory_index", _anchor=f"ente-{body_id}"))


@bp.get("/procedimenti/<int:procedure_id>/consultazione")
def consultation(procedure_id: int) -> str:
    procedure = procedures.get(procedure_id)
    found = queries.for_procedure(procedure.id)
    extension = record.extension(procedure.steps)
    definition = procedures.definition_of(procedure)
    return render_template(
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
    )


@bp.post("/procedimenti/<int:procedure_id>/consultazione")
def open_consultation(procedure_id: int) -> Response:
    form = request.form
    contributions.open_consultation(
        procedure_id,
        deadline=parse_date(form.get("deadline", ""), "Termine"),
        zones=form.getlist("zones"),
        forum=form.get("forum") == "1",
        unions=form.get("unions") == "1",
        actor=current_user,
        clock=clock(),
    )
    flash("Consultazione aperta.", "info")
    return redirect(url_for("contributions.consultation", procedure_id=procedure_id))


def _body_id(raw: str | None) -> int:
    if not raw or not raw.isdigit():
        raise BadRequest("Indicare l'ente che ha inviato il contributo.")
    return int(raw)


@bp.post("/consultazioni/<int:consultation_id>/contributi")
def register(consultation_id: int) -> Response:
    form = request.form
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Manca il file del contributo (PDF).")
    found = queries.get(consultation_id)
    contribution = contributions.register_contribution(
        consultation_id,
        body_id=_body_id(form.get("body_id")),
        received_at=local_datetime(form.get("received_at", ""), "Data e ora di ricezione"),
        channel=form.get("channel", ""),
        summary=form.get("summary", ""),
        themes=form.getlist("themes"),
        file_name=upload.filename or "",
        content=upload.read(),
        actor=current_user,
        clock=clock(),
    )
    late = " (in ritardo)" if contribution.late else ""
    flash(f"Contributo registrato: protocollo {contribution.protocol}{late}.", "info")
    return redirect(url_for("contributions.consultation", procedure_id=found.procedure_id))


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
def close(consultation_id: int) -> Response:
    found = contributions.close_consultation(
        consultation_id,
        expected_version=form_version("Manca la versione della consultazione."),
        outcome=request.form.get("outcome", ""),
        actor=current_user,
        clock=clock(),
    )
    flash("Consultazione chiusa: l'esito è citato nell'adozione.", "info")
    return redirect(url_for("contributions.consultation", procedure_id=found.procedure_id))
