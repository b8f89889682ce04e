"""The one place where errors become HTTP answers: JSON under /api/, an Italian page elsewhere."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow.core.errors import DomainError
from workflow.core.forms import too_large_page
from workflow.extensions import db

MESSAGES = {
    400: "Richiesta non valida.",
    401: "Accesso richiesto.",
    403: "Non sei autorizzato a questa operazione.",
    404: "Pagina o oggetto non trovato.",
    405: "Metodo non consentito per questo indirizzo.",
    409: "L'operazione è in conflitto con lo stato attuale.",
    413: "Il file o la richiesta supera la dimensione massima consentita.",
    422: "I dati non soddisfano le regole del procedimento.",
    429: "Troppe richieste: riprova più tardi.",
    500: "Errore interno: l'operazione non è stata registrata. Riprova o avvisa l'assistenza.",
}


def _answer(
    status: int, message: str, headers: dict[str, str] | None = None
) -> tuple[object, int, dict[str, str]]:
    if request.path.startswith("/api/"):
        return {"error": {"status": status, "message": message}}, status, headers or {}
    page = render_template("errors/error.html", status=status, message=message)
    return page, status, headers or {}


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> tuple[object, int, dict[str, str]]:
        return _answer(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[object, int, dict[str, str]]:
        return _answer(400, "Modulo scaduto o non valido (CSRF): ricarica la pagina e riprova.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[object, int, dict[str, str]]:
        status = exc.code or 500
        if status == 413 and not request.path.startswith("/api/"):
            # A body over MAX_CONTENT_LENGTH: the upload's own page with the message beside
            # the file, when the view registered one (core.forms.on_too_large).
            page = too_large_page(request.endpoint)
            if page is not None:
                return page[0], page[1], {}
        # A 405 names the methods the URL takes (RFC 9110 §15.5.6): keep Werkzeug's Allow.
        headers = {k: v for k, v in exc.get_headers() if k == "Allow"}
        return _answer(status, MESSAGES.get(status, exc.description or MESSAGES[500]), headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[object, int, dict[str, str]]:
        # Never a stack trace or SQL to the user; the log keeps them for us.
        db.session.rollback()
        current_app.logger.exception(
            "Errore non gestito su %s (request_id=%s)", request.path, g.get("request_id", "-")
        )
        return _answer(500, MESSAGES[500])
