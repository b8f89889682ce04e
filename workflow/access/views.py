"""Administration: users, roles, API tokens, and the table of rights as a page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from workflow.access import operations as users
from workflow.access import rights
from workflow.access.roles import ROLE_CODES, ROLE_LABELS
from workflow.acts.signature_check import trust_configured
from workflow.core.web import clock

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/diritti", endpoint="rights")
def rights_table() -> str:
    return render_template(
        "admin/rights.html",
        routes=sorted(rights.routes(current_app).items()),
        events=list(rights.event_rights()),
        operations=sorted(rights.OPERATIONS.items()),
        roles=ROLE_CODES,
        labels=ROLE_LABELS,
    )


@bp.get("/utenti", endpoint="users")
def users_page() -> str:
    accounts = users.list_users()
    return render_template(
        "admin/users.html",
        accounts=accounts,
        tokens={u.id: users.tokens_of(u) for u in accounts},
        roles=ROLE_CODES,
        labels=ROLE_LABELS,
        new_token=None,
        trust_checked=trust_configured(),
    )


@bp.post("/utenti")
def create_user() -> Response:
    created = users.create_user(
        request.form.get("username", ""),
        request.form.get("full_name", ""),
        request.form.get("password", ""),
        request.form.getlist("roles"),
        actor=current_user,
        clock=clock(),
        codice_fiscale=request.form.get("codice_fiscale", ""),
    )
    flash(f"Utente {created.username} creato.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/utenti/<username>/ruoli")
def set_roles(username: str) -> Response:
    users.set_roles(username, request.form.getlist("roles"), actor=current_user, clock=clock())
    flash(f"Ruoli di {username} aggiornati.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/utenti/<username>/codice-fiscale")
def set_codice_fiscale(username: str) -> Response:
    user = users.set_codice_fiscale(
        username, request.form.get("codice_fiscale", ""), actor=current_user, clock=clock()
    )
    flash(
        f"Codice fiscale di {username} "
        + (f"registrato: {user.codice_fiscale}." if user.codice_fiscale else "tolto."),
        "info",
    )
    return redirect(url_for("admin.users"))


@bp.post("/utenti/<username>/stato")
def set_active(username: str) -> Response:
    active = request.form.get("active") == "1"
    users.set_active(username, active, actor=current_user, clock=clock())
    flash(f"Utente {username} {'abilitato' if active else 'disabilitato'}.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/utenti/<username>/token")
def issue_token(username: str) -> str:
    token = users.issue_token(username, actor=current_user, clock=clock())
    accounts = users.list_users()
    return render_template(
        "admin/users.html",
        accounts=accounts,
        tokens={u.id: users.tokens_of(u) for u in accounts},
        roles=ROLE_CODES,
        labels=ROLE_LABELS,
        new_token=(username, token),
        trust_checked=trust_configured(),
    )


@bp.post("/token/<int:token_id>/revoca")
def revoke_token(token_id: int) -> Response:
    users.revoke_token(token_id, actor=current_user, clock=clock())
    flash(f"Token {token_id} revocato.", "info")
    return redirect(url_for("admin.users"))
