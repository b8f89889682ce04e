"""What every WTForms form of the application shares: dates typed and shown dd/mm/yyyy whatever
the browser's language, and text checked by the same rules as the column it is saved in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from sqlalchemy import Text
from wtforms import Field, Form, HiddenField, IntegerField, StringField
from wtforms.validators import StopValidation, ValidationError

from workflow.core import inputs
from workflow.core.clock import ROME
from workflow.core.errors import BadRequest, DomainError, InvalidData
from workflow.engine.stepdata import MAX_TEXT, read_date


class DataField(StringField):
    """A calendar date typed as gg/mm/aaaa (ISO is also read), shown back as typed on an error.

    `data` is a `datetime.date` or None; bounded to core.inputs.DATE_MIN..DATE_MAX. A text input,
    not `type=date`: a browser without the Italian language pack shows native dates mm/dd/yyyy.
    """

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {
            "placeholder": "gg/mm/aaaa",
            "pattern": r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}",
            "inputmode": "numeric",
            "maxlength": 10,
        }
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        parsed = read_date(text)
        if parsed is None:
            self.data = None
            raise ValueError("Data non valida: scrivila come gg/mm/aaaa, es. 19/02/2025.")
        try:
            self.data = inputs.check_date(parsed, str(self.label.text))
        except InvalidData as error:
            self.data = None
            raise ValueError(str(error)) from error


class SingleLine:
    """A validator: one line of at most `max_length` characters, no control characters, the
    rule of a String column (core.inputs.clean_text)."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self.field_flags = {"maxlength": max_length}

    def __call__(self, form: Any, field: Field) -> None:
        try:
            field.data = inputs.clean_text(
                field.data or "", str(field.label.text), max_length=self.max_length
            )
        except InvalidData as error:
            raise ValidationError(str(error)) from error


class TextLimit:
    """A validator: text of at most `max_length` characters (the column's or the service's limit),
    multi-line when `multiline`, without the control characters the kind of field forbids (the rule
    of core.inputs.clean_text). Its `maxlength` flag reaches the HTML input, so the browser and the
    counter of static/forms.js stop where the server would."""

    def __init__(self, max_length: int, *, multiline: bool = True) -> None:
        self.max_length = max_length
        self.multiline = multiline
        self.field_flags = {"maxlength": max_length}

    def __call__(self, form: Any, field: Field) -> None:
        try:
            inputs.clean_text(
                field.data or "",
                str(field.label.text),
                max_length=self.max_length,
                multiline=self.multiline,
            )
        except InvalidData as error:
            raise ValidationError(str(error)) from error


_DATE_TIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y, %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


class DataOraField(StringField):
    """A date and time typed as gg/mm/aaaa hh:mm in Europe/Rome (ISO YYYY-MM-DDTHH:MM is also read:
    what a datetime-local input and the API send). `data` is an aware datetime or None; the
    date is bounded like DataField's. A text input, for the same reason as DataField."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {
            "placeholder": "gg/mm/aaaa hh:mm",
            "pattern": r"\d{1,2}/\d{1,2}/\d{4},? \d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}",
            "maxlength": 17,
        }
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y %H:%M") if isinstance(self.data, datetime) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = " ".join((valuelist[0] if valuelist else "").split())
        self.data = None
        if not text:
            return
        for fmt in _DATE_TIME_FORMATS:
            try:
                typed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            try:
                inputs.check_date(typed.date(), str(self.label.text))
            except InvalidData as error:
                raise ValueError(str(error)) from error
            self.data = typed.replace(tzinfo=ROME)
            return
        raise ValueError(
            "Data e ora non valide: scrivile come gg/mm/aaaa hh:mm, es. 28/02/2025 17:30."
        )


RELOAD_FILE = "Ricarica il file: il browser non lo conserva dopo un errore."


def upload_size_check(max_bytes: int) -> dict[str, Any]:
    """The render_kw of a file input whose size static/forms.js checks before sending (`max_bytes`
    the server's own limit): a file over it is refused in the browser, with the form still full."""
    return {"data-max-bytes": max_bytes, "data-max-mb": max(1, max_bytes // (1024 * 1024))}


def place_error(form: Form, error: DomainError, where: dict[str, str] | None = None) -> None:
    """Put a service's refusal beside the field it names: a field of `where` (a word of the
    message, lower case → a field name) first, then the first field whose label the message quotes
    («Etichetta») or whose missing value it names ("Manca la sintesi…" → "Sintesi"); a message that
    names no field goes above the form. The service decides; this only chooses where to say it."""
    message = error.message
    lowered = message.lower()
    target = next((form[name] for word, name in (where or {}).items() if word in lowered), None)
    for field in form if target is None else ():
        label = str(field.label.text).strip().lower()
        if not label or field.type in ("CSRFTokenField", "HiddenField"):
            continue
        words = label.split(" (")[0].rstrip(" *")
        quoted = f"«{label}»" in lowered or f"«{words}»" in lowered
        if quoted or re.match(
            rf"mancan?o? (il |la |lo |l'|i |gli |le )?{re.escape(words)}\b", lowered
        ):
            target = field
            break
    if target is None:
        form.form_errors.append(message)
    else:
        target.errors = [*target.errors, message]


def too_large_message(max_bytes: int) -> str:
    """What is said of a file over `max_bytes` (bytes), in MB as people read them."""
    return (
        f"File troppo grande: il limite è di {max(1, max_bytes // (1024 * 1024))} MB. {RELOAD_FILE}"
    )


def column_limit(column: Any) -> TextLimit:
    """The TextLimit of a model column, by the column guard's own bounds (core/database.py): its
    String length, or for a TEXT column `info={"max_length": N}`, else core.inputs.TEXT_MAX;
    multi-line for TEXT (or `info={"multiline": True}`)."""
    kind = column.type
    length = getattr(kind, "length", None) or column.info.get("max_length", inputs.TEXT_MAX)
    multiline = isinstance(kind, Text) or bool(column.info.get("multiline", False))
    return TextLimit(length, multiline=multiline)


class _Marked:
    """A validator that only marks the HTML input (required, maxlength): the engine's step parser
    (engine.stepdata.parse) decides what a step accepts; the form shows and keeps the values."""

    def __init__(self, **flags: Any) -> None:
        self.field_flags = flags

    def __call__(self, form: Any, field: Field) -> None:
        return None


def step_form(step: Any, formdata: Any, prefix: str) -> Form:
    """A WTForms form for the fields a machine step declares (engine.definition.Field), under the
    names the definition gives them (the API and the tests use them) and ids `prefix`+name, filled
    from `formdata` (a MultiDict: what was typed, or a step's stored values). Dates are gg/mm/aaaa
    text; an opinion's outcome is two radio buttons with none checked (a preset "favorevole" is a
    legal risk); text is bounded by engine.stepdata.MAX_TEXT. Document fields are left to the
    page, which knows the act's documents."""
    from wtforms import RadioField, SelectField, TextAreaField
    from wtforms.fields.choices import SelectChoice

    class StepForm(Form):
        pass

    for f in step.fields:
        marks = [_Marked(required=True)] if f.required else []
        common = {"id": prefix + f.name}
        if f.type == "date":
            unbound: Any = DataField(f.label, marks, **common)
        elif f.type == "bool" and f.name == "favorevole":
            choices = [
                SelectChoice("favorevole", "Favorevole"),
                SelectChoice("contrario", "Contrario"),
            ]
            unbound = RadioField(f.label, marks, choices=choices, validate_choice=False, **common)
        elif f.type == "bool":
            choices = [SelectChoice("", "No"), SelectChoice("si", "Sì")]
            unbound = SelectField(f.label, choices=choices, validate_choice=False, **common)
        elif f.type == "act_number":
            kw = {"placeholder": "es. 43/2025", "inputmode": "numeric", "maxlength": 12}
            unbound = StringField(f.label, marks, render_kw=kw, **common)
        elif f.type in ("document", "documents"):
            continue
        else:
            marks.append(_Marked(maxlength=MAX_TEXT))
            unbound = TextAreaField(f.label, marks, render_kw={"rows": 3}, **common)
        setattr(StepForm, f.name, unbound)
    return StepForm(formdata=formdata)


# Pages that show their upload form again when a request body is over MAX_CONTENT_LENGTH: Werkzeug
# refuses to read such a body (413) before any view runs, so nothing typed can be kept, but the
# person gets the form back with the message beside the file, not a bare error page.
_TOO_LARGE_PAGES: dict[str, Callable[[str], tuple[str, int]]] = {}


def on_too_large(endpoint: str) -> Callable[[Callable[[str], tuple[str, int]]], Any]:
    """Register, for the view `endpoint` ("blueprint.view"), the page to show when its request
    body is over MAX_CONTENT_LENGTH; the function receives the message and returns (html, 413)."""

    def register(page: Callable[[str], tuple[str, int]]) -> Callable[[str], tuple[str, int]]:
        _TOO_LARGE_PAGES[endpoint] = page
        return page

    return register


def too_large_page(endpoint: str | None) -> tuple[str, int] | None:
    """The form page registered for `endpoint` with the 413 message, or None (the error page)."""
    page = _TOO_LARGE_PAGES.get(endpoint or "")
    if page is None:
        return None
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return page(too_large_message(limit))


class Intero(IntegerField):
    """An integer typed as digits, refused in Italian ("Not a valid integer value" is WTForms')."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"«{self.label.text}»: scrivere un numero intero.") from None

    def pre_validate(self, form: Any) -> None:
        # Text that is no number says so once, not again as out of range.
        if self.process_errors:
            raise StopValidation()


class ButtonForm(FlaskForm):
    """A form of one button that carries nothing typed (an outbox message requeued, an account
    unlocked, an API token issued or revoked): its CSRF token only, checked by Flask-WTF as in
    every form of the application. `active` is for the buttons that switch something on or off
    ("1" on, anything else off): a hidden value set by the page, not typed."""

    active = HiddenField()

    def checked(self) -> ButtonForm:
        """This form, once its submission is valid; raises BadRequest (400, Italian) otherwise."""
        if not self.validate_on_submit():
            raise BadRequest("Modulo non valido o scaduto: ricarica la pagina e riprova.")
        return self

    @property
    def on(self) -> bool:
        """Whether the button switches on (`active` is "1")."""
        return self.active.data == "1"
