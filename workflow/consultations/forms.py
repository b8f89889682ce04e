"""The consultation page's forms: open the window, register a contribution, close with the
outcome. WTForms checks what a form can (present, length, a known choice, a date); the operations
decide the rest, and their refusals are shown beside the field they name (core.forms.place_error).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from workflow.consultations import territory_data
from workflow.consultations.models import (
    CHANNELS,
    FORUM,
    UNIONE,
    Body,
    Consultation,
    Contribution,
)
from workflow.consultations.themes import THEMES
from workflow.core.errors import DomainError
from workflow.core.forms import (
    DataField,
    DataOraField,
    TextLimit,
    column_limit,
    place_error,
    upload_size_check,
)

NO_FILE = "Manca il file del contributo (PDF)."


class OpenForm(FlaskForm):
    """The window: its deadline and who is invited (zones, Unioni, Forum)."""

    deadline = DataField(
        "Termine per i contributi",
        validators=[InputRequired("Indica il termine per i contributi.")],
    )
    zones = SelectMultipleField(
        "Zone omogenee invitate",
        choices=[SelectChoice(c, label) for c, label in territory_data.ZONE_LABELS.items()],
        invalid_choice_message="Zona omogenea sconosciuta.",
    )
    unions = BooleanField("Unioni di Comuni", false_values=("", "0", "false"))
    forum = BooleanField("Forum metropolitano", false_values=("", "0", "false"))


def _required_file(form: Any, field: FileField) -> None:
    if not field.data or not getattr(field.data, "filename", ""):
        raise ValidationError(NO_FILE)


class ContributionForm(FlaskForm):
    """A contribution received from an invited body. The Ente is chosen from the invited bodies,
    grouped by Zona omogenea (see `body_groups`)."""

    body_id = SelectField(
        "Ente",
        coerce=str,
        validators=[InputRequired("Scegli l'ente che ha inviato il contributo.")],
        invalid_choice_message="Scegli l'ente tra quelli invitati alla consultazione.",
    )
    received_at = DataOraField(
        "Ricevuto il (ora di Roma)",
        validators=[InputRequired("Indica data e ora di ricezione (gg/mm/aaaa hh:mm).")],
    )
    channel = SelectField(
        "Canale",
        choices=[SelectChoice(c, label) for c, label in CHANNELS.items()],
        invalid_choice_message="Scegli il canale tra quelli previsti.",
    )
    summary = TextAreaField(
        "Sintesi",
        validators=[
            DataRequired("Manca la sintesi del contributo."),
            column_limit(Contribution.summary),
        ],
        render_kw={"rows": 3},
    )
    themes = SelectMultipleField(
        "Temi",
        choices=[SelectChoice(c, label) for c, label in THEMES.items()],
        invalid_choice_message="Tema sconosciuto: usare le Missioni (M1-M6) e i Driver (D1-D10).",
    )
    file = FileField("File (PDF)", validators=[_required_file])

    def __init__(self, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body_id.choices = [SelectChoice("", "— scegli l'ente —")] + [
            SelectChoice(str(i.body.id), i.body.name)
            for i in sorted(consultation.invitations, key=lambda i: i.body.name)
        ]
        limit = current_app.config["CONTRIBUTION_MAX_BYTES"]
        self.file.render_kw = {"accept": "application/pdf", **upload_size_check(limit)}

    def body_groups(self, consultation: Consultation) -> list[tuple[str, list[tuple[str, str]]]]:
        """The invited bodies as (group label, [(id, name)]): each Zona omogenea in the plan's
        order, then the Unioni and the Forum; names alphabetical within a group."""
        order = list(territory_data.ZONE_LABELS)
        groups: dict[str, list[tuple[str, str]]] = {}
        for invitation in sorted(consultation.invitations, key=lambda i: i.body.name):
            body = invitation.body
            if body.kind == UNIONE:
                key = "~unioni"
            elif body.kind == FORUM:
                key = "~~forum"
            else:
                key = body.zone or ""
            groups.setdefault(key, []).append((str(body.id), body.name))
        labels = {"~unioni": "Unioni di Comuni", "~~forum": "Forum metropolitano"}
        keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
        return [(labels.get(k) or territory_data.ZONE_LABELS.get(k, k), groups[k]) for k in keys]


class CloseForm(FlaskForm):
    """The outcome the adoption cites; `version` is the consultation read last."""

    outcome = TextAreaField(
        "Esito",
        validators=[
            DataRequired("Manca l'esito della consultazione."),
            column_limit(Consultation.outcome),
        ],
        render_kw={"rows": 3},
    )


ADDRESSES_MAX = 2000
"""Characters of a body's address list as typed (separated by commas or lines): room for several
PEC addresses of BodyAddress.address's 254; each one is checked by territory.checked_address."""


class AddressesForm(FlaskForm):
    """A body's reminder addresses (PEC or e-mail), one line separated by commas; `body_id` sets
    the id the territory page gives each body's input."""

    addresses = StringField("Indirizzi", validators=[TextLimit(ADDRESSES_MAX, multiline=False)])

    def __init__(self, body_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.addresses.id = f"addr-{body_id}"
        self.addresses.label.field_id = self.addresses.id

    def lines(self) -> list[str]:
        """The addresses as typed, one an item (commas and line breaks separate them)."""
        return (self.addresses.data or "").replace(",", "\n").splitlines()


class ForumMemberForm(FlaskForm):
    """A new member of the Forum metropolitano: its name (Body.name) and addresses."""

    name = StringField(
        "Nome",
        validators=[
            DataRequired("Manca il nome del componente del Forum."),
            column_limit(Body.name),
        ],
    )
    addresses = StringField(
        "Indirizzi (separati da virgola)",
        validators=[TextLimit(ADDRESSES_MAX, multiline=False)],
    )

    def lines(self) -> list[str]:
        """The addresses as typed, one an item."""
        return (self.addresses.data or "").replace(",", "\n").splitlines()

    def refuse(self, error: DomainError) -> None:
        """territory.add_forum_member's refusal beside the name or the addresses it concerns."""
        place_error(self, error, where={"indirizz": "addresses", "nome": "name", "forum": "name"})
