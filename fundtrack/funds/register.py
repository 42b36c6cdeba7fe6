"""What the funds domain contributes to the app: funds, budgets, year-end closes, the home
page, and their permission functions for templates."""

from __future__ import annotations

from flask import Flask

from fundtrack.core.api import register_api
from fundtrack.core.web import template_permissions
from fundtrack.funds import api, permissions, views


def init_app(app: Flask) -> None:
    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    template_permissions(
        app,
        {
            "can_approve_fund": permissions.can_approve_fund,
            "can_cancel_fund": permissions.can_cancel_fund,
            "can_propose_year_end": permissions.can_propose_year_end,
            "can_decide_year_end": permissions.can_decide_year_end,
        },
    )
