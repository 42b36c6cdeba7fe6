"""Small helpers for page views."""

from __future__ import annotations

from fundtrack.core.access import get_visible


def get_visible_fund_or_404(fund_id: int):
    from fundtrack.funds.models import Fund
    from fundtrack.funds.permissions import can_view_fund

    return get_visible(Fund, fund_id, can_view_fund)


def request_page(per_page: int) -> dict:
    """``page`` (from 1) of the current request's query string, for ``core.api.paginated``."""
    from flask import request

    return {"page": max(request.args.get("page", 1, type=int), 1), "per_page": per_page}
