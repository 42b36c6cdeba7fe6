"""``/api/v1/exports``: balances, allocations, payments and histories as ``.xlsx`` or CSV."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.audit.history import KIND_RULE, model_for
from fundtrack.audit.permissions import can_view_record
from fundtrack.core.api import file_response
from fundtrack.core.auth import token_required
from fundtrack.core.errors import NotFound, ValidationFailed
from fundtrack.core.timeparse import parse_moment
from fundtrack.exchange.exports import send_export
from fundtrack.exchange.schemas import (
    AllocationsExportQuerySchema,
    BalancesExportQuerySchema,
    DisbursementsExportQuerySchema,
    FormatQuerySchema,
)
from fundtrack.exchange.tables import CSV_MIMETYPE, XLSX_MIMETYPE
from fundtrack.extensions import db
from fundtrack.funds.api import get_visible_fund

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="导出")

SPREADSHEET_RESPONSE = file_response(
    "工作簿（xlsx）或 CSV（UTF-8，带 BOM）", XLSX_MIMETYPE, CSV_MIMETYPE.split(";")[0]
)


def split_format(query: dict) -> tuple[str, dict]:
    """(format, the remaining filters)."""
    filters = dict(query)
    return filters.pop("format"), filters


def parse_as_of(text: str | None):
    if not text:
        return None
    try:
        return parse_moment(text)
    except ValueError:
        message = "时点格式不正确，请填写日期（如 2017-12-31）或日期时间"
        raise ValidationFailed(message, fields={"as_of": [message]}) from None


@blp.route("/balances")
class BalancesExport(MethodView):
    @blp.arguments(BalancesExportQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @blp.alt_response(422, description="参数不正确", schema="Error")
    @token_required
    def get(self, query):
        """A fund's balance at every region of the caller's subtree, now or ``as_of``."""
        fund = get_visible_fund(query["fund_id"])
        as_of = parse_as_of(query.get("as_of"))
        return send_export(db.session, g.user, "balances", query["format"], fund=fund, as_of=as_of)


@blp.route("/allocations")
class AllocationsExport(MethodView):
    @blp.arguments(AllocationsExportQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @token_required
    def get(self, query):
        """The allocations of the caller's subtree, with the filters of the list."""
        fmt, filters = split_format(query)
        return send_export(db.session, g.user, "allocations", fmt, filters=filters)


@blp.route("/disbursements")
class DisbursementsExport(MethodView):
    @blp.arguments(DisbursementsExportQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @token_required
    def get(self, query):
        """The payments of the caller's subtree, with the filters of the list; ID numbers
        masked (the bank file is the only place they appear in full)."""
        fmt, filters = split_format(query)
        return send_export(db.session, g.user, "disbursements", fmt, filters=filters)


@blp.route(f"/history/{KIND_RULE}/<int:record_id>")
class HistoryExport(MethodView):
    @blp.arguments(FormatQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, query, kind, record_id):
        """A record's history, one line per changed field."""
        record = db.session.get(model_for(kind), record_id)
        if not can_view_record(db.session, g.user, kind, record):
            raise NotFound()
        return send_export(
            db.session, g.user, "history", query["format"], kind=kind, record_id=record_id
        )
