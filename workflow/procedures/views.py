"""The staff UI for procedures: list, detail with milestones, one form per step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import Form

from workflow.access.authorize import acting_role, effective_roles
from workflow.access.enforce import may
from workflow.acts import queries as act_queries
from workflow.acts.queries import Cited
from workflow.core.clock import rome_today
from workflow.core.errors import Conflict, GuardFailed, NotAllowed, NotFound
from workflow.core.forms import place_error, step_form
from workflow.core.web import clock, form_version
from workflow.deadlines import operations as deadlines
from workflow.definitions import LATEST
from workflow.engine.definition import Step
from workflow.engine.diagram import state_diagram
from workflow.engine.stepdata import read_date
from workflow.procedures import browse, record
from workflow.procedures import operations as procedures
from workflow.procedures.forms import OpenProcedureForm, plan_form
from workflow.procedures.models import ProcedureStep
from workflow.procedures.operations import MilestoneRow
from workflow.procedures.timeline import timeline

bp = Blueprint("procedures", __name__)


def _form_version() -> int:
    return form_version("Manca la versione del procedimento: ricarica la pagina.")


def _list_page(form: OpenProcedureForm | None = None, status: int = 200) -> tuple[str, int]:
    """The list of procedures with the opening form (as typed after a refusal)."""
    filters = browse.ListFilters.from_args(request.args)
    page = browse.procedures_page(filters, browse.page_number(request.args.get("pagina")))
    next_start = {kind: procedures.next_period_start(kind, clock()) for kind in LATEST}
    if form is None:
        form = OpenProcedureForm(LATEST, formdata=None, period_start=next_start.get("psttm"))
    html = render_template(
        "procedures/list.html",
        page=page,
        filters=filters,
        state_label=procedures.state_label,
        kinds=LATEST,
        next_start=next_start,
        may_open=may(current_user, "procedure.open"),
        form=form,
    )
    return html, status


@bp.get("/procedimenti")
@login_required
def list_procedures() -> tuple[str, int]:
    return _list_page()


@bp.post("/procedimenti")
@login_required
def open_procedure() -> Response | tuple[str, int]:
    form = OpenProcedureForm(LATEST)
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        procedure = procedures.open_procedure(
            form.kind.data,
            form.period_start.data,
            actor=current_user,
            clock=clock(),
            title=form.title.data,
            fascicolo=form.fascicolo.data or "",
        )
    except (Conflict, GuardFailed, NotFound) as refusal:
        form.refuse(refusal)
        return _list_page(form, refusal.status)
    flash(f"Aperto il procedimento {procedure.title}.", "info")
    return redirect(url_for("procedures.show", procedure_id=procedure.id))


def _checked(rows: list[MilestoneRow], cited: dict[str, Cited]) -> list[MilestoneRow]:
    """The milestone rows with the Repertorio's warning on an act number it does not hold."""
    return [
        replace(row, warning=cited[row.step.current.act_number].warning)
        if row.step is not None and row.step.current.act_number in cited
        else row
        for row in rows
    ]


@bp.get("/procedimenti/<int:procedure_id>")
@login_required
def show(procedure_id: int) -> str:
    return _show_page(procedure_id)[0]


def _show_page(
    procedure_id: int, planning: Form | None = None, status: int = 200
) -> tuple[str, int]:
    """The procedure's page; `planning` the planned-dates form as typed after a refusal."""
    procedure = procedures.get(procedure_id)
    definition = procedures.definition_of(procedure)
    cited = act_queries.cited_by_steps(procedure.steps)
    milestones = _checked(procedures.milestone_rows(procedure), cited)
    steps = procedures.allowed_events(procedure, current_user, clock())
    roles = effective_roles(current_user, clock())
    page = render_template(
        "procedures/show.html",
        procedure=procedure,
        definition=definition,
        state_label=procedures.state_label(procedure),
        milestones=milestones,
        steps=steps,
        timeline=timeline(
            milestones,
            rome_today(clock()),
            _milestone_link(procedure.id, steps, cited),
            f"Cronoprogramma — {procedure.title}: date previste e effettive",
        ),
        diagram=state_diagram(
            definition,
            procedure.state,
            [(s.from_state, s.event, s.to_state) for s in procedure.steps],
        ),
        history=[
            (s, procedures.describe(definition, s), record.versions(definition, s))
            for s in reversed(procedure.steps)
        ],
        cited=cited,
        correctable={
            s.id
            for s in procedure.steps
            if roles.intersection(procedures.spec_of(definition, s).roles)
        },
        may_plan=may(current_user, "procedure.plan"),
        deadlines=deadlines.for_object("procedure", procedure.id),
        acts=[
            (a, act_queries.citation(a), act_queries.state_label(a))
            for a in act_queries.of_procedure(procedure.id)
        ],
        planning=planning or plan_form(milestones),
    )
    return page, status


def _milestone_link(
    procedure_id: int, steps: list[Step], cited: dict[str, Cited]
) -> Callable[[MilestoneRow], str]:
    """Where a bar of the timeline leads: the step's form when this user may record it now, the
    act's page when the Repertorio holds the act it cites, otherwise the milestone's row (with
    its act) in the table below the picture."""
    fireable = {s.milestone: s.event for s in steps if s.milestone}

    def href(row: MilestoneRow) -> str:
        if row.actual_date is None and row.code in fireable:
            return url_for("procedures.step", procedure_id=procedure_id, event=fireable[row.code])
        found = cited.get(row.step.current.act_number or "") if row.step else None
        if found is not None and found.act_id is not None:
            return url_for("acts.show", act_id=found.act_id)
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
        form = step_form(candidates[0], MultiDict(), "f_")
        return render_template(
            "procedures/step.html", form=form, version=procedure.version, **template_args
        )
    version = _form_version()
    data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
    try:
        procedure = procedures.advance(
            procedure.id,
            event,
            expected_version=version,
            data=data,
            actor=current_user,
            clock=clock(),
        )
    except GuardFailed as exc:
        if not candidates:
            raise
        form = step_form(candidates[0], request.form, "f_")
        place_error(form, exc)
        return (
            render_template("procedures/step.html", form=form, version=version, **template_args),
            exc.status,
        )
    flash(_recorded_message(procedure.steps[-1]), "info")
    return redirect(url_for("procedures.show", procedure_id=procedure.id))


def _recorded_message(step: ProcedureStep) -> str:
    """What the flash says once a step is recorded: an exception the user confirmed is named,
    and so is an act number the Repertorio does not hold."""
    now = step.current
    notes = []
    if now.data.get("consultazione_aperta"):
        notes.append(now.data["consultazione_aperta"])
    cited = act_queries.cited_by_steps([step]).get(now.act_number or "")
    if cited is not None and cited.missing:
        notes.append(f"attenzione, {cited.warning} ({now.act_number})")
    return "Passaggio registrato" + "".join(f" — {note}" for note in notes) + "."


@bp.post("/procedimenti/<int:procedure_id>/pianificazione")
@login_required
def plan(procedure_id: int) -> Response | tuple[str, int]:
    procedure = procedures.get(procedure_id)
    rows = procedures.milestone_rows(procedure)
    form = plan_form(rows, request.form)
    if not form.validate():
        return _show_page(procedure.id, form, 422)
    try:
        procedures.plan_milestones(
            procedure.id,
            expected_version=_form_version(),
            planned={row.code: form[f"planned_{row.code}"].data for row in rows},
            actor=current_user,
            clock=clock(),
        )
    except GuardFailed as refusal:
        form.form_errors.append(refusal.message)
        return _show_page(procedure.id, form, refusal.status)
    flash("Date previste aggiornate.", "info")
    return redirect(url_for("procedures.show", procedure_id=procedure.id))


def _form_values(spec: Step, data: dict[str, Any]) -> dict[str, str]:
    """A step's stored values as its form shows them. Confirmations start empty: one vouched for
    the values it was given with, and a rettifica asks for it again."""
    values = {}
    for f in spec.fields:
        value = data.get(f.name)
        if value is None or f.name.startswith("conferma_"):
            continue
        if f.name == "favorevole":
            values[f.name] = "favorevole" if value else "contrario"
        elif f.type == "bool":
            values[f.name] = "si" if value else ""
        elif f.type == "date" and read_date(value) is not None:
            values[f.name] = read_date(value).strftime("%d/%m/%Y")  # shown as people type it
        else:
            values[f.name] = str(value)
    return values


@bp.route(
    "/procedimenti/<int:procedure_id>/registrati/<int:step_id>/rettifica", methods=["GET", "POST"]
)
@login_required
def correct(procedure_id: int, step_id: int) -> str | Response | tuple[str, int]:
    procedure = procedures.get(procedure_id)
    definition = procedures.definition_of(procedure)
    step = next((s for s in procedure.steps if s.id == step_id), None)
    if step is None:
        raise NotFound(f"Passaggio {step_id} non trovato in questo procedimento.")
    spec = procedures.spec_of(definition, step)
    template_args = dict(
        procedure=procedure,
        step=step,
        spec=spec,
        described=procedures.describe(definition, step),
    )
    if request.method == "GET":
        # The form only for who may send it (the operation asks the same): anyone else is
        # sent back to the procedure with the reason, not shown a form that would be refused.
        try:
            acting_role(current_user, spec.roles, f"rettificare «{spec.label}»", clock=clock())
        except NotAllowed as refusal:
            flash(refusal.message, "error")
            return redirect(url_for("procedures.show", procedure_id=procedure.id))
        values = _form_values(spec, step.current.data)
        return render_template(
            "procedures/rettifica.html",
            form=step_form(spec, MultiDict(values), "r_"),
            motivo="",
            version=procedure.version,
            **template_args,
        )
    version = _form_version()
    form = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version", "motivo")}
    try:
        procedures.correct_step(
            procedure.id,
            step.id,
            expected_version=version,
            data=form,
            motivo=request.form.get("motivo", ""),
            actor=current_user,
            clock=clock(),
        )
    except GuardFailed as exc:
        typed = step_form(spec, request.form, "r_")
        place_error(typed, exc)
        return (
            render_template(
                "procedures/rettifica.html",
                form=typed,
                motivo=request.form.get("motivo", ""),
                version=version,
                **template_args,
            ),
            exc.status,
        )
    flash("Rettifica registrata: il dato originale resta visibile accanto alla correzione.", "info")
    return redirect(
        url_for("procedures.show", procedure_id=procedure.id, _anchor=f"passo-{step.id}")
    )
