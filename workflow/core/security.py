"""Headers every response carries, and the session's lifetime."""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session
from flask_login import current_user, logout_user

from workflow.core.web import clock

# Every asset is served by the app itself: no inline script or style, no CDN, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def register(app: Flask) -> None:
    @app.before_request
    def end_expired_session() -> None:
        """End the session after PERMANENT_SESSION_LIFETIME without a request (idle) and in
        any case SESSION_MAX_SECONDS after login (absolute), both measured on the app's clock,
        the one every service reads (a test's FixedClock governs them). The cookie's own expiry,
        set by Flask from the real time, stays as a second limit in the browser."""
        started = session.get("login_at")
        if started is None or not current_user.is_authenticated:
            return
        now = clock().now().timestamp()
        idle = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        too_old = now - float(started) > current_app.config["SESSION_MAX_SECONDS"]
        if too_old or now - float(session.get("seen_at", started)) > idle:
            logout_user()
            session.clear()
            return
        session["seen_at"] = now

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
