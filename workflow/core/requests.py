"""What every request is before any view reads it: a path, query string and form values without
NUL or control characters (query strings are single-line), and a JSON body that is neither nested
past core.inputs.JSON_MAX_DEPTH nor carrying NUL. Failures answer 400 in Italian, before any
database work, so no view, query or lookup ever sees such input (PostgreSQL refuses NUL in text and
answers with an error, not an empty result)."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from workflow.core import inputs
from workflow.core.errors import BadRequest

# A query value longer than this is not a search anyone typed (the longest column is 1,000).
MAX_QUERY_VALUE = 1000


def json_depth(value: Any) -> int:
    """How deep a parsed JSON value nests (a scalar is 0, `[]` is 1), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth) for child in children)
    return deepest


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested past JSON_MAX_DEPTH: a ValueError, which Flask's
    request.get_json turns into 400 (json.loads alone would raise RecursionError, a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON troppo annidato") from exc
        if json_depth(value) > inputs.JSON_MAX_DEPTH:
            raise ValueError("JSON troppo annidato")
        return value


def _check_request() -> None:
    if inputs.SINGLE_LINE_BAD.search(request.path):
        raise BadRequest("L'indirizzo contiene un carattere di controllo.")
    for key, value in request.args.items(multi=True):
        if inputs.SINGLE_LINE_BAD.search(key + value):
            raise BadRequest(f"Il parametro «{key[:40]}» contiene un carattere di controllo.")
        if len(value) > MAX_QUERY_VALUE:
            raise BadRequest(
                f"Il parametro «{key[:40]}» è troppo lungo: al massimo {MAX_QUERY_VALUE} caratteri."
            )
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                if "\x00" in (key or "") or "\x00" in (value or ""):
                    raise BadRequest(f"Il campo «{(key or '')[:40]}» contiene un carattere nullo.")
        elif request.is_json and request.content_length:
            body = request.get_json(silent=True)
            if body is None:
                raise BadRequest(
                    "Il corpo della richiesta non è JSON valido (o è annidato oltre "
                    f"{inputs.JSON_MAX_DEPTH} livelli)."
                )
            fault = inputs.json_fault(body)
            if fault:
                raise BadRequest(f"Il corpo della richiesta contiene {fault}.")


def register(app: Flask) -> None:
    app.json = GuardedJSONProvider(app)
    app.before_request(_check_request)
