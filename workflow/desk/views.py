"""The desk after login, and the comparison of procedures of the same kind across years."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from workflow.core.clock import rome_today
from workflow.core.web import clock
from workflow.definitions import LATEST
from workflow.desk import sections as desk
from workflow.desk.phases_chart import phases_chart
from workflow.procedures import browse

bp = Blueprint("desk", __name__)


@bp.get("/")
@login_required
def index() -> str:
    page = browse.page_number(request.args.get("pagina"))
    return render_template(
        "desk/index.html", desk=desk.desk_for(current_user, clock=clock(), page=page)
    )


@bp.get("/procedimenti/confronto")
@login_required
def compare() -> str:
    kind = request.args.get("tipo", "psttm")
    page = browse.page_number(request.args.get("pagina"))
    definition, rows = browse.comparison_page(kind, page, rome_today(clock()))
    phases = browse.phases(definition)
    return render_template(
        "desk/compare.html",
        definition=definition,
        kinds=LATEST,
        rows=rows,
        phases=phases,
        averages=browse.averages(rows.items, definition),
        chart=phases_chart(rows.items, phases, f"Durata delle fasi — {definition.title}"),
    )
