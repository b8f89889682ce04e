"""The registration and annulment forms (WTForms): they read and re-render what was typed; the
rules (dates, addresses, classification, the number) are the operation's, said once there."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from workflow.core.forms import DataField
from workflow.protocollo.models import DIRECTIONS, ENTRATA
from workflow.protocollo.operations import CorrespondentData

CORRESPONDENT_ROWS = 3  # blank rows offered; the ones left empty are ignored
REQUIRED = "campo obbligatorio"
BAD_DATE = "data non valida (gg/mm/aaaa)"


class Giorno(DataField):
    """A date typed gg/mm/aaaa (ISO aaaa-mm-gg also read), refused in Italian (issue 16: a text
    input, never the browser's date input, whose order follows the browser's language)."""

    def __init__(self, *args: Any, format: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class CorrespondentForm(Form):
    """One mittente or destinatario (a sub-form: the CSRF token is the outer form's)."""

    name = StringField("Denominazione", validators=[Length(max=200)])
    address = StringField("PEC o e-mail", validators=[Length(max=254)])
    codice_fiscale = StringField("Codice fiscale o partita IVA", validators=[Length(max=16)])


class RegistrationForm(FlaskForm):
    direction = RadioField(
        "Direzione",
        choices=[SelectChoice(code, label) for code, label in DIRECTIONS.items()],
        default=ENTRATA,
        validators=[InputRequired(REQUIRED)],
    )
    oggetto = StringField("Oggetto", validators=[InputRequired(REQUIRED), Length(max=1000)])
    document_date = Giorno(
        "Data del documento", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d"
    )
    sender_protocol = StringField(
        "Protocollo del mittente (solo in entrata)", validators=[Optional(), Length(max=60)]
    )
    sender_protocol_date = Giorno(
        "Data del protocollo del mittente", validators=[Optional()], format="%Y-%m-%d"
    )
    fascicolo = StringField(
        "Titolario/Anno/Fascicolo (es. 2.16/2024/1)",
        validators=[InputRequired(REQUIRED), Length(max=40)],
    )
    correspondents = FieldList(FormField(CorrespondentForm), min_entries=CORRESPONDENT_ROWS)
    documents = MultipleFileField(
        "Documenti (PDF; il primo è il documento principale)",
        validators=[InputRequired("scegliere almeno un file PDF")],
    )

    def correspondent_data(self) -> list[CorrespondentData]:
        return [
            CorrespondentData(
                name=row.form.name.data or "",
                address=row.form.address.data or "",
                codice_fiscale=row.form.codice_fiscale.data or "",
            )
            for row in self.correspondents
        ]


class AnnulmentForm(FlaskForm):
    reason = TextAreaField("Motivo", validators=[InputRequired(REQUIRED), Length(max=2000)])
    authorising_act = StringField(
        "Provvedimento di autorizzazione (es. Provvedimento del Segretario Generale n. 3/2025)",
        validators=[InputRequired(REQUIRED), Length(max=300)],
    )
