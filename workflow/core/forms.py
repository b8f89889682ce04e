"""What every WTForms form of the application shares: dates typed and shown dd/mm/yyyy whatever
the browser's language, and text checked by the same rules as the column it is saved in."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import Field, StringField
from wtforms.validators import ValidationError

from workflow.core import inputs
from workflow.core.errors import InvalidData
from workflow.engine.stepdata import read_date


class DataField(StringField):
    """A calendar date typed as gg/mm/aaaa (ISO is also read), shown back as typed on an error.

    `data` is a `datetime.date` or None; bounded to core.inputs.DATE_MIN..DATE_MAX. A text input,
    not `type=date`: a browser without the Italian language pack shows native dates mm/dd/yyyy.
    """

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {"placeholder": "gg/mm/aaaa", "inputmode": "numeric", "maxlength": 10}
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
