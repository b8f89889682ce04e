"""The form of a new act proposal: its type, the procedure it belongs to (picked by title), its
descriptive fields bounded as their columns are. acts.operations.propose decides the rest."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from workflow.acts import documents
from workflow.acts.models import Act, ActDocument
from workflow.core.errors import DomainError
from workflow.core.forms import RELOAD_FILE, TextLimit, column_limit, place_error, upload_size_check
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


NO_REASON = "Manca la motivazione del ritiro."
NO_REFERTO = "Scegliere il PDF del referto firmato."


def _bind_id(field: Any, new_id: str) -> None:
    """Give a bound field the id `new_id` (its label's `for` too): one form per document on the
    same page, under the field names the URL and the API expect."""
    field.id = new_id
    field.label.field_id = new_id


class RoleForm(FlaskForm):
    """A document's new role and, for a version for publication, its original (both decided by
    acts.documents.change_role); `document_id` sets the ids the page gives each document's form."""

    kind = SelectField(
        "Ruolo del documento",
        choices=[SelectChoice(code, label) for code, label in documents.KINDS.items()],
        invalid_choice_message="Scegli il ruolo del documento dall'elenco.",
    )
    original_id = StringField("Documento originale")

    def __init__(self, document_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _bind_id(self.kind, f"ruolo-{document_id}-kind")
        _bind_id(self.original_id, f"ruolo-{document_id}-original")

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the role (or the original it names)."""
        place_error(self, error, where={"originale": "original_id", "ruolo": "kind"})
        if self.form_errors:  # anything else about the document is said beside its role
            self.kind.errors = [*self.kind.errors, *self.form_errors]
            self.form_errors = []


class WithdrawForm(FlaskForm):
    """Why a document is withdrawn (kept with it, DPR 445/2000 art. 54), bounded as its column."""

    motivazione = TextAreaField(
        "Motivazione del ritiro",
        validators=[DataRequired(NO_REASON), column_limit(ActDocument.withdrawn_reason)],
        render_kw={"rows": 2},
    )

    def __init__(self, document_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _bind_id(self.motivazione, f"motivazione-{document_id}")

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the reason (the only thing typed)."""
        self.motivazione.errors = [*self.motivazione.errors, error.message]


def _required_referto(form: Any, field: FileField) -> None:
    if not field.data or not getattr(field.data, "filename", ""):
        raise ValidationError(NO_REFERTO)


class RefertoForm(FlaskForm):
    """The referto di pubblicazione signed by the Segretario Generale (a PDF, checked by
    acts.documents.attach_referto)."""

    file = FileField(
        "Referto firmato digitalmente dal Segretario Generale (PDF)",
        validators=[_required_referto],
        id="referto-file",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file.render_kw = {
            "accept": "application/pdf,.pdf",
            **upload_size_check(documents.max_bytes()),
        }

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the file (everything it checks is the file's), saying
        to choose it again: a browser never keeps a file input after an error."""
        message = error.message
        if RELOAD_FILE not in message:
            message = f"{message} {RELOAD_FILE}"
        self.file.errors = [*self.file.errors, message]
