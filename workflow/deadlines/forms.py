"""The form that registers a deadline by hand: a date, or N working days from a day (c.p.c. art.
155). WTForms reads and bounds the fields; deadlines.operations.create_deadline decides the rest."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from workflow.access.roles import ROLE_LABELS
from workflow.core.errors import DomainError
from workflow.core.forms import (
    DataField,
    Intero,
    SingleLine,
    TextLimit,
    column_limit,
    place_error,
)
from workflow.deadlines import rules
from workflow.deadlines.models import Deadline

BOTH_WAYS = "Indica la data, oppure i giorni lavorativi (da 1 a 365) e il giorno da cui contarli."


class DeadlineForm(FlaskForm):
    """What is due, by when (a date, or working days from a day), of which kind, whose."""

    title = StringField(
        "Che cosa è dovuto",
        validators=[
            DataRequired("Manca la descrizione della scadenza."),
            column_limit(Deadline.title),
        ],
    )
    due_date = DataField("Entro il", validators=[Optional()])
    working_days = Intero(
        "Entro giorni lavorativi",
        validators=[Optional(), NumberRange(1, 365, "Da 1 a 365 giorni lavorativi.")],
        render_kw={"inputmode": "numeric", "min": 1, "max": 365},
    )
    counted_from = DataField("dal", validators=[Optional()])
    kind = SelectField(
        "Tipo",
        choices=[SelectChoice(c, label) for c, label in rules.KIND_LABELS.items()],
        default="manuale",
        invalid_choice_message="Scegli il tipo di scadenza tra quelli previsti.",
    )
    responsible_role = SelectField(
        "Ruolo responsabile",
        choices=[SelectChoice(c, label) for c, label in ROLE_LABELS.items()],
        default="direzione_generale",
        invalid_choice_message="Ruolo responsabile non valido.",
    )
    procedure_id = SelectField(
        "Procedimento (facoltativo)",
        default="",
        invalid_choice_message="Scegli il procedimento dall'elenco.",
    )
    legal_basis = StringField(
        "Riferimento normativo",
        validators=[column_limit(Deadline.legal_basis)],
        render_kw={"placeholder": "TUEL art. 49"},
    )
    description = TextAreaField(
        "Note", validators=[column_limit(Deadline.description)], render_kw={"rows": 2}
    )

    def __init__(self, procedures: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.procedure_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(p.id), p.title) for p in procedures
        ]

    def validate_working_days(self, field: Intero) -> None:
        if field.data is not None and self.counted_from.data is None:
            self.counted_from.errors = [
                *self.counted_from.errors,
                "Indica il giorno da cui contare.",
            ]
            raise ValidationError(BOTH_WAYS)

    def validate_due_date(self, field: DataField) -> None:
        if field.data is None and self.working_days.data is None and not self.working_days.errors:
            raise ValidationError("Manca la data della scadenza.")

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the field it concerns."""
        place_error(
            self, error, where={"data della scadenza": "due_date", "giorni": "working_days"}
        )


class MailSettingsForm(FlaskForm):
    """One's own address for reminders and whether to get the daily digest."""

    email = StringField(
        "Indirizzo e-mail per promemoria e riepilogo",
        validators=[SingleLine(254)],
        render_kw={"type": "email", "autocomplete": "email"},
    )
    digest = BooleanField(
        "Ricevi il riepilogo giornaliero delle scadenze", false_values=("", "0", "false")
    )


# What deadlines.operations.settle keeps of the note (in the audit payload).
NOTE_MAX = 2000


class SettleForm(FlaskForm):
    """Closing a deadline as met or cancelled (the button pressed), with an optional note."""

    note = TextAreaField(
        "Nota (facoltativa)", validators=[TextLimit(NOTE_MAX)], render_kw={"rows": 2}
    )
