"""A step's data: parsed from a form or a JSON body by the fields its definition declares, and
the steps a caller may fire described for a JSON answer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from workflow.core.errors import InvalidData
from workflow.core.inputs import INT_MAX, check_date, clean_text
from workflow.engine.definition import Field, Step

_ACT_NUMBER = re.compile(r"^\s*(\d{1,7})\s*(?:/\s*(\d{4}))?\s*$")
_TRUE = {"true", "1", "si", "sì", "on", "yes", "favorevole"}
_FALSE = {"false", "0", "no", "off", "contrario"}
MAX_TEXT = 2000


def parse(fields: tuple[Field, ...], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values for `fields`; raises InvalidData naming the first missing or bad field."""
    known = {f.name for f in fields}
    extra = sorted(k for k in raw if k not in known)
    if extra:
        raise InvalidData("Campi non previsti per questo passaggio: " + ", ".join(extra) + ".")
    values: dict[str, Any] = {}
    for f in fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                raise InvalidData(f"Manca {f.missing or f.label.lower()}.")
            continue
        values[f.name] = _convert(f, value)
    if "numero" in values and "data" in values and "/" not in values["numero"]:
        # A bare number takes the act's own year: registers restart every year.
        values["numero"] = f"{values['numero']}/{values['data'].year}"
    return values


def _convert(f: Field, value: Any) -> Any:
    if f.type == "date":
        return parse_date(value, f.label)
    if f.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise InvalidData(f"«{f.label}»: indicare sì o no.")
    if f.type == "document":
        return _document_id(value, f.label)
    if f.type == "documents":
        chosen = value if isinstance(value, list) else [value]
        return sorted({_document_id(v, f.label) for v in chosen if v not in ("", None)})
    if f.type == "act_number":
        match = isinstance(value, str) and _ACT_NUMBER.match(value)
        if not match or int(match.group(1)) == 0:
            raise InvalidData(
                f"«{f.label}»: indicare un numero, eventualmente con l'anno (es. 43/2025)."
            )
        number = str(int(match.group(1)))
        return f"{number}/{match.group(2)}" if match.group(2) else number
    return clean_text(value, f.label, max_length=MAX_TEXT, multiline=True).strip()


def _document_id(value: Any, label: str) -> int:
    """A document's id as a form (text) or a JSON body (integer) gives it; raises InvalidData."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int or not 1 <= value <= INT_MAX:
        raise InvalidData(f"«{label}»: indicare il numero di un documento dell'atto.")
    return value


def parse_date(value: Any, label: str) -> date:
    """A calendar date from ISO (forms, API) or dd/mm/yyyy (what people type), within
    core.inputs.DATE_MIN..DATE_MAX. Raises InvalidData naming `label`."""
    parsed = read_date(value)
    if parsed is None:
        raise InvalidData(f"«{label}»: data non valida, usare gg/mm/aaaa.")
    return check_date(parsed, label)


def read_date(value: Any) -> date | None:
    """A calendar date read from ISO or dd/mm/yyyy text, any year; None when it is none."""
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None


def to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings, for storage and for the audit payload."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def allowed_events_json(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """The "allowed_events" of an API answer (procedures and acts alike): per step its event,
    label and fields (name, label, type, required), in the order given."""
    return [
        {
            "event": step.event,
            "label": step.label,
            "fields": [
                {"name": f.name, "label": f.label, "type": f.type, "required": f.required}
                for f in step.fields
            ],
        }
        for step in steps
    ]
