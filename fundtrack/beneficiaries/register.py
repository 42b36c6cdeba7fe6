"""What the register contributes to the app: its API, pages and template permissions."""

from __future__ import annotations

from flask import Flask

from fundtrack.beneficiaries import api, permissions, views
from fundtrack.core.api import register_api
from fundtrack.core.web import template_permissions


def init_app(app: Flask) -> None:
    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    template_permissions(
        app,
        {
            "can_register_beneficiary": permissions.can_register_beneficiary,
            "can_review_beneficiary": permissions.can_review_beneficiary,
            "can_propose_exit": permissions.can_propose_exit,
            "can_end_publicity": permissions.can_end_publicity,
            "can_withdraw_publicity": permissions.can_withdraw_publicity,
            "can_record_objection": permissions.can_record_objection,
            "can_decide_objection": permissions.can_decide_objection,
        },
    )
