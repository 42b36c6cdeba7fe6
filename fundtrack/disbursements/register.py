"""What the disbursements domain contributes to the app: payments, reversals and
beneficiaries, and their permission functions for templates."""

from __future__ import annotations

from flask import Flask

from fundtrack.core.api import register_api
from fundtrack.core.web import template_permissions
from fundtrack.disbursements import api, permissions, views


def init_app(app: Flask) -> None:
    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    template_permissions(
        app,
        {
            "can_create_disbursement": permissions.can_create_disbursement,
            "can_approve_disbursement": permissions.can_approve_disbursement,
            "can_reverse_disbursement": permissions.can_reverse_disbursement,
        },
    )
