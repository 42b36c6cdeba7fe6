"""What the allocations domain contributes to the app: allocations and recalls, and their
permission functions for templates."""

from __future__ import annotations

from flask import Flask

from fundtrack.allocations import api, permissions, views
from fundtrack.core.api import register_api
from fundtrack.core.web import template_permissions


def init_app(app: Flask) -> None:
    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    template_permissions(
        app,
        {
            "can_create_allocation": permissions.can_create_allocation,
            "can_approve_allocation": permissions.can_approve_allocation,
            "can_override_evaluation_gate": permissions.can_override_evaluation_gate,
            "can_cancel_allocation": permissions.can_cancel_allocation,
            "can_recall_allocation": permissions.can_recall_allocation,
        },
    )
