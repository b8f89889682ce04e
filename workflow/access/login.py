"""Login, logout and "logout everywhere" (Flask-Login session, CSRF-protected forms)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from workflow.access import operations as users
from workflow.access.forms import LoginForm
from workflow.access.models import User
from workflow.core.errors import TooManyAttempts
from workflow.core.web import clock
from workflow.extensions import login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Accedi per continuare."


# The key of this login's server-side session (access/operations.py: open_session).
SESSION_KEY = "session_key"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return users.load_session_user(session_id, session.get(SESSION_KEY))


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login (no open redirect)."""
    local = target and target.startswith("/") and not target.startswith("//")
    if local and not urlsplit(target).netloc:
        return target
    return url_for("desk.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    form = LoginForm()
    if request.method == "GET":
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422
    try:
        user = users.login(
            form.username.data,
            form.password.data,
            address=request.remote_addr or "sconosciuto",
            clock=clock(),
        )
    except TooManyAttempts as exc:
        flash(exc.message, "error")
        return render_template("auth/login.html", form=form), exc.status
    if user is None:
        flash("Nome utente o password non corretti.", "error")
        return render_template("auth/login.html", form=form), 401
    login_user(user)
    session.permanent = True
    max_age = timedelta(seconds=current_app.config["SESSION_MAX_SECONDS"])
    session[SESSION_KEY] = users.open_session(user.id, clock=clock(), lifetime=max_age)
    # On the app's clock, as the expiry that reads them (workflow/core/security.py).
    session["login_at"] = session["seen_at"] = clock().now().timestamp()
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End this session on the server too: a copy of the cookie is refused afterwards."""
    users.end_session(session.get(SESSION_KEY, ""), actor=current_user, clock=clock())
    logout_user()
    session.clear()
    flash("Sei uscito.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-ovunque")
@login_required
def logout_everywhere() -> Response:
    users.logout_everywhere(current_user.id, actor=current_user, clock=clock())
    logout_user()
    session.clear()
    flash("Sei uscito da tutte le sessioni aperte.", "info")
    return redirect(url_for("auth.login"))
