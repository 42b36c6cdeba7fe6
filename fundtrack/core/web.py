"""Page helpers: template filters, the amount unit, the way domains give templates their
permission functions, security headers."""

from __future__ import annotations

from flask import Flask, has_request_context, session
from flask_login import current_user

from fundtrack.core.i18n import _l
from fundtrack.core.idnumber import mask, mask_account
from fundtrack.core.money import format_yuan
from fundtrack.extensions import db


def template_permissions(app: Flask, checks: dict, plain: dict | None = None) -> None:
    """Give templates a domain's ``can_<action>(obj)`` functions: the same ones its views and
    API call. ``checks`` take ``(session, user, obj)`` and are bound to the logged-in user
    (False for anonymous visitors); ``plain`` ones take the user only."""
    bound = {name: _bind(check) for name, check in checks.items()}
    bound.update({name: _bind_user(check) for name, check in (plain or {}).items()})
    app.context_processor(lambda: bound)


def _bind(check):
    return lambda obj: bool(current_user.is_authenticated and check(db.session, current_user, obj))


def _bind_user(check):
    return lambda: bool(current_user.is_authenticated and check(current_user))


#: amount units of the overview tables: 元 (exact) or 万元 (how budgets are talked about);
#: lazy labels, in the reader's language
AMOUNT_UNITS = {"yuan": _l("元"), "wan": _l("万元")}


def amount_unit() -> str:
    """The unit of the overview tables chosen by the user: ``yuan`` or ``wan``."""
    unit = session.get("amount_unit") if has_request_context() else None
    return unit if unit in AMOUNT_UNITS else "yuan"


def _amount_unit_globals() -> dict:
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
    app.jinja_env.filters["mask_account"] = mask_account

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
