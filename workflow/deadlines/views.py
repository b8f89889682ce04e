"""Deadlines, their reminders and sent e-mails; the outbox for admins; mail settings; feeds."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from workflow.access.authorize import acting_role
from workflow.access.enforce import may
from workflow.access.rights import OPERATIONS
from workflow.access.roles import ROLE_LABELS
from workflow.core.errors import BadRequest, Conflict, InvalidData, NotFound
from workflow.core.forms import ButtonForm
from workflow.core.web import clock
from workflow.deadlines import ical, reminders, rules
from workflow.deadlines import operations as deadlines
from workflow.deadlines.forms import DeadlineForm, MailSettingsForm, SettleForm
from workflow.mail import outbox as mail
from workflow.mail import sender
from workflow.mail import settings as mail_settings
from workflow.mail.models import FAILED, OUTBOX_STATES
from workflow.procedures import operations as procedures

bp = Blueprint("deadlines", __name__)

# Flask adds "; charset=utf-8" to a text/ type itself: naming it here too doubled it.
ICS = "text/calendar"


def _list_page(form: DeadlineForm | None = None, status: int = 200) -> tuple[str, int]:
    """The deadlines page with the creation form (as typed after a refusal, `status` 409/422)."""
    mine = request.args.get("mie") == "1"
    rows = list(deadlines.responsible_for(current_user)) if mine else deadlines.list_live()
    page = render_template(
        "deadlines/list.html",
        deadlines=rows,
        mine=mine,
        may_manage=may(current_user, "deadlines.manage"),
        kinds=rules.KIND_NAMES,
        roles=ROLE_LABELS,
        form=form or DeadlineForm(procedures.list_all(), formdata=None),
    )
    return page, status


@bp.get("/scadenze")
@login_required
def index() -> tuple[str, int]:
    return _list_page()


@bp.post("/scadenze")
@login_required
def create() -> Response | tuple[str, int]:
    form = DeadlineForm(procedures.list_all())
    if not form.validate_on_submit():
        return _list_page(form, 422)
    days = form.working_days.data
    try:
        deadline = deadlines.create_deadline(
            title=form.title.data,
            due_date=None if days is not None else form.due_date.data,
            working_days=days,
            counted_from=form.counted_from.data if days is not None else None,
            kind=form.kind.data,
            procedure_id=int(form.procedure_id.data) if form.procedure_id.data else None,
            responsible_role=form.responsible_role.data or None,
            legal_basis=form.legal_basis.data or "",
            description=form.description.data or "",
            actor=current_user,
            clock=clock(),
        )
    except (InvalidData, NotFound) as refusal:
        form.refuse(refusal)
        return _list_page(form, refusal.status)
    flash("Scadenza registrata.", "info")
    return redirect(url_for("deadlines.show", deadline_id=deadline.id))


@bp.get("/scadenze/<int:deadline_id>")
@login_required
def show(deadline_id: int) -> tuple[str, int]:
    return _show_page(deadline_id)


def _show_page(
    deadline_id: int, form: SettleForm | None = None, status: int = 200
) -> tuple[str, int]:
    """A deadline's page; `form` the closing form as typed after a refusal."""
    deadline = deadlines.get(deadline_id)
    page = render_template(
        "deadlines/show.html",
        deadline=deadline,
        kind=rules.KIND_NAMES.get(deadline.kind, deadline.kind),
        role=ROLE_LABELS.get(deadline.responsible_role or "", ""),
        assignees=deadlines.responsible_users(deadline),
        reminders=reminders.upcoming_for(deadline, clock=clock()),
        sent=sender.for_deadline(deadline.id),
        status_labels=mail.STATUS_LABELS,
        may_manage=may(current_user, "deadlines.manage"),
        settle_form=form or SettleForm(formdata=None),
    )
    return page, status


@bp.post("/scadenze/<int:deadline_id>/chiusura")
@login_required
def settle(deadline_id: int) -> Response | tuple[str, int]:
    form = SettleForm()
    if not form.validate_on_submit():
        return _show_page(deadline_id, form, 422)
    try:
        deadlines.settle(
            deadline_id,
            request.form.get("state", ""),
            actor=current_user,
            clock=clock(),
            note=form.note.data or "",
        )
    except Conflict as refusal:  # already closed: the page no longer shows the form
        flash(refusal.message, "error")
        return _show_page(deadline_id, form, refusal.status)
    except InvalidData as refusal:
        form.form_errors.append(refusal.message)
        return _show_page(deadline_id, form, refusal.status)
    flash("Scadenza chiusa: i promemoria sono interrotti.", "info")
    return redirect(url_for("deadlines.show", deadline_id=deadline_id))


@bp.get("/posta")
@login_required
def outbox() -> str:
    acting_role(current_user, OPERATIONS["mail.outbox"], "la coda di posta", clock=clock())
    status = request.args.get("stato") or None
    if status is not None and status not in OUTBOX_STATES:
        raise BadRequest("Stato sconosciuto.")
    return render_template(
        "deadlines/outbox.html",
        rows=sender.recent(status),
        status=status,
        failed=FAILED,
        status_labels=mail.STATUS_LABELS,
    )


@bp.post("/posta/<int:row_id>/riprova")
@login_required
def requeue(row_id: int) -> Response:
    ButtonForm().checked()
    sender.requeue(row_id, actor=current_user, clock=clock())
    flash("Messaggio rimesso in coda.", "info")
    return redirect(url_for("deadlines.outbox", stato=FAILED))


@bp.route("/profilo/posta", methods=["GET", "POST"])
@login_required
def settings() -> tuple[str, int] | Response:
    form = MailSettingsForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            mail_settings.update_settings(
                current_user.id,
                actor=current_user,
                clock=clock(),
                email=form.email.data or "",
                digest=form.digest.data,
                new_calendar_token=request.form.get("new_calendar_token") == "1",
            )
        except InvalidData as refusal:
            form.email.errors = [*form.email.errors, refusal.message]
            return _settings_page(form, refusal.status)
        flash("Impostazioni salvate.", "info")
        return redirect(url_for("deadlines.settings"))
    if request.method == "POST":
        return _settings_page(form, 422)
    current = mail_settings.own_settings(current_user.id)
    return _settings_page(MailSettingsForm(formdata=None, obj=current))


def _settings_page(form: MailSettingsForm, status: int = 200) -> tuple[str, int]:
    """One's mail settings (as typed after a refusal) and calendar addresses."""
    current = mail_settings.own_settings(current_user.id)
    # The address users subscribe with, not the one this request came in on.
    base = current_app.config["PUBLIC_BASE_URL"]
    token = current.calendar_token
    feed = base + url_for("deadlines.user_feed", token=token)
    procedure_feeds = [
        (p, base + url_for("deadlines.procedure_feed", token=token, procedure_id=p.id))
        for p in procedures.list_all()
    ]
    page = render_template(
        "deadlines/settings.html",
        settings=current,
        form=form,
        feed=feed,
        procedure_feeds=procedure_feeds,
    )
    return page, status


@bp.route("/promemoria/disiscrizione/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> str:
    user_id = reminders.user_from_unsubscribe_token(token)
    if user_id is None:
        raise NotFound("Collegamento non valido.")
    # GET only asks: mail scanners follow links, and must not unsubscribe anyone.
    if request.method == "POST":
        mail_settings.unsubscribe_digest(user_id, clock=clock())
        return render_template("deadlines/unsubscribed.html", done=True, token=token)
    return render_template("deadlines/unsubscribed.html", done=False, token=token)


@bp.get("/calendario/<token>.ics")
def user_feed(token: str) -> Response:
    user = ical.user_for_token(token)
    return Response(ical.user_feed(user, clock=clock()), mimetype=ICS)


@bp.get("/calendario/<token>/procedimenti/<int:procedure_id>.ics")
def procedure_feed(token: str, procedure_id: int) -> Response:
    ical.user_for_token(token)
    procedure = procedures.get(procedure_id)
    return Response(ical.procedure_feed(procedure, clock=clock()), mimetype=ICS)
