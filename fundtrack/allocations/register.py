"""What the allocations domain contributes to the app: allocations and recalls, and their
permission functions for templates."""

from __future__ import annotations

from flask import Flask

from fundtrack.allocations import api, operations, permissions, views
from fundtrack.core.api import register_api
from fundtrack.core.db_setup import listen_on_sessions
from fundtrack.core.web import template_permissions


def init_app(app: Flask) -> None:
    # the evaluation gate under every operation that makes a region receive money
    listen_on_sessions(("before_flush", operations.refuse_ungated))
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
