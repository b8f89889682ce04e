"""What every blueprint reads and writes the same way: the app's clock, the API caller, the JSON
body, the `version` a client read last, ISO 8601 dates, a typed date and time, a stored PDF."""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Response, current_app, g, request, url_for

from workflow.core.clock import ROME, Clock, as_utc
from workflow.core.errors import BadRequest
from workflow.core.inputs import check_date

if TYPE_CHECKING:  # access and engine build on core: the types only, no import at run time
    from workflow.access.models import User


def clock() -> Clock:
    """The app's clock (a test may inject a frozen one)."""
    return current_app.config["CLOCK"]


def caller() -> User:
    """The user the API request's bearer token names (set by workflow.access.enforce before any
    /api/ view runs; a request without a valid token never reaches one)."""
    return g.api_user


def json_body() -> dict[str, Any]:
    """The request's JSON object. Raises BadRequest when the body is not one (or not JSON)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Il corpo della richiesta deve essere un oggetto JSON.")
    return body


def version(raw: Any, missing: str, *, text: bool = False) -> int:
    """The version of the object the client read last (the optimistic lock): an integer, or with
    `text` also its ASCII digits as a string (a form's fields are text). Raises BadRequest with
    the `missing` message otherwise (absent, a boolean, a float, other text)."""
    if text and isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise BadRequest(missing)
    return raw


def body_version(body: Mapping[str, Any], of: str, *, text: bool = False) -> int:
    """The `version` field of a JSON body (or of a multipart form, with `text`); `of` names the
    object in the message: "del procedimento", "dell'atto". Raises BadRequest."""
    if body.get("version") is None:
        message = f"Manca «version» (intero): la versione {of} letta per ultima."
    else:
        message = f"«version» deve essere un intero: la versione {of} letta per ultima."
    return version(body.get("version"), message, text=text)


def form_version(missing: str) -> int:
    """The hidden `version` field of an HTML form. Raises BadRequest with `missing`."""
    return version(request.form.get("version", ""), missing, text=True)


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of a page as the public knows it: PUBLIC_BASE_URL and the route's
    path, never the request's Host header (a feed built from a forged Host would hand every
    reader, through a shared cache, links to another site)."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **values)


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 as the API writes it: a date as YYYY-MM-DD, an instant in UTC with its offset
    (SQLite hands stored instants back naive: they are UTC), None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value.isoformat()


def local_datetime(raw: str, label: str) -> datetime:
    """A date and time typed by the office (<input type=datetime-local>, YYYY-MM-DDTHH:MM), read
    in Europe/Rome unless it carries its own offset. Raises BadRequest naming `label`."""
    try:
        local = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise BadRequest(f"{label} non valide (AAAA-MM-GGTHH:MM).") from exc
    check_date(local.date(), label)
    return local.replace(tzinfo=ROME) if local.tzinfo is None else local


# What an ASCII `filename=` cannot carry inside its quotes (RFC 6266 / RFC 9110 quoted-string).
_NOT_IN_QUOTED_NAME = re.compile(r'[^\x20-\x7e]|["\\]')


def attachment(name: str) -> str:
    """A Content-Disposition value for a download named `name` (RFC 6266 section 4.3): an ASCII
    `filename=` first, for clients that read only it (`curl -OJ`), accents dropped ("città" →
    "citta") and anything else unquotable made "_"; then `filename*=` with the exact UTF-8 name,
    which browsers prefer."""
    decomposed = unicodedata.normalize("NFKD", name)
    unaccented = "".join(c for c in decomposed if not unicodedata.combining(c))
    fallback = _NOT_IN_QUOTED_NAME.sub("_", unaccented).strip() or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_pdf(content: bytes, name: str, sha256: bytes) -> Response:
    """A stored PDF as a download under its original name (see `attachment`), with its
    fingerprint in the headers: RFC 9530 Repr-Digest (base64, as the interchange schema writes
    it) and X-Impronta-SHA256 (hex, as the Albo shows it)."""
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = attachment(name)
    response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(sha256).decode('ascii')}:"
    response.headers["X-Impronta-SHA256"] = sha256.hex()
    return response
