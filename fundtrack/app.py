"""The application factory: core's pieces, then each domain's contribution (its blueprints,
template helpers and hooks, from ``<domain>/register.py``), then the commands. Arrows point
from here to the domains and from the domains to ``core/``; ``core/`` imports no domain."""

from __future__ import annotations

import os

from flask import Flask

# every model, so that the mappers and continuum's version classes are all declared
import fundtrack.models  # noqa: F401
from fundtrack.allocations import register as allocations
from fundtrack.audit import register as audit
from fundtrack.beneficiaries import register as beneficiaries
from fundtrack.cli import register_commands
from fundtrack.config import (
    PROJECT_ROOT,
    DefaultConfig,
    default_database_url,
    normalise_database_url,
    resolve_secret_key,
)
from fundtrack.core import controls, db_setup, fragments, health, i18n, requests, web
from fundtrack.core.api import API_EXTENSION, FundtrackApi, register_error_handlers
from fundtrack.core.schemas import Money
from fundtrack.disbursements import register as disbursements
from fundtrack.evaluations import register as evaluations
from fundtrack.exchange import register as exchange
from fundtrack.extensions import csrf, db, limiter, migrate
from fundtrack.funds import register as funds
from fundtrack.home import register as home
from fundtrack.ledger import register as ledger
from fundtrack.regions import register as regions
from fundtrack.users import register as users

#: in the order of the API document and of the navigation
DOMAINS = (
    users,
    regions,
    home,
    ledger,
    funds,
    allocations,
    beneficiaries,
    disbursements,
    evaluations,
    audit,
    exchange,
)


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides everything else (tests use it)."""
    app = requests.FundtrackFlask(
        "fundtrack",
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

    _init_core(app)
    for domain in DOMAINS:
        domain.init_app(app)
    register_commands(app)
    return app


def _init_core(app: Flask) -> None:
    db_setup.install_engine_hooks()
    controls.install()
    requests.install()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    limiter.init_app(app)
    api = FundtrackApi(app, spec_kwargs={"info": {"description": "fundtrack JSON API"}})
    api.register_field(Money, "string", None)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/tokens"}
    )
    app.extensions[API_EXTENSION] = api
    register_error_handlers(app)
    app.register_blueprint(health.bp)
    web.init_app(app)
    fragments.init_app(app)
