"""``/api/v1/history/{kind}/{id}``: every version of a record."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.audit.history import (
    KIND_RULE,
    api_name,
    api_value,
    base_column,
    model_for,
    record_history,
    record_state_as_of,
)
from fundtrack.audit.operations import access_log_query
from fundtrack.audit.packet import send_audit_packet
from fundtrack.audit.permissions import (
    can_export_audit_packet,
    can_read_access_log,
    can_view_record,
)
from fundtrack.audit.reports import send_history_report
from fundtrack.audit.schemas import (
    AccessLogListSchema,
    AccessLogQuerySchema,
    HistoryListSchema,
    StateQuerySchema,
    StateSchema,
)
from fundtrack.core.api import PDF_RESPONSE, file_response, paginated
from fundtrack.core.auth import token_required
from fundtrack.core.errors import Forbidden, NotFound, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.timeparse import parse_moment
from fundtrack.extensions import db
from fundtrack.funds.permissions import get_visible_fund

blp = Blueprint("history", __name__, url_prefix="/api/v1/history", description="变更历史")


@blp.route(f"/{KIND_RULE}/<int:record_id>")
class History(MethodView):
    @blp.response(200, HistoryListSchema)
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, kind, record_id):
        """One item per version, oldest first: who (with the role held then), when, from
        which address, why, and what changed."""
        model = model_for(kind)
        record = db.session.get(model, record_id)
        if not can_view_record(db.session, g.user, kind, record):
            raise NotFound()
        items = []
        for entry in record_history(db.session, model, record_id):
            items.append(
                {
                    "transaction_id": entry.transaction_id,
                    "issued_at": entry.issued_at.isoformat() + "Z",
                    "user": entry.user,
                    "remote_addr": entry.remote_addr,
                    "action": entry.action,
                    "reason": entry.reason,
                    "operation": entry.operation,
                    "changes": {
                        api_name(column): [
                            api_value(base_column(column), old),
                            api_value(base_column(column), new),
                        ]
                        for column, (old, new) in entry.changes.items()
                    },
                }
            )
        return {"items": items}


@blp.route(f"/{KIND_RULE}/<int:record_id>/report.pdf")
class HistoryReport(MethodView):
    @blp.doc(responses=PDF_RESPONSE)
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @blp.alt_response(503, description="服务器未安装中文字体", schema="Error")
    @token_required
    def get(self, kind, record_id):
        """The record's history as a PDF: current state, every change with who, when, from
        where and why, and each change's seal in the audit hash chain."""
        record = db.session.get(model_for(kind), record_id)
        if not can_view_record(db.session, g.user, kind, record):
            raise NotFound()
        return send_history_report(db.session, kind, record, g.user)


@blp.route(f"/{KIND_RULE}/<int:record_id>/state")
class HistoryState(MethodView):
    @blp.arguments(StateQuerySchema, location="query")
    @blp.response(200, StateSchema)
    @blp.alt_response(404, description="该时点记录不存在，或不在本地区范围内", schema="Error")
    @token_required
    def get(self, query, kind, record_id):
        """The record as it stood at ``as_of``, rebuilt from its versions."""
        model = model_for(kind)
        record = db.session.get(model, record_id)
        if not can_view_record(db.session, g.user, kind, record):
            raise NotFound()
        try:
            moment = parse_moment(query["as_of"])
        except (ValueError, OverflowError):  # overflow: beyond year 1–9999 once in UTC
            raise ValidationFailed(
                _("时点格式不正确"), fields={"as_of": [_("须为 ISO 日期或日期时间")]}
            ) from None
        found = record_state_as_of(db.session, model, record_id, moment)
        if found is None:
            raise NotFound(_("该时点记录尚不存在"))
        transaction_id, state = found
        return {
            "as_of": moment.isoformat() + "Z",
            "transaction_id": transaction_id,
            "state": {api_name(c): api_value(c, v) for c, v in state.items()},
        }


@blp.route("/packets/funds/<int:fund_id>")
class AuditPacket(MethodView):
    @blp.doc(
        responses=file_response(
            "ZIP: summary.pdf, versions/*.csv, transactions.csv, chain_head.txt", "application/zip"
        )
    )
    @blp.alt_response(403, description="仅审计和管理员", schema="Error")
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, fund_id):
        """The audit packet of a fund, for auditors; the export is recorded in the access log."""
        fund = get_visible_fund(fund_id)
        if not can_export_audit_packet(g.user):
            raise Forbidden(_("只有审计人员和系统管理员可以导出审计资料包"))
        return send_audit_packet(fund, g.user)


access_blp = Blueprint(
    "access_log", __name__, url_prefix="/api/v1/access-log", description="访问日志"
)


@access_blp.route("")
class AccessLogList(MethodView):
    @access_blp.arguments(AccessLogQuerySchema, location="query")
    @access_blp.response(200, AccessLogListSchema)
    @access_blp.alt_response(403, description="仅审计和管理员可读", schema="Error")
    @token_required
    def get(self, query):
        """Logins, failed logins, tokens, exports and reveals, newest first."""
        if not can_read_access_log(g.user):
            raise Forbidden(_("只有审计人员和系统管理员可以查看访问日志"))
        return paginated(db.session, access_log_query(query), query)
