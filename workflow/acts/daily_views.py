"""Staff pages of the registro giornaliero di protocollo: the days, each register's files and its
hand-over to preservation (workflow/acts/daily.py)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from workflow.acts import daily, registers
from workflow.acts.register_models import PROTOCOLLO
from workflow.core.clock import format_date, rome_today
from workflow.core.errors import NotFound
from workflow.core.web import attachment, clock, send_pdf
from workflow.procedures.browse import Page, page_number

bp = Blueprint("registro_giornaliero", __name__)

DAYS_PER_PAGE = 31
FORMATS = {"csv": ".csv", "pdf": ".pdf"}


@bp.get("/protocollo/registro-giornaliero")
@login_required
def index() -> str:
    today = rome_today(clock())
    rows = daily.statuses(today)
    number = page_number(request.args.get("pagina"))
    pages = max(1, -(-len(rows) // DAYS_PER_PAGE))
    number = min(number, pages)
    chosen = rows[(number - 1) * DAYS_PER_PAGE : number * DAYS_PER_PAGE]
    return render_template(
        "registro_giornaliero/index.html",
        by_labels=daily.BY_LABELS,
        page=Page(chosen, number, DAYS_PER_PAGE, len(rows)),
        late=sum(1 for row in rows if row.state == daily.LATE),
        today=today,
        states=daily,
        label=registers.label,
    )


@bp.get("/protocollo/registro-giornaliero/<giorno>.<formato>")
@login_required
def download(giorno: str, formato: str) -> Response:
    """The stored CSV or PDF of a day's register, byte for byte what was handed over."""
    try:
        day = date.fromisoformat(giorno)
    except ValueError:
        raise NotFound("Giorno non valido: atteso AAAA-MM-GG.") from None
    suffix = FORMATS.get(formato)
    register = daily.get(day)
    if suffix is None or register is None:
        raise NotFound(f"Nessun registro giornaliero prodotto per il {format_date(day)}.")
    content = daily.read_file(register, suffix)
    name = daily.file_name(PROTOCOLLO, day, suffix)
    if suffix == ".pdf":
        return send_pdf(content, name, bytes.fromhex(register.pdf_sha256))
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = attachment(name)
    response.headers["X-Impronta-SHA256"] = register.csv_sha256
    return response
