"""The form that opens a procedure (a kind, the first year of its triennio, optional title and
fascicolo). procedures.operations.open_procedure decides; its refusal is shown beside the field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from workflow.core.errors import DomainError
from workflow.core.forms import DataField, Intero, column_limit, place_error
from workflow.procedures.models import Procedure


class OpenProcedureForm(FlaskForm):
    """A new procedure: its kind (by title) and triennio; the title defaults to the kind's own."""

    # No kind preselected: with several kinds, opening the wrong procedure is one click away.
    kind = SelectField(
        "Tipo",
        validators=[InputRequired("Scegli il tipo di procedimento dall'elenco.")],
        invalid_choice_message="Scegli il tipo di procedimento dall'elenco.",
    )
    period_start = Intero(
        "Primo anno del triennio",
        validators=[
            InputRequired("Indicare l'anno di inizio del triennio."),
            NumberRange(2000, 2100, "Anno di inizio del triennio non valido (2000-2100)."),
        ],
        render_kw={"inputmode": "numeric", "min": 2000, "max": 2100},
    )
    title = StringField("Titolo (facoltativo)", validators=[column_limit(Procedure.title)])
    fascicolo = StringField(
        "Fascicolo (titolario/anno/numero)",
        validators=[column_limit(Procedure.fascicolo)],
        render_kw={"placeholder": "2.16/2025/1"},
    )

    def __init__(self, kinds: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind.choices = [SelectChoice("", "— scegli il tipo —")] + [
            SelectChoice(code, d.title) for code, d in kinds.items()
        ]

    def refuse(self, error: DomainError) -> None:
        """The operation's refusal beside the field it concerns."""
        place_error(self, error, where={"esiste già": "period_start", "anno": "period_start"})


def plan_form(milestones: list[Any], formdata: Any = None) -> Form:
    """The planned dates of a procedure's milestones, one gg/mm/aaaa field each, named
    `planned_<code>` (the names the page has always posted); filled from `formdata` when given,
    else from each milestone's `planned_date`."""

    class PlanForm(Form):
        pass

    for m in milestones:
        setattr(PlanForm, f"planned_{m.code}", DataField(m.label, [Optional()]))
    data = {f"planned_{m.code}": m.planned_date for m in milestones}
    return PlanForm(formdata=formdata, data=None if formdata else data)
