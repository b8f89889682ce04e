"""Headers every response carries, and the session's lifetime."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, current_app, request, session
from flask_login import current_user, logout_user

# Every asset is served by the app itself: no inline script or style, no CDN, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def register(app: Flask) -> None:
    @app.before_request
    def end_expired_session() -> None:
        """Idle expiry is the cookie's lifetime; this adds the absolute limit since login."""
        started = session.get("login_at")
        if started is None or not current_user.is_authenticated:
            return
        age = datetime.now(UTC).timestamp() - float(started)
        if age > current_app.config["SESSION_MAX_SECONDS"]:
            logout_user()
            session.clear()

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if current_app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith("/static/") and "Cache-Control" not in headers:
            # Staff pages and API answers hold data that must not linger in shared caches.
            headers["Cache-Control"] = "no-store"
        return response
