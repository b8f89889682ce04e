"""The form of a new act proposal: its type, the procedure it belongs to (picked by title), its
descriptive fields bounded as their columns are. acts.operations.propose decides the rest."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from workflow.acts import documents
from workflow.acts.models import Act
from workflow.core.errors import DomainError
from workflow.core.forms import TextLimit, column_limit, place_error, upload_size_check
from workflow.definitions import acts as machine


class ProposalForm(FlaskForm):
    """A proposal as the office types it; `procedure_id` "" is an act outside any procedure."""

    act_type = SelectField(
        "Tipo di atto",
        choices=[SelectChoice(code, t.label) for code, t in machine.ACT_TYPES.items()],
        default="decreto_sindaco",
        invalid_choice_message="Scegli il tipo di atto dall'elenco.",
    )
    oggetto = TextAreaField(
        "Oggetto", validators=[column_limit(Act.oggetto)], render_kw={"rows": 2}
    )
    fascicolo = StringField(
        "Titolario/Anno/Fascicolo (es. 2.16/2024/1)", validators=[TextLimit(40, multiline=False)]
    )
    procedure_id = SelectField(
        "Procedimento (facoltativo)",
        default="",
        invalid_choice_message="Scegli il procedimento dall'elenco, o nessuno.",
    )
    proponente = StringField("Proponente", validators=[column_limit(Act.proponente)])
    materia = StringField("Materia", validators=[column_limit(Act.materia)])
    struttura = StringField("Struttura Organizzativa", validators=[column_limit(Act.struttura)])
    testo = TextAreaField(
        "Testo della proposta", validators=[column_limit(Act.testo)], render_kw={"rows": 6}
    )

    def __init__(self, procedures: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.procedure_id.choices = [SelectChoice("", "— nessuno —")] + [
            SelectChoice(str(p.id), p.title) for p in procedures
        ]

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the field it concerns."""
        place_error(
            self,
            error,
            where={
                "fascicol": "fascicolo",
                "procedimento": "procedure_id",
                "tipo di atto": "act_type",
            },
        )


NO_PDF = "Scegliere un file PDF da caricare."


def _required_file(form: Any, field: FileField) -> None:
    if not field.data or not getattr(field.data, "filename", ""):
        raise ValidationError(NO_PDF)


class DocumentUploadForm(FlaskForm):
    """A PDF for the act, with its role; `original_id` names the original a version for
    publication stands for (checked by acts.documents.attach, like everything else)."""

    kind = SelectField(
        "Ruolo del documento",
        choices=[SelectChoice(code, label) for code, label in documents.KINDS.items()],
        default="atto",
        invalid_choice_message="Scegli il ruolo del documento dall'elenco.",
    )
    original_id = StringField("Documento originale")
    file = FileField("File PDF", validators=[_required_file])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file.render_kw = {
            "accept": "application/pdf,.pdf",
            **upload_size_check(documents.max_bytes()),
        }

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the field it concerns (most are the file's)."""
        place_error(
            self,
            error,
            where={"originale": "original_id", "ruolo": "kind", "file": "file", "pdf": "file"},
        )
