"""``/api/v1/history/{kind}/{id}``: every version of a record; ``/api/v1/audit``: the signed
heads of the Merkle tree over the history, their keys and proofs, and checking a witness."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.audit import tree, witness
from fundtrack.audit.history import (
    KIND_RULE,
    api_name,
    api_value,
    base_column,
    model_for,
    record_history,
    record_state_as_of,
)
from fundtrack.audit.models import AuditSeal
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
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    HistoryListSchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    PublicKeyListSchema,
    SignedHeadSchema,
    StateQuerySchema,
    StateSchema,
    WitnessAnswerSchema,
    WitnessCheckSchema,
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
            "ZIP: summary.pdf, versions/*.csv, transactions.csv, signed_head.json",
            "application/zip",
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


witness_blp = Blueprint(
    "audit_witness", __name__, url_prefix="/api/v1/audit", description="审计见证：签名树头与证明"
)


def _tree_size_within(size: int | None, field: str) -> int:
    """``size`` (today's when None), refused when the tree is not that large yet."""
    today = tree.tree_size(db.session)
    if size is None:
        return today
    if size > today:
        raise ValidationFailed(
            _("审计树尚无这么多交易"), fields={field: [_("不能大于 %(n)s", n=today)]}
        )
    return size


@witness_blp.route("/keys")
class AuditKeys(MethodView):
    @witness_blp.response(200, PublicKeyListSchema)
    @token_required
    def get(self):
        """The public keys that verify signed heads, by id: the current one first, then the
        retired ones still trusted. Give one to whoever runs the offline verifier."""
        keys = witness.keys()
        current = keys.signing.public.key_id
        items = sorted(keys.trusted.values(), key=lambda k: k.key_id != current)
        return {
            "items": [
                {
                    "key_id": key.key_id,
                    "algorithm": key.algorithm,
                    "public_key": key.text(),
                    "current": key.key_id == current,
                }
                for key in items
            ]
        }


@witness_blp.route("/head")
class AuditHead(MethodView):
    @witness_blp.response(200, SignedHeadSchema)
    @token_required
    def get(self):
        """Today's signed head: keep it outside the system; a later verify proves against it."""
        return witness.signed_head(db.session)


@witness_blp.route("/proofs/inclusion")
class InclusionProof(MethodView):
    @witness_blp.arguments(InclusionQuerySchema, location="query")
    @witness_blp.response(200, InclusionProofSchema)
    @token_required
    def get(self, query):
        """The inclusion proof of the sealed transaction at ``position`` in the tree of
        ``size`` (RFC 9162, O(log n) hashes)."""
        size = _tree_size_within(query.get("size"), "size")
        if query["position"] > size:
            raise ValidationFailed(
                _("位置超出树的大小"), fields={"position": [_("不能大于 %(n)s", n=size)]}
            )
        root, path = tree.inclusion(db.session, query["position"], size)
        link = db.session.get(AuditSeal, query["position"]).hash
        return {
            "position": query["position"],
            "size": size,
            "root": root.hex(),
            "link": link,
            "path": [node.hex() for node in path],
        }


@witness_blp.route("/proofs/consistency")
class ConsistencyProof(MethodView):
    @witness_blp.arguments(ConsistencyQuerySchema, location="query")
    @witness_blp.response(200, ConsistencyProofSchema)
    @token_required
    def get(self, query):
        """The proof that the tree of ``first`` is a prefix of the tree of ``second``."""
        second = _tree_size_within(query.get("second"), "second")
        if query["first"] > second:
            raise ValidationFailed(
                _("first 不能大于 second"), fields={"first": [_("不能大于 %(n)s", n=second)]}
            )
        first_root, second_root, proof = tree.consistency(db.session, query["first"], second)
        return {
            "first": query["first"],
            "second": second,
            "first_root": first_root.hex(),
            "second_root": second_root.hex(),
            "proof": [node.hex() for node in proof],
        }


@witness_blp.route("/checks")
class WitnessCheck(MethodView):
    @witness_blp.arguments(WitnessCheckSchema)
    @witness_blp.response(200, WitnessAnswerSchema)
    @token_required
    def post(self, body):
        """Check a signed head or a document's proof (``proof.json`` inside a notice PDF):
        signature, consistency with today's history, and whether the record changed since.
        Writes nothing."""
        submitted = body.get("proof") or body.get("head")
        if not submitted:
            raise ValidationFailed(
                _("请提供签名树头或文书证明"), fields={"head": [_("head 与 proof 须有其一")]}
            )
        return witness.check_document(db.session, submitted, witness.keys().trusted)
