"""What the users domain contributes to the app: accounts, logins and tokens."""

from __future__ import annotations

import hmac

from flask import Flask

from fundtrack.core import auth
from fundtrack.core.api import register_api
from fundtrack.core.i18n import _l
from fundtrack.extensions import db, login_manager
from fundtrack.users import admin_views, api, views
from fundtrack.users.models import User
from fundtrack.users.operations import user_for_token


def init_app(app: Flask) -> None:
    register_api(app, api.blp, api.users_blp)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    auth.init_app(app, token_loader=user_for_token)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = _l("请先登录")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)


def load_user(session_id: str):
    """Flask-Login's loader: ``"<id>.<password fingerprint>"`` (``User.get_id``). A session
    made before the user's password changed, or before the account was disabled, no longer
    loads anyone."""
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(fingerprint, user.password_fingerprint) else None
