"""fundtrack: earmarked special funds traced from budget to payment."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from flask import Flask

from fundtrack.config import (
    DefaultConfig,
    default_database_url,
    normalise_database_url,
    resolve_secret_key,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides everything else (tests use it)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("FUNDTRACK_ENV"):
        app.config["ENV"] = os.environ["FUNDTRACK_ENV"]
    app.config.from_prefixed_env("FUNDTRACK")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if config:
        app.config.update(config)

    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config.get("SQLALCHEMY_DATABASE_URI") or default_database_url(app.instance_path)
    )
    app.config["SECRET_KEY"] = resolve_secret_key(app.config, app.instance_path)
    if app.config["ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True

    _init_extensions(app)
    _register_blueprints(app)

    from fundtrack.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from fundtrack.audit import operations as audit_operations
    from fundtrack.core import controls, db_setup, i18n
    from fundtrack.extensions import csrf, db, limiter, login_manager, migrate

    db_setup.install_engine_hooks()
    audit_operations.install()
    controls.install()
    db.init_app(app)
    # importing the models configures the mappers and continuum's version classes
    import fundtrack.models  # noqa: F401

    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = i18n._l("请先登录")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    from fundtrack.users.models import User

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<id>.<password fingerprint>" (User.get_id): a session made before the user's
        # password changed, or before the account was disabled, no longer loads anyone
        user_id, _, fingerprint = session_id.partition(".")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active:
            return None
        return user if hmac.compare_digest(fingerprint, user.password_fingerprint) else None


def _register_blueprints(app: Flask) -> None:
    from fundtrack.allocations import api as allocations_api
    from fundtrack.allocations import views as allocations_views
    from fundtrack.audit import api as audit_api
    from fundtrack.audit import views as audit_views
    from fundtrack.core import health, web
    from fundtrack.core.api import FundtrackApi, register_error_handlers
    from fundtrack.core.auth import authenticate_api_request, load_session_user
    from fundtrack.core.schemas import Money
    from fundtrack.disbursements import api as disbursements_api
    from fundtrack.disbursements import views as disbursements_views
    from fundtrack.evaluations import api as evaluations_api
    from fundtrack.evaluations import views as evaluations_views
    from fundtrack.exchange import api as exchange_api
    from fundtrack.exchange import views as exchange_views
    from fundtrack.funds import api as funds_api
    from fundtrack.funds import views as funds_views
    from fundtrack.regions import api as regions_api
    from fundtrack.users import admin_views as users_admin_views
    from fundtrack.users import api as users_api
    from fundtrack.users import views as users_views

    api = FundtrackApi(app, spec_kwargs={"info": {"description": "fundtrack JSON API"}})
    api.register_field(Money, "string", None)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/tokens"}
    )
    for blp in (
        users_api.blp,
        users_api.users_blp,
        regions_api.blp,
        funds_api.blp,
        allocations_api.blp,
        disbursements_api.blp,
        evaluations_api.blp,
        audit_api.blp,
        audit_api.access_blp,
        exchange_api.blp,
        exchange_api.imports_blp,
        exchange_api.bank_blp,
    ):
        api.register_blueprint(blp)
        # the API authenticates by bearer token only, so it needs no CSRF token
        app.extensions["csrf"].exempt(blp)
    app.extensions["fundtrack_api"] = api

    register_error_handlers(app)
    app.before_request(authenticate_api_request)
    app.before_request(load_session_user)
    app.register_blueprint(users_views.bp)
    app.register_blueprint(users_admin_views.bp)
    app.register_blueprint(funds_views.bp)
    app.register_blueprint(allocations_views.bp)
    app.register_blueprint(disbursements_views.bp)
    app.register_blueprint(evaluations_views.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(exchange_views.bp)
    web.init_app(app)
