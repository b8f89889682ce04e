"""One log line per request — method, path, status, duration, request id, user — and the request
id itself: the caller's X-Request-ID when it is a sane token (a proxy's or a client's), otherwise
a new one, echoed in the response so that a user's report can be matched with the log."""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import quote

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
# Short and made of token characters only: it goes verbatim into a log line and a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,64}")

logger = logging.getLogger("workflow.requests")


def request_id() -> str:
    """The current request's id (set before any view runs)."""
    return g.request_id


def _incoming_id() -> str:
    given = request.headers.get(HEADER, "")
    if SANE_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


# The URL prefixes whose next segment is a credential: calendar feeds, unsubscribe links.
_SECRET_SEGMENT = re.compile(r"^(/calendario/|/promemoria/disiscrizione/)[^/.]+")


def _logged_path() -> str:
    """The path, percent-encoded (so a crafted path cannot forge a second line) and with a
    secret-URL token (calendar feeds, unsubscribe links) masked: it is a credential."""
    path = request.path
    token = (request.view_args or {}).get("token")
    if isinstance(token, str) and token:
        path = path.replace(token, "***")
    # Also where no route matched (a mistyped feed address still carries the real token).
    path = _SECRET_SEGMENT.sub(r"\1***", path)
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def _user() -> str:
    """Who made the request, without a query of its own: the user Flask-Login or the API token
    already loaded, else "-" (anonymous, or nobody asked)."""
    user = getattr(g, "api_user", None) or getattr(g, "_login_user", None)
    return getattr(user, "username", None) or "-"


def register(app: Flask) -> None:
    # INFO lines reach the app's own handler (Flask's, on stderr; gunicorn's error log).
    app.logger  # noqa: B018  (creating Flask's logger attaches its handler to "workflow")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)

    @app.before_request
    def start() -> None:
        g.request_id = _incoming_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        rid = getattr(g, "request_id", None) or _incoming_id()
        response.headers[HEADER] = rid
        started = getattr(g, "request_started", None)
        elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        logger.info(
            "%s %s %s %.1fms request_id=%s user=%s",
            request.method,
            _logged_path(),
            response.status_code,
            elapsed,
            rid,
            _user(),
        )
        return response
