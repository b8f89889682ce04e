"""Administration: users, roles, API tokens, and the table of rights as a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from workflow.access import operations as users
from workflow.access import rights
from workflow.access.forms import UserForm
from workflow.access.models import Delegation
from workflow.access.roles import ROLE_CODES, ROLE_LABELS
from workflow.acts.signature_check import trust_configured
from workflow.core.clock import rome_today
from workflow.core.errors import Conflict, DomainError, InvalidData
from workflow.core.forms import ButtonForm, DataField, SingleLine
from workflow.core.web import clock
from workflow.definitions import ACT_LATEST, LATEST, DefinitionUnavailable, definition_for
from workflow.engine.definition import Definition
from workflow.engine.diagram import Diagram, state_diagram
from workflow.procedures import migration
from workflow.procedures.models import Procedure

bp = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True)
class KindVersion:
    """One version of a kind on the admin page: its definition (None when unavailable, with
    `problem` saying why), the procedures on it, its diagram."""

    version: str
    definition: Definition | None
    procedures: list[Procedure]
    problem: str
    diagram: Diagram | None


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


def _users_page(
    new_token: tuple[str, str] | None,
    form: UserForm | None = None,
    kept: dict[str, object] | None = None,
) -> str:
    """The users page; `new_token` (username, token) is shown once, right after its issue;
    `form` the new-user form as typed after a refusal (a fresh one otherwise); `kept` a refused
    change of one user's row as typed: {"user", "field", "value", "error"}."""
    accounts = users.list_users()
    return render_template(
        "admin/users.html",
        accounts=accounts,
        tokens={u.id: users.tokens_of(u) for u in accounts},
        locked={u.id: users.locked_until(u, clock=clock()) for u in accounts},
        roles=ROLE_CODES,
        labels=ROLE_LABELS,
        new_token=new_token,
        trust_checked=trust_configured(),
        form=form or UserForm(formdata=None),
        kept=kept or {},
    )


@bp.get("/utenti", endpoint="users")
def users_page() -> str:
    return _users_page(new_token=None)


def _on_users_page(
    change: Callable[[], str], kept: dict[str, object] | None = None
) -> Response | tuple[str, int]:
    """Run `change` (it returns what to say when done) and go back to the users page; a refusal
    is said on the users page itself, with its status (409, 422…), not on a bare error page:
    beside the field of `kept` ({"user", "field", "value"}: what was typed), else at the top."""
    try:
        done = change()
    except (Conflict, InvalidData) as refusal:
        if kept is None:
            flash(refusal.message, "error")
            return _users_page(new_token=None), refusal.status
        return _users_page(None, kept={**kept, "error": refusal.message}), refusal.status
    flash(done, "info")
    return redirect(url_for("admin.users"))


@bp.post("/utenti")
def create_user() -> Response | tuple[str, int]:
    form = UserForm()
    if not form.validate_on_submit():
        return _users_page(None, form), 422
    try:
        created = users.create_user(
            form.username.data,
            form.full_name.data,
            form.password.data,
            form.roles.data,
            actor=current_user,
            clock=clock(),
            codice_fiscale=form.codice_fiscale.data or "",
        )
    except (Conflict, InvalidData) as refusal:
        form.refuse(refusal)
        return _users_page(None, form), refusal.status
    flash(f"Utente {created.username} creato.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/utenti/<username>/ruoli")
def set_roles(username: str) -> Response | tuple[str, int]:
    def change() -> str:
        users.set_roles(username, request.form.getlist("roles"), actor=current_user, clock=clock())
        return f"Ruoli di {username} aggiornati."

    typed = {"user": username, "field": "roles", "value": request.form.getlist("roles")}
    return _on_users_page(change, typed)


@bp.post("/utenti/<username>/codice-fiscale")
def set_codice_fiscale(username: str) -> Response | tuple[str, int]:
    def change() -> str:
        user = users.set_codice_fiscale(
            username, request.form.get("codice_fiscale", ""), actor=current_user, clock=clock()
        )
        code = user.codice_fiscale
        return f"Codice fiscale di {username} " + (f"registrato: {code}." if code else "tolto.")

    typed = {
        "user": username,
        "field": "codice_fiscale",
        "value": request.form.get("codice_fiscale", ""),
    }
    return _on_users_page(change, typed)


@bp.post("/utenti/<username>/stato")
def set_active(username: str) -> Response | tuple[str, int]:
    active = ButtonForm().checked().on

    def change() -> str:
        users.set_active(username, active, actor=current_user, clock=clock())
        return f"Utente {username} {'abilitato' if active else 'disabilitato'}."

    return _on_users_page(change)


@bp.post("/utenti/<username>/token")
def issue_token(username: str) -> str:
    ButtonForm().checked()
    token = users.issue_token(username, actor=current_user, clock=clock())
    return _users_page(new_token=(username, token))


@bp.post("/token/<int:token_id>/revoca")
def revoke_token(token_id: int) -> Response:
    ButtonForm().checked()
    users.revoke_token(token_id, actor=current_user, clock=clock())
    flash(f"Token {token_id} revocato.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/utenti/<username>/sblocca")
def unlock(username: str) -> Response:
    ButtonForm().checked()
    users.unlock(username, actor=current_user, clock=clock())
    flash(f"Utente {username} sbloccato: può accedere di nuovo.", "info")
    return redirect(url_for("admin.users"))


class DelegationForm(FlaskForm):
    """A delegation: who, which role, by which act, from when to when (Europe/Rome days)."""

    username = SelectField(
        "Delegato",
        validators=[InputRequired("Scegli il delegato.")],
        invalid_choice_message="Scegli il delegato tra gli utenti attivi.",
    )
    role = SelectField(
        "Ruolo delegato",
        choices=[SelectChoice("", "— scegli —")]
        + [
            SelectChoice(code, label)
            for code, label in ROLE_LABELS.items()
            if code in users.DELEGABLE_ROLES
        ],
        invalid_choice_message="Scegli il ruolo tra quelli che si possono delegare.",
        validators=[InputRequired("Scegli il ruolo delegato.")],
    )
    act = StringField(
        "Atto di delega",
        validators=[
            InputRequired("Indica l'atto che conferisce la delega."),
            SingleLine(Delegation.act.type.length),
        ],
        render_kw={"placeholder": "es. Decreto R.G. 148/2023"},
    )
    valid_from = DataField("Dal", validators=[InputRequired("Indica da quando vale la delega.")])
    valid_to = DataField("Al (vuoto: fino a revoca)", validators=[Optional()])

    def validate_valid_to(self, field: DataField) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError("La delega non può finire prima di iniziare.")


def _delegation_form() -> DelegationForm:
    form = DelegationForm()
    form.username.choices = [SelectChoice("", "— scegli —")] + [
        SelectChoice(u.username, f"{u.full_name} ({u.username})")
        for u in users.list_users()
        if u.active
    ]
    return form


def _delegations_page(form: DelegationForm, status: int = 200) -> tuple[str, int]:
    today = rome_today(clock())
    return (
        render_template(
            "admin/delegations.html",
            form=form,
            delegations=users.all_delegations(),
            labels=ROLE_LABELS,
            today=today,
        ),
        status,
    )


@bp.get("/deleghe", endpoint="delegations")
def delegations_page() -> tuple[str, int]:
    return _delegations_page(_delegation_form())


@bp.post("/deleghe")
def delegate() -> Response | tuple[str, int]:
    form = _delegation_form()
    if not form.validate_on_submit():
        return _delegations_page(form, 422)
    try:
        delegation = users.delegate(
            form.username.data,
            form.role.data,
            form.act.data,
            form.valid_from.data,
            form.valid_to.data,
            actor=current_user,
            clock=clock(),
        )
    except DomainError as error:
        form.form_errors.append(str(error))
        return _delegations_page(form, error.status)
    flash(
        f"Delega a {delegation.user.full_name} come {ROLE_LABELS[delegation.role]} registrata.",
        "info",
    )
    return redirect(url_for("admin.delegations"))


@bp.post("/deleghe/<int:delegation_id>/revoca")
def revoke_delegation(delegation_id: int) -> Response:
    users.revoke_delegation(delegation_id, actor=current_user, clock=clock())
    flash("Delega revocata.", "info")
    return redirect(url_for("admin.delegations"))


@bp.get("/procedimenti", endpoint="procedure_kinds")
def procedure_kinds() -> str:
    """Every procedure kind and the act machine: each version (the file's, those stored), the
    procedures on it, its diagram and its definition file (`flask procedures kinds` in a page)."""
    used = migration.versions_in_use()
    kinds = []
    for kind, latest in sorted(LATEST.items()):
        versions = []
        # The file's version first, then those stored.
        mine = [(v, p) for (k, v), p in used.items() if k == kind]
        for version, procedures in sorted(mine, key=lambda vp: vp[0] != latest.version):
            try:
                definition = definition_for(kind, version)
            except DefinitionUnavailable as exc:
                versions.append(KindVersion(version, None, procedures, exc.message, None))
                continue
            diagram = state_diagram(definition, definition.initial, [])
            versions.append(KindVersion(version, definition, procedures, "", diagram))
        kinds.append((latest, versions))
    act = KindVersion(
        ACT_LATEST.version,
        ACT_LATEST,
        [],
        "",
        state_diagram(ACT_LATEST, ACT_LATEST.initial, []),
    )
    return render_template("admin/procedure_kinds.html", kinds=kinds, act=act)
