"""The audit trail's pages: verification and checkpoints for the Segretario, exports, histories."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from workflow.access.authorize import acting_role
from workflow.access.rights import OPERATIONS
from workflow.audit import chain as audit
from workflow.audit import history, replay
from workflow.audit import verify as integrity
from workflow.core import csvexport
from workflow.core.errors import BadRequest
from workflow.core.web import attachment, clock
from workflow.procedures import operations as procedures

# How many published heads the public page lists, newest first.
PUBLIC_CHECKPOINTS = 60

bp = Blueprint("audit", __name__)

AUDITORS = OPERATIONS["audit.read"]


def _bound(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadRequest(f"«{name}»: indicare il numero di un evento.")
    return int(raw)


@bp.get("/audit")
@login_required
def index() -> str:
    acting_role(current_user, AUDITORS, "consultare il registro di audit", clock=clock())
    return render_template(
        "audit/index.html", checkpoint=audit.latest_checkpoint(), events=integrity.count_events()
    )


@bp.get("/audit/verifica")
@login_required
def verify() -> str:
    acting_role(current_user, AUDITORS, "verificare il registro di audit", clock=clock())
    tables = replay.Replay()  # the chain is read once: the replay sees every event walked
    report = integrity.verify_chain(observe=tables.feed)
    return render_template(
        "audit/index.html",
        differences=tables.finish(),
        files_checked=replay.count_files(),
        checkpoint=audit.latest_checkpoint(),
        events=report.checked,
        report=report,
    )


@bp.post("/audit/checkpoint")
@login_required
def checkpoint() -> Response:
    # The service checks who may publish (every caller, not only this page, goes through it).
    published = audit.checkpoint_now(actor=current_user, clock=clock())
    flash(f"Checkpoint pubblicato: evento {published.seq}.", "info")
    return redirect(url_for("audit.index"))


@bp.get("/audit/esporta.<fmt>")
@login_required
def export(fmt: str) -> Response:
    acting_role(current_user, AUDITORS, "esportare il registro di audit", clock=clock())
    first, last = _bound("da"), _bound("a")
    stem = f"audit-{first or 1}-{last or 'ultimo'}"
    if fmt == "csv":
        form = csvexport.variant(request.args.get(csvexport.PARAMETER))
        return csvexport.download(
            stream_with_context(history.csv_lines(first, last, form)), stem, form
        )
    if fmt != "jsonl":
        raise BadRequest("Formato non previsto: usare csv o jsonl.")
    response = Response(
        stream_with_context(history.jsonl_lines(first, last)),
        mimetype="application/x-ndjson; charset=utf-8",
    )
    response.headers["Content-Disposition"] = attachment(f"{stem}.jsonl")
    return response


@bp.get("/procedimenti/<int:procedure_id>/storia")
@login_required
def procedure_history(procedure_id: int) -> str:
    procedure = procedures.get(procedure_id)
    lines = [history.describe(e) for e in history.events_for("procedure", procedure.id)]
    return render_template(
        "audit/history.html",
        subject=procedure.title,
        lines=lines,
        back=url_for("procedures.show", procedure_id=procedure.id),
    )


@bp.get("/registro/checkpoint")
def public_checkpoint() -> dict[str, object] | str:
    """Public (no login): the published chain heads. A browser gets a page in Europe/Rome time;
    a client asking for JSON (or for anything) gets the latest head as JSON, as before."""
    # `*/*` (curl, scripts) matches the first offer: JSON stays the default answer.
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return render_template(
            "audit/checkpoints.html", checkpoints=audit.recent_checkpoints(PUBLIC_CHECKPOINTS)
        )
    return public_checkpoint_json()


@bp.get("/registro/checkpoint.json")
def public_checkpoint_json() -> dict[str, object]:
    """Public: the latest published chain head as JSON, `published_at` in UTC (ISO 8601)."""
    latest = audit.latest_checkpoint()
    if latest is None:
        return {"checkpoint": None}
    return {
        "checkpoint": {
            "seq": latest.seq,
            "hash": latest.hash,
            "published_at": audit.iso_utc(latest.created_at),
        }
    }
