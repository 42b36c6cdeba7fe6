"""``/api/v1/allocations`` and ``/api/v1/recalls``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.allocations import operations
from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.allocations.notices import send_document_notices, send_notice
from fundtrack.allocations.permissions import can_view_allocation, can_view_recall
from fundtrack.allocations.queries import visible_allocations
from fundtrack.allocations.schemas import (
    AllocationApproveSchema,
    AllocationCreateSchema,
    AllocationListSchema,
    AllocationQuerySchema,
    AllocationSchema,
    NoticeQuerySchema,
    RecallCreateSchema,
    RecallSchema,
)
from fundtrack.core.access import get_visible
from fundtrack.core.api import FORBIDDEN, NOT_FOUND, PDF_RESPONSE, paginated
from fundtrack.core.auth import token_required
from fundtrack.core.schemas import ReasonSchema
from fundtrack.extensions import db
from fundtrack.funds.permissions import get_visible_fund
from fundtrack.regions.operations import subtree_codes

blp = Blueprint("allocations", __name__, url_prefix="/api/v1", description="资金下达与收回")

ERRORS = {"description": "业务规则或状态不允许", "schema": "Error"}


def get_visible_allocation(allocation_id: int) -> Allocation:
    return get_visible(Allocation, allocation_id, can_view_allocation)


def get_visible_recall(recall_id: int) -> AllocationRecall:
    return get_visible(AllocationRecall, recall_id, can_view_recall)


@blp.route("/allocations")
class Allocations(MethodView):
    @blp.arguments(AllocationQuerySchema, location="query")
    @blp.response(200, AllocationListSchema)
    @token_required
    def get(self, query):
        """Allocations given or received within the caller's subtree, newest first."""
        stmt = (
            visible_allocations(db.session, g.user, query)
            .options(sa.orm.selectinload(Allocation.recalls))
            .order_by(Allocation.id.desc())
        )
        return paginated(db.session, stmt, query)

    @blp.arguments(AllocationCreateSchema)
    @blp.response(201, AllocationSchema)
    @blp.alt_response(422, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(409, **ERRORS)
    @token_required
    def post(self, data):
        """Prepare a draft allocation; it reserves its money at the giving region."""
        fund = get_visible_fund(data["fund_id"])
        allocation = operations.create_allocation(
            db.session,
            g.user,
            fund=fund,
            from_region_code=data.get("from_region") or g.user.region_code,
            to_region_code=data["to_region"],
            amount_fen=data["amount"],
            document_no=data["document_no"],
            reason=data["reason"],
        )
        return allocation


@blp.route("/allocations/<int:allocation_id>")
class AllocationDetail(MethodView):
    @blp.response(200, AllocationSchema)
    @token_required
    def get(self, allocation_id):
        return get_visible_allocation(allocation_id)


@blp.route("/allocations/<int:allocation_id>/approve")
class AllocationApprove(MethodView):
    @blp.arguments(AllocationApproveSchema)
    @blp.response(200, AllocationSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, allocation_id):
        """Approve a draft (a checker over the giving region, never its maker), with the
        approver's optional opinion (``reason``), kept as the approval's reason."""
        allocation = get_visible_allocation(allocation_id)
        operations.approve_allocation(
            db.session,
            g.user,
            allocation,
            data["approved_on"],
            evaluation_override_reason=data["evaluation_override_reason"],
            reason=data["reason"],
        )
        return allocation


@blp.route("/allocations/<int:allocation_id>/cancel")
class AllocationCancel(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, AllocationSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, allocation_id):
        """Cancel a draft, with a reason; its reserved money is free again."""
        allocation = get_visible_allocation(allocation_id)
        operations.cancel_allocation(db.session, g.user, allocation, data["reason"])
        return allocation


@blp.route("/allocations/<int:allocation_id>/recall")
class AllocationRecallCreate(MethodView):
    @blp.arguments(RecallCreateSchema)
    @blp.response(201, RecallSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, allocation_id):
        """Prepare the recall (收回) of part or all of an approved allocation, or with
        ``redistribute_to`` its redistribution (调剂) to another region."""
        allocation = get_visible_allocation(allocation_id)
        recall = operations.create_recall(
            db.session,
            g.user,
            allocation,
            amount_fen=data["amount"],
            reason=data["reason"],
            document_no=data["document_no"],
            redistribute_to_code=data["redistribute_to"],
        )
        return recall


@blp.route("/allocations/<int:allocation_id>/notice.pdf")
class AllocationNotice(MethodView):
    @blp.doc(responses=PDF_RESPONSE)
    @blp.alt_response(409, **ERRORS)
    @token_required
    def get(self, allocation_id):
        """The allocation notice (资金下达通知): amount in figures and in capital numerals,
        the earmark statement, and the document's table when it covers several regions."""
        return send_notice(db.session, get_visible_allocation(allocation_id))


@blp.route("/allocations/notices.pdf")
class AllocationNotices(MethodView):
    @blp.arguments(NoticeQuerySchema, location="query")
    @blp.doc(responses=PDF_RESPONSE)
    @blp.alt_response(404, description="该文号没有已审批的资金下达通知", schema="Error")
    @token_required
    def get(self, query):
        """Every approved notice of one document number of a fund, together in one PDF."""
        codes = subtree_codes(db.session, g.user.region_code)
        allocations = db.session.scalars(
            sa.select(Allocation)
            .where(
                Allocation.fund_id == query["fund_id"],
                Allocation.document_no == query["document_no"],
                Allocation.status.in_(("approved", "recalled")),
                sa.or_(
                    Allocation.from_region_code.in_(codes),
                    Allocation.to_region_code.in_(codes),
                ),
            )
            .order_by(Allocation.to_region_code)
        ).all()
        return send_document_notices(db.session, allocations, query["document_no"])


@blp.route("/recalls/<int:recall_id>")
class RecallDetail(MethodView):
    @blp.response(200, RecallSchema)
    @token_required
    def get(self, recall_id):
        return get_visible_recall(recall_id)


@blp.route("/recalls/<int:recall_id>/approve")
class RecallApprove(MethodView):
    @blp.arguments(AllocationApproveSchema)
    @blp.response(200, RecallSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, recall_id):
        """Approve a recall: the money returns to the giver (or goes on, for 调剂, through
        the same evaluation gate as an allocation: ``evaluation_override_reason``)."""
        recall = get_visible_recall(recall_id)
        operations.approve_recall(
            db.session,
            g.user,
            recall,
            data["approved_on"],
            reason=data["reason"],
            evaluation_override_reason=data["evaluation_override_reason"],
        )
        return recall


@blp.route("/recalls/<int:recall_id>/cancel")
class RecallCancel(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, RecallSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, recall_id):
        recall = get_visible_recall(recall_id)
        operations.cancel_recall(db.session, g.user, recall, data["reason"])
        return recall
