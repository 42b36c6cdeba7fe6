"""Small helpers for page views."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from fundtrack.core.errors import NotFound


def visible_or_404(record, can_view) -> object:
    """The record when the current user may see it; 404 otherwise (no existence leak)."""
    from fundtrack.extensions import db

    if record is None or not can_view(db.session, current_user, record):
        abort(404)
    return record


def get_visible_fund_or_404(fund_id: int):
    from fundtrack.extensions import db
    from fundtrack.funds.models import Fund
    from fundtrack.funds.permissions import can_view_fund

    fund = db.session.get(Fund, fund_id)
    if fund is None or not can_view_fund(db.session, current_user, fund):
        raise NotFound()
    return fund
