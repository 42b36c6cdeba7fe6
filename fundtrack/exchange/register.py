"""What the exchange domain contributes to the app: Excel imports and exports, bank files,
and their permission functions for templates."""

from __future__ import annotations

from flask import Flask

from fundtrack.core.api import register_api
from fundtrack.core.web import template_permissions
from fundtrack.exchange import api, permissions, views


def init_app(app: Flask) -> None:
    register_api(app, api.blp, api.imports_blp, api.bank_blp)
    app.register_blueprint(views.bp)
    template_permissions(
        app,
        {"can_export_bank_file": permissions.can_export_bank_file},
        plain={"can_import": permissions.can_import},
    )
