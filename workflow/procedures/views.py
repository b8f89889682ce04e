"""The staff UI for procedures: list, detail with milestones, one form per step."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workflow.access.enforce import may
from workflow.acts import queries as act_queries
from workflow.core.clock import rome_today
from workflow.core.errors import BadRequest, GuardFailed
from workflow.core.web import clock, form_version
from workflow.deadlines import operations as deadlines
from workflow.definitions import LATEST
from workflow.engine.definition import Step
from workflow.engine.diagram import state_diagram
from workflow.engine.stepdata import parse_date
from workflow.procedures import browse
from workflow.procedures import operations as procedures
from workflow.procedures.operations import MilestoneRow
from workflow.procedures.timeline import timeline

bp = Blueprint("procedures", __name__)


def _form_version() -> int:
    return form_version("Manca la versione del procedimento: ricarica la pagina.")


@bp.get("/procedimenti")
@login_required
def list_procedures() -> str:
    filters = browse.ListFilters.from_args(request.args)
    page = browse.procedures_page(filters, browse.page_number(request.args.get("pagina")))
    return render_template(
        "procedures/list.html",
        page=page,
        filters=filters,
        state_label=procedures.state_label,
        kinds=LATEST,
        next_start={kind: procedures.next_period_start(kind, clock()) for kind in LATEST},
        may_open=may(current_user, "procedure.open"),
    )


@bp.post("/procedimenti")
@login_required
def open_procedure() -> Response:
    start = request.form.get("period_start", "")
    if not start.isdigit():
        raise BadRequest("Indicare l'anno di inizio del triennio.")
    procedure = procedures.open_procedure(
        request.form.get("kind", "psttm"),
        int(start),
        actor=current_user,
        clock=clock(),
        title=request.form.get("title"),
        fascicolo=request.form.get("fascicolo", ""),
    )
    flash(f"Aperto il procedimento {procedure.title}.", "info")
    return redirect(url_for("procedures.show", procedure_id=procedure.id))


@bp.get("/procedimenti/<int:procedure_id>")
@login_required
def show(procedure_id: int) -> str:
    procedure = procedures.get(procedure_id)
    definition = procedures.definition_of(procedure)
    milestones = procedures.milestone_rows(procedure)
    steps = procedures.allowed_events(procedure, current_user, clock())
    return render_template(
        "procedures/show.html",
        procedure=procedure,
        definition=definition,
        state_label=procedures.state_label(procedure),
        milestones=milestones,
        steps=steps,
        timeline=timeline(
            milestones,
            rome_today(clock()),
            _milestone_link(procedure.id, steps),
            f"Cronoprogramma — {procedure.title}: date previste e effettive",
        ),
        diagram=state_diagram(
            definition,
            procedure.state,
            [(s.from_state, s.event, s.to_state) for s in procedure.steps],
        ),
        history=[(s, procedures.describe(definition, s)) for s in reversed(procedure.steps)],
        may_plan=may(current_user, "procedure.plan"),
        deadlines=deadlines.for_object("procedure", procedure.id),
        acts=[
            (a, act_queries.citation(a), act_queries.state_label(a))
            for a in act_queries.of_procedure(procedure.id)
        ],
    )


def _milestone_link(procedure_id: int, steps: list[Step]) -> Callable[[MilestoneRow], str]:
    """Where a bar of the timeline leads: the step's form when this user may record it now,
    otherwise the milestone's row (with its act) in the table below the picture."""
    fireable = {s.milestone: s.event for s in steps if s.milestone}

    def href(row: MilestoneRow) -> str:
        if row.actual_date is None and row.code in fireable:
            return url_for("procedures.step", procedure_id=procedure_id, event=fireable[row.code])
        return f"#tappa-{row.code}"

    return href


@bp.route("/procedimenti/<int:procedure_id>/passaggi/<event>", methods=["GET", "POST"])
@login_required
def step(procedure_id: int, event: str) -> str | Response | tuple[str, int]:
    procedure = procedures.get(procedure_id)
    definition = procedures.definition_of(procedure)
    candidates = definition.steps_for(event, procedure.state)
    template_args = dict(
        procedure=procedure, event=event, candidate=candidates[0] if candidates else None
    )
    if request.method == "GET":
        if not candidates:
            flash("Questo passaggio non è possibile nello stato attuale.", "error")
            return redirect(url_for("procedures.show", procedure_id=procedure.id))
        return render_template(
            "procedures/step.html", values={}, version=procedure.version, **template_args
        )
    version = _form_version()
    data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
    try:
        procedures.advance(
            procedure.id,
            event,
            expected_version=version,
            data=data,
            actor=current_user,
            clock=clock(),
        )
    except GuardFailed as exc:
        flash(exc.message, "error")
        return (
            render_template("procedures/step.html", values=data, version=version, **template_args),
            exc.status,
        )
    flash("Passaggio registrato.", "info")
    return redirect(url_for("procedures.show", procedure_id=procedure.id))


@bp.post("/procedimenti/<int:procedure_id>/pianificazione")
@login_required
def plan(procedure_id: int) -> Response:
    procedure = procedures.get(procedure_id)
    planned = {}
    for milestone in procedure.milestones:
        raw = request.form.get(f"planned_{milestone.code}", "").strip()
        planned[milestone.code] = parse_date(raw, "Data prevista") if raw else None
    procedures.plan_milestones(
        procedure.id,
        expected_version=_form_version(),
        planned=planned,
        actor=current_user,
        clock=clock(),
    )
    flash("Date previste aggiornate.", "info")
    return redirect(url_for("procedures.show", procedure_id=procedure.id))
