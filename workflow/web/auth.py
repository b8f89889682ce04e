"""Login and logout (Flask-Login session, CSRF-protected form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from workflow.extensions import db, login_manager
from workflow.models import User
from workflow.services import users

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Accedi per continuare."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login (no open redirect)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("desk.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    if request.method == "POST":
        user = users.authenticate(
            request.form.get("username", ""), request.form.get("password", "")
        )
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Nome utente o password non corretti.", "error")
        return render_template("auth/login.html"), 401  # type: ignore[return-value]
    return render_template("auth/login.html")


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash("Sei uscito.", "info")
    return redirect(url_for("auth.login"))
