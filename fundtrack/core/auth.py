"""Who is calling: bearer tokens for the API, the Flask-Login session for pages.

Both paths end in ``authenticated(user)``, which caches the actor for the audit trail.
"""

from __future__ import annotations

import functools

from flask import g
from flask_login import current_user
from flask_smorest import abort

from fundtrack.core.net import client_address
from fundtrack.core.versioning import AuditActor, set_actor


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
    from fundtrack.extensions import db
    from fundtrack.users.operations import user_for_token

    header = _bearer_token()
    user = user_for_token(db.session, header) if header else None
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
    from flask import request

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
    from flask import current_app, request

    if not request.path.startswith("/api/") or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else view
    if getattr(method, "_token_required", False):
        _authenticate_bearer()
