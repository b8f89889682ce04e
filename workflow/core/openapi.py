"""The OpenAPI 3.1 description of /api/v1, generated from the app: its URL map, each view's
docstring and declared answers, and the machine definitions (events and their fields)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from workflow.core.error_pages import MESSAGES
from workflow.definitions import DEFINITIONS

F = Callable[..., Any]
FIELD_TYPES = {
    "date": {"type": "string", "format": "date", "description": "AAAA-MM-GG (o gg/mm/aaaa)"},
    "text": {"type": "string", "maxLength": 2000},
    "act_number": {
        "type": "string",
        "pattern": r"^\s*\d{1,7}\s*(/\s*\d{4})?\s*$",
        "description": "numero, eventualmente con l'anno (43/2025)",
    },
    "bool": {"type": "boolean"},
}
ERROR = {"$ref": "#/components/schemas/Error"}


def documented(*errors: int, ok: int = 200, body: dict[str, Any] | None = None) -> Callable[[F], F]:
    """Declare a view's answers (and request body) for the generated description."""

    def mark(view: F) -> F:
        view.openapi = {"errors": (401, 403, *errors), "ok": ok, "body": body}  # type: ignore[attr-defined]
        return view

    return mark


def event_body() -> dict[str, Any]:
    """One schema per event of every machine: `version` plus the step's own fields."""
    variants = {}
    for definition in DEFINITIONS.values():
        for step in definition.steps:
            properties = {"version": {"type": "integer", "description": "versione letta"}}
            properties |= {f.name: {**FIELD_TYPES[f.type], "title": f.label} for f in step.fields}
            variants[step.event] = {
                "title": f"{definition.kind}.{step.event}",
                "type": "object",
                "required": ["version"] + [f.name for f in step.fields if f.required],
                "properties": properties,
                "additionalProperties": False,
            }
    return {"oneOf": list(variants.values())}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
        if name == "event":
            events = sorted({s.event for d in DEFINITIONS.values() for s in d.steps})
            schema = {"type": "string", "enum": events}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def build(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "openapi", None)
        if declared is None:
            continue
        path, params = _path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            doc = (view.__doc__ or rule.endpoint).strip().splitlines()
            responses = {
                str(declared["ok"]): {"description": "OK", "content": {"application/json": {}}}
            }
            for status in sorted(set(declared["errors"])):
                responses[str(status)] = {
                    "description": MESSAGES.get(status, ""),
                    "content": {"application/json": {"schema": ERROR}},
                }
            operation: dict[str, Any] = {
                "operationId": rule.endpoint,
                "summary": doc[0],
                "parameters": params,
                "responses": responses,
            }
            if declared["body"] is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": declared["body"]}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "workflow — API dei procedimenti", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
    }
