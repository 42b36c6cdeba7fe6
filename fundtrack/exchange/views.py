"""Pages: export downloads (the same tables as the API), Excel import, bank payment files."""

from __future__ import annotations

import marshmallow as ma
from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from fundtrack.audit.history import KIND_RULE, model_for
from fundtrack.audit.permissions import can_view_record
from fundtrack.core.web_helpers import get_visible_fund_or_404
from fundtrack.exchange.api import parse_as_of, split_format
from fundtrack.exchange.exports import send_export
from fundtrack.exchange.schemas import (
    AllocationsExportQuerySchema,
    DisbursementsExportQuerySchema,
)
from fundtrack.extensions import db

bp = Blueprint("exchange_pages", __name__)

FORMAT_RULE = "<any(xlsx, csv):fmt>"


def _filters(schema: ma.Schema) -> dict:
    """The list's filters from the query string, validated as the API validates them."""
    args = {k: v for k, v in request.args.items() if v != ""}
    try:
        return split_format(schema.load(args))[1]
    except ma.ValidationError:
        abort(400)


@bp.route(f"/exports/funds/<int:fund_id>/balances.{FORMAT_RULE}")
@login_required
def export_balances(fund_id: int, fmt: str):
    fund = get_visible_fund_or_404(fund_id)
    as_of = parse_as_of((request.args.get("as_of") or "").strip())
    return send_export(db.session, current_user, "balances", fmt, fund=fund, as_of=as_of)


@bp.route(f"/exports/allocations.{FORMAT_RULE}")
@login_required
def export_allocations(fmt: str):
    filters = _filters(AllocationsExportQuerySchema())
    return send_export(db.session, current_user, "allocations", fmt, filters=filters)


@bp.route(f"/exports/disbursements.{FORMAT_RULE}")
@login_required
def export_disbursements(fmt: str):
    filters = _filters(DisbursementsExportQuerySchema())
    return send_export(db.session, current_user, "disbursements", fmt, filters=filters)


@bp.route(f"/exports/history/{KIND_RULE}/<int:record_id>.{FORMAT_RULE}")
@login_required
def export_history(kind: str, record_id: int, fmt: str):
    record = db.session.get(model_for(kind), record_id)
    if not can_view_record(db.session, current_user, kind, record):
        abort(404)
    return send_export(db.session, current_user, "history", fmt, kind=kind, record_id=record_id)
