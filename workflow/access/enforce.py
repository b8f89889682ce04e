"""Route rights, enforced before any view runs, from the one table in workflow/access/rights.py
(with what `rights.extend` granted on the app, if anything)."""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

from workflow.access import operations as users
from workflow.access import rights
from workflow.access.authorize import acting_role
from workflow.core.errors import NotAllowed, Unauthorized
from workflow.core.web import clock
from workflow.extensions import login_manager


def bearer_user():
    """The API caller, from `Authorization: Bearer <token>`; raises Unauthorized (401)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = users.use_token(token.strip(), clock=clock())
    if user is None:
        raise Unauthorized("Token API mancante, non valido o revocato (Authorization: Bearer …).")
    return user


def register(app: Flask) -> None:
    @app.before_request
    def enforce_route_rights() -> Response | None:
        if request.endpoint is None:
            return None  # no such route: Flask answers 404
        rule = rights.route(request.endpoint, app)
        if rule is None:
            raise NotAllowed("Pagina non prevista dalla tabella dei diritti.")
        if rule.public:
            return None
        if rights.is_api(request.blueprint, app):
            g.api_user = user = bearer_user()
        elif not current_user.is_authenticated:
            return login_manager.unauthorized()
        else:
            user = current_user
        acting_role(user, rule.roles, rule.what, clock=clock())
        return None
