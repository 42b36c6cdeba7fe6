"""Who is calling: bearer tokens for the API, the Flask-Login session for pages.

Both paths end in ``authenticated(user)``, which caches the actor for the audit trail. Which
user a token stands for is the users domain's to say: it registers its loader with
``init_app(app, token_loader)`` from the app factory (Flask-Login's ``request_loader`` idea).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_smorest import abort

from fundtrack.core.net import client_address
from fundtrack.core.versioning import AuditActor, set_actor
from fundtrack.extensions import db

TOKEN_LOADER = "fundtrack.token_loader"


def init_app(app: Flask, token_loader: Callable) -> None:
    """Authenticate API calls by bearer token and pages by the Flask-Login session, before
    each request; ``token_loader(session, token)`` answers the token's active user or None."""
    app.extensions[TOKEN_LOADER] = token_loader
    app.before_request(authenticate_api_request)
    app.before_request(load_session_user)


def authenticated(user) -> None:
    """Remember the caller for this request: ``g.user`` and the audit actor."""
    g.user = user
    set_actor(
        AuditActor(
            user_id=user.id,
            role=user.role,
            region_code=user.region_code,
            remote_addr=client_address(),
        )
    )


def _authenticate_bearer() -> None:
    header = _bearer_token()
    user = current_app.extensions[TOKEN_LOADER](db.session, header) if header else None
    if user is None:
        abort(401)
    authenticated(user)


def token_required(view):
    """API endpoints: a valid ``Authorization: Bearer <token>`` or 401.

    The check runs in ``authenticate_api_request`` before the request body is parsed, so an
    anonymous caller learns nothing from validation errors; the wrapper only repeats it when
    the view is called some other way.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("user") is None:
            _authenticate_bearer()
        return view(*args, **kwargs)

    wrapper._token_required = True
    # flask-smorest reads this to document the security requirement
    wrapper._apidoc = getattr(view, "_apidoc", {})
    wrapper._apidoc.setdefault("manual_doc", {}).setdefault("security", [{"bearerAuth": []}])
    wrapper._apidoc["manual_doc"].setdefault("responses", {})
    wrapper._apidoc["manual_doc"]["responses"]["401"] = {
        "description": "未登录或令牌无效",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return wrapper


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def load_session_user() -> None:
    """Before each page request: cache the logged-in user as the actor."""
    if g.get("user") is not None:
        # an API call already authenticated by its bearer token acts as the token's user,
        # whatever session cookie the same client also carries
        return
    if current_user and current_user.is_authenticated:
        authenticated(current_user._get_current_object())


def authenticate_api_request() -> None:
    """Before any API view (and before its arguments are parsed): authenticate the bearer
    token when the view requires one."""
    if not request.path.startswith("/api/") or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else view
    if getattr(method, "_token_required", False):
        _authenticate_bearer()
