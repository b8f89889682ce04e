"""The administrator's form for a new user. WTForms checks presence, lengths and known roles;
access.operations.create_user decides the rest (name rules, codice fiscale, uniqueness)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from workflow.access.models import User
from workflow.access.operations import MAX_FULL_NAME, MIN_PASSWORD_LENGTH
from workflow.access.roles import ROLE_LABELS
from workflow.core.errors import DomainError
from workflow.core.forms import SingleLine, place_error


class UserForm(FlaskForm):
    """A new account: username, full name, optional codice fiscale, password, at least one role."""

    username = StringField(
        "Nome utente",
        validators=[DataRequired("Manca il nome utente."), SingleLine(User.username.type.length)],
        render_kw={"autocomplete": "off"},
    )
    full_name = StringField(
        "Nome e cognome",
        validators=[
            DataRequired("Manca il nome e cognome dell'utente."),
            SingleLine(MAX_FULL_NAME),
        ],
    )
    codice_fiscale = StringField(
        "Codice fiscale (facoltativo: riconosce le sue firme digitali)",
        validators=[SingleLine(16)],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        f"Password (almeno {MIN_PASSWORD_LENGTH} caratteri)",
        validators=[
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=f"La password deve avere almeno {MIN_PASSWORD_LENGTH} caratteri.",
            )
        ],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    roles = SelectMultipleField(
        "Ruoli",
        choices=[SelectChoice(code, label) for code, label in ROLE_LABELS.items()],
        validators=[
            DataRequired("Scegli almeno un ruolo: un utente senza ruoli non può fare nulla.")
        ],
        invalid_choice_message="Scegli i ruoli tra quelli dell'elenco.",
    )

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the field it concerns (a password is never refilled)."""
        place_error(
            self,
            error,
            where={
                "nome utente": "username",
                "esiste già": "username",
                "codice fiscale": "codice_fiscale",
                "password": "password",  # nosec B105 (a message word → a field name, no secret)
                "ruol": "roles",
            },
        )


class LoginForm(FlaskForm):
    """The login: username and password, both required; access.operations.login decides whether
    they are right (a wrong pair answers 401, too many failures 429, both said above the form).
    The password is never sent back; the username is."""

    username = StringField(
        "Nome utente",
        validators=[InputRequired("Manca il nome utente.")],
        render_kw={
            "autocomplete": "username",
            "autofocus": True,
            "maxlength": User.username.type.length,
        },
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Manca la password.")],
        render_kw={"autocomplete": "current-password"},
    )
