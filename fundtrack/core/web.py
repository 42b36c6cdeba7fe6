"""Page helpers: template filters, permission functions for templates, security headers."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from fundtrack.core.idnumber import mask
from fundtrack.core.money import format_yuan


def _template_permissions() -> dict:
    """``can_<action>(obj)`` for templates: the same functions views and API call."""
    from fundtrack.allocations import permissions as allocations
    from fundtrack.disbursements import permissions as disbursements
    from fundtrack.exchange import permissions as exchange
    from fundtrack.extensions import db
    from fundtrack.funds import permissions as funds

    def bind(check):
        return lambda obj: bool(
            current_user.is_authenticated and check(db.session, current_user, obj)
        )

    return {
        "can_create_allocation": bind(allocations.can_create_allocation),
        "can_approve_allocation": bind(allocations.can_approve_allocation),
        "can_cancel_allocation": bind(allocations.can_cancel_allocation),
        "can_recall_allocation": bind(allocations.can_recall_allocation),
        "can_create_disbursement": bind(disbursements.can_create_disbursement),
        "can_approve_disbursement": bind(disbursements.can_approve_disbursement),
        "can_reverse_disbursement": bind(disbursements.can_reverse_disbursement),
        "can_export_bank_file": bind(exchange.can_export_bank_file),
        "can_approve_fund": bind(funds.can_approve_fund),
        "can_cancel_fund": bind(funds.can_cancel_fund),
        "can_propose_year_end": bind(funds.can_propose_year_end),
        "can_decide_year_end": bind(funds.can_decide_year_end),
        "can_import": lambda: bool(
            current_user.is_authenticated and exchange.can_import(current_user)
        ),
    }


def amount_unit() -> str:
    """The unit of the overview tables chosen by the user: ``yuan`` or ``wan``."""
    from flask import has_request_context, session

    unit = session.get("amount_unit") if has_request_context() else None
    return unit if unit in ("yuan", "wan") else "yuan"


def _amount_unit_globals() -> dict:
    from fundtrack.users.views import AMOUNT_UNITS

    unit = amount_unit()
    return {
        "amount_unit": unit,
        "amount_unit_label": AMOUNT_UNITS[unit],
        "amount_units": AMOUNT_UNITS,
    }


def init_app(app: Flask) -> None:
    app.jinja_env.filters["yuan"] = format_yuan
    # overview tables: in the user's chosen unit (元 or 万元); records and forms stay in 元
    app.jinja_env.filters["amount"] = lambda fen: format_yuan(fen, amount_unit())
    app.context_processor(_amount_unit_globals)
    app.jinja_env.filters["mask_id"] = mask
    app.context_processor(_template_permissions)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
