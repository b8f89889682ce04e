"""The JSON API's contract, declared once with flask-smorest: each operation states its request
schema (marshmallow, validated by webargs before the view runs) and its answers, and the OpenAPI
3.1 document of /api/v1 is generated from those declarations.

A refused input becomes the API's one error envelope, `{"error": {"status", "message"}}`: 400
when the body is not a JSON object, 422 naming each bad field in Italian («title»: deve essere
un testo). Bounds come from the database columns and workflow.core.inputs, never typed twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, NoReturn

import flask
import flask_smorest
import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import Column
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from workflow.core.clock import ROME
from workflow.core.error_pages import MESSAGES
from workflow.core.errors import BadRequest, InvalidData
from workflow.core.inputs import INT_MAX, TEXT_MAX, out_of_range
from workflow.definitions import DEFINITIONS, LATEST
from workflow.engine.stepdata import MAX_TEXT, read_date

F = Callable[..., Any]
TITLE = "workflow — API dei procedimenti"
NOT_AN_OBJECT = "Il corpo della richiesta deve essere un oggetto JSON."
# What an operation with a body can answer besides its own statuses: over the request size limit
# (413), a field refused (422); a body that is not a JSON object is a 400, which every operation
# declares (see Blueprint.answers).
BODY_ERRORS = (413, 422)

# Italian messages by field class (a subclass inherits its parents'): what a client reads after
# «field name»: in a 422.
_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {
        "required": "campo obbligatorio",
        "null": "non può essere null",
        "validator_failed": "valore non valido",
    },
    fields.String: {"invalid": "deve essere un testo", "invalid_utf8": "testo non valido"},
    fields.Integer: {"invalid": "deve essere un numero intero", "too_large": "troppo grande"},
    fields.Boolean: {"invalid": "deve essere vero o falso"},
    fields.Date: {
        "invalid": "data non valida, usare aaaa-mm-gg o gg/mm/aaaa",
        "format": "data non valida, usare aaaa-mm-gg o gg/mm/aaaa",
    },
    fields.DateTime: {"invalid": "data e ora non valide (AAAA-MM-GGTHH:MM)"},
    fields.List: {"invalid": "deve essere un elenco"},
    fields.Dict: {"invalid": "deve essere un oggetto"},
    fields.Nested: {"type": "deve essere un oggetto"},
}


class File(flask_smorest.fields.Upload):
    """A file sent in a multipart/form-data body (documented as a binary string)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


_MESSAGES[File] = {"invalid": "deve essere un file"}


class Schema(ma.Schema):
    """Base of every request schema: Italian messages; unknown fields are ignored, as the views
    always did (a schema that refuses them says so with `unknown = RAISE`)."""

    class Meta:
        unknown = ma.EXCLUDE

    error_messages = {"unknown": "campo non previsto", "type": NOT_AN_OBJECT}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _italian(field_obj)


def _italian(field_obj: fields.Field | None) -> None:
    """Give a field, and the fields inside it (a list's items, a dict's keys and values), the
    Italian messages of its class."""
    if field_obj is None:
        return
    messages: dict[str, str] = {}
    for cls in reversed(type(field_obj).__mro__):
        messages |= _MESSAGES.get(cls, {})
    field_obj.error_messages = {**field_obj.error_messages, **messages}
    for inner in ("inner", "key_field", "value_field"):
        _italian(getattr(field_obj, inner, None))


# marshmallow's validators speak English; what a client may read of them, in Italian.
_VALIDATOR_MESSAGES = [
    (re.compile(r"^Must be one of: (.*)\.$"), r"deve essere uno tra: \1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"al massimo \1 caratteri"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"almeno \1 caratteri"),
    (
        re.compile(r"^Must be greater than or equal to (.*) and less than or equal to (.*)\.$"),
        r"deve essere tra \1 e \2",
    ),
    (re.compile(r"^Must be greater than or equal to (.*)\.$"), r"deve essere almeno \1"),
    (re.compile(r"^Must be less than or equal to (.*)\.$"), r"deve essere al massimo \1"),
    (re.compile(r"^Not a valid (.*)\.$"), r"valore non valido"),
    (re.compile(r"^Invalid value\.$"), r"valore non valido"),
]


def _in_italian(message: str) -> str:
    for pattern, italian in _VALIDATOR_MESSAGES:
        if pattern.match(message):
            return pattern.sub(italian, message)
    return message.rstrip(".")


class Day(fields.Date):
    """A date as the API has always read it: ISO (aaaa-mm-gg) or what people type (gg/mm/aaaa),
    within workflow.core.inputs.DATE_MIN..DATE_MAX."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = read_date(value)
        if day is None:
            raise self.make_error("invalid")
        problem = out_of_range(day)
        if problem:
            raise ma.ValidationError(problem)
        return day


class LocalInstant(fields.DateTime):
    """A date and time as the office types it (AAAA-MM-GGTHH:MM), read in Europe/Rome unless it
    carries its own offset; its day within DATE_MIN..DATE_MAX."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            local = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        problem = out_of_range(local.date())
        if problem:
            raise ma.ValidationError(problem)
        return local.replace(tzinfo=ROME) if local.tzinfo is None else local


def text(column: Column[Any] | None = None, *, max_length: int | None = None, **kw: Any) -> Any:
    """A string field no longer than `column` holds (or `max_length`): its String length, or
    for a TEXT column the `info={"max_length": N}` it declares, else inputs.TEXT_MAX: the
    column guard's own bounds (workflow/core/database.py)."""
    length = max_length
    if column is not None:
        length = getattr(column.type, "length", None) or column.info.get("max_length", TEXT_MAX)
    if length is not None:
        message = "troppo lungo: al massimo {max} caratteri"
        kw["validate"] = [validate.Length(max=length, error=message), *kw.get("validate", ())]
    return fields.String(**kw)


def integer(low: int, high: int = INT_MAX, *, strict: bool = True, **kw: Any) -> Any:
    """An integer within [low, high]: never a boolean, a float or (unless not `strict`, for the
    fields of a form, which are all text) digits in a string."""
    message = "fuori dall'intervallo ammesso ({min}–{max})"
    return fields.Integer(strict=strict, validate=validate.Range(low, high, error=message), **kw)


def identifier(**kw: Any) -> Any:
    """A database id: an integer from 1 to the INTEGER column's maximum."""
    return integer(1, **kw)


def one_of(choices: Iterable[str], **kw: Any) -> Any:
    """A string among `choices` (documented as an enum)."""
    allowed = sorted(choices)
    message = "valore non ammesso (ammessi: {choices})"
    return fields.String(validate=validate.OneOf(allowed, error=message), **kw)


class _Kind(validate.Validator):
    """A procedure kind among those the app loaded, checked when the request comes."""

    def __call__(self, value: str) -> str:
        if value not in LATEST:
            raise ma.ValidationError(f"valore non ammesso (ammessi: {', '.join(sorted(LATEST))})")
        return value


def procedure_kind(**kw: Any) -> Any:
    """A procedure kind (psttm, dup, …): the definitions' own list, documented as served."""
    metadata = {"enum": sorted(LATEST), LIVE: "tipi", **kw.pop("metadata", {})}
    return fields.String(validate=_Kind(), metadata=metadata, **kw)


class ErrorDetail(ma.Schema):
    status = fields.Integer(required=True, metadata={"description": "lo stato HTTP"})
    message = fields.String(required=True, metadata={"description": "il motivo, in italiano"})


class Error(ma.Schema):
    """The one error envelope of the API."""

    error = fields.Nested(ErrorDetail, required=True)


def _flatten(messages: Any, path: tuple[str, ...] = ()) -> list[str]:
    if isinstance(messages, Mapping):
        # A dict's errors nest under "key"/"value": the path names the entry, not those.
        return [
            line
            for k, v in messages.items()
            for line in _flatten(v, path if k in ("key", "value") else (*path, str(k)))
        ]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        where = ".".join(path) or "corpo"
        return [f"«{where}»: {_in_italian(m)}" for m in messages]
    if isinstance(messages, list):
        return [line for m in messages for line in _flatten(m, path)]
    return [f"«{'.'.join(path)}»: {messages}"]


class Parser(FlaskParser):
    """webargs as the API reads a request: a JSON body must be an object (400 otherwise, as
    before); a refused field is a domain error (422) whose message names it in Italian."""

    DEFAULT_VALIDATION_STATUS = 422
    # A multipart form's text fields and files, read by one schema (an upload and its metadata).
    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req: flask.Request, schema: ma.Schema) -> MultiDictProxy:
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)

    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        body = req.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest(NOT_AN_OBJECT)
        return body

    def handle_error(self, error: ma.ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        messages = error.messages
        if isinstance(messages, Mapping) and len(messages) == 1:
            # webargs keys the messages by location ("json", "query", "form"): not a field.
            (location, inner), *_ = messages.items()
            if location in self.__location_map__:
                messages = inner
        raise InvalidData("Dati non validi: " + "; ".join(_flatten(messages)) + ".")


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint (a flask.Blueprint: endpoint names stay `name.view`) that reads
    requests with the Parser above and declares its answers with `answers`."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def answers(
        self,
        status: int,
        schema: Any = None,
        *,
        errors: Iterable[int] = (),
        content_type: str | None = None,
        description: str = "OK",
        public: bool = False,
    ) -> Callable[[F], F]:
        """Document the view's success answer (`schema` describes it; the view still builds it)
        and every error status it can answer. Always 400, 401 and 403: hooks run before any
        view (the request guard refuses control characters in a path or query, the route
        rights want a token and a role). A `public` operation (a PUBLIC route of the rights
        table: the Albo) wants no token: no security requirement, no 401 or 403."""

        def mark(view: F) -> F:
            always = {400} if public else {400, 401, 403}
            for code in sorted({*always, *errors}, reverse=True):
                view = self.alt_response(code, schema=Error, description=MESSAGES[code])(view)
            if public:
                view = self.doc(security=[])(view)
            return self.alt_response(
                status,
                schema=schema,
                description=description,
                content_type=content_type,
                success=True,
            )(view)

        return mark

    def outside_contract(self, rule: str) -> Callable[[F], F]:
        """A GET route of this blueprint that is about the API, not an operation of it (the
        document itself, its page): registered as a plain Flask route, absent from the spec."""

        def register(view: F) -> F:
            flask.Blueprint.add_url_rule(self, rule, view_func=view, methods=["GET"])
            return view

        return register


class Api(flask_smorest.Api):
    ERROR_SCHEMA = Error
    # No catch-all "default" answer: each operation lists its statuses, so a status it does not
    # declare is a finding of the schemathesis run, not silently "documented".
    DEFAULT_ERROR_RESPONSE_NAME = None


def init_api(app: flask.Flask) -> Api:
    """The app's Api: the spec's header, the bearer scheme every operation requires. The
    document is served by api.openapi (flask-smorest's own doc blueprint is left off)."""
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = Api(
        app,
        spec_kwargs={
            "title": TITLE,
            "version": "1",
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}],
            "info": {"description": "Autenticazione: `Authorization: Bearer <token personale>`."},
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.register_field(Day, "string", "date")
    api.register_field(LocalInstant, "string", "date-time")
    return api


def current_spec() -> dict[str, Any]:
    """The OpenAPI document of the app handling the request, with the procedures' events and
    kinds of the definitions this app loaded (DEFINITION_DIRS included), not only those known
    when the module was imported."""
    return _live(flask_smorest.current_api.spec.to_dict())


# Marks, in the document, what the procedures' definitions decide when it is served.
LIVE = "x-dalle-definizioni"


def _live(node: Any) -> Any:
    """`node` with every marked schema recomputed from the procedures' definitions now."""
    if isinstance(node, Mapping):
        if node.get(LIVE) == "eventi":
            return {**event_parameter()["schema"], LIVE: "eventi"}
        if node.get(LIVE) == "corpi":
            return {**event_body()["content"]["application/json"]["schema"], LIVE: "corpi"}
        if node.get(LIVE) == "tipi":
            return {**node, "enum": sorted(LATEST)}
        return {key: _live(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_live(item) for item in node]
    return node


# ---- the step events: their bodies depend on the machine, so the service parses them -----------

FIELD_TYPES = {
    "date": {"type": "string", "format": "date", "description": "AAAA-MM-GG (o gg/mm/aaaa)"},
    "text": {"type": "string", "maxLength": MAX_TEXT},
    "act_number": {
        "type": "string",
        "pattern": r"^\s*\d{1,7}\s*(/\s*\d{4})?\s*$",
        "description": "numero, eventualmente con l'anno (43/2025)",
    },
    "bool": {"type": "boolean"},
    "document": {
        "type": "integer",
        "minimum": 1,
        "maximum": INT_MAX,
        "description": "id di un documento dell'atto",
    },
    "documents": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": INT_MAX},
        "description": "id di documenti dell'atto",
    },
}


def event_body(definitions: Iterable[Any] | None = None) -> dict[str, Any]:
    """The requestBody of an event: one schema per event of the machines (`version` plus the
    step's own fields, nothing else), as workflow.engine.stepdata parses it."""
    variants = {}
    live = definitions is None
    for definition in _procedure_definitions() if live else definitions:
        for step in definition.steps:
            properties = {"version": {"type": "integer", "description": "versione letta"}}
            properties |= {f.name: {**FIELD_TYPES[f.type], "title": f.label} for f in step.fields}
            variants[f"{definition.kind}.{step.event}"] = {
                "title": f"{definition.kind}.{step.event}",
                "type": "object",
                "required": ["version"] + [f.name for f in step.fields if f.required],
                "properties": properties,
                "additionalProperties": False,
            }
    # anyOf: two kinds may have an event of the same name and the same fields.
    schema: dict[str, Any] = {"anyOf": list(variants.values())}
    if live:
        schema[LIVE] = "corpi"
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _procedure_definitions() -> list[Any]:
    """The procedures' definitions now: each kind's file version and those in use."""
    return [*LATEST.values(), *(d for d in DEFINITIONS.values() if d not in LATEST.values())]


def event_parameter(definitions: Iterable[Any] | None = None) -> dict[str, Any]:
    """The `event` path parameter: the events of the machines."""
    found = _procedure_definitions() if definitions is None else definitions
    events = sorted({s.event for d in found for s in d.steps})
    schema: dict[str, Any] = {"type": "string", "enum": events}
    if definitions is None:
        schema[LIVE] = "eventi"
    return {"in": "path", "name": "event", "required": True, "schema": schema}
