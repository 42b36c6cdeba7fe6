"""``/api/v1/disbursements`` and ``/api/v1/beneficiaries``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.core.access import get_visible
from fundtrack.core.api import FORBIDDEN, NOT_FOUND, paginated
from fundtrack.core.auth import token_required
from fundtrack.core.net import client_address
from fundtrack.core.schemas import DecisionSchema, ReasonSchema
from fundtrack.disbursements import operations
from fundtrack.disbursements.models import Disbursement
from fundtrack.disbursements.permissions import can_view_disbursement
from fundtrack.disbursements.queries import visible_disbursements
from fundtrack.disbursements.schemas import (
    DisbursementCreateSchema,
    DisbursementListSchema,
    DisbursementQuerySchema,
    DisbursementSchema,
    RevealedIdSchema,
    ReverseSchema,
)
from fundtrack.extensions import db
from fundtrack.funds.permissions import get_visible_fund

blp = Blueprint("disbursements", __name__, url_prefix="/api/v1", description="支出")

ERRORS = {"description": "业务规则或状态不允许", "schema": "Error"}


def get_visible_disbursement(disbursement_id: int) -> Disbursement:
    return get_visible(Disbursement, disbursement_id, can_view_disbursement)


@blp.route("/disbursements")
class Disbursements(MethodView):
    @blp.arguments(DisbursementQuerySchema, location="query")
    @blp.response(200, DisbursementListSchema)
    @token_required
    def get(self, query):
        """Payments of the caller's subtree, newest first."""
        stmt = (
            visible_disbursements(db.session, g.user, query)
            .options(sa.orm.selectinload(Disbursement.reversals))
            .order_by(Disbursement.id.desc())
        )
        return paginated(db.session, stmt, query)

    @blp.arguments(DisbursementCreateSchema)
    @blp.response(201, DisbursementSchema)
    @blp.alt_response(422, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(409, **ERRORS)
    @token_required
    def post(self, data):
        """Record a pending payment in one of the fund's earmarked categories."""
        fund = get_visible_fund(data.pop("fund_id"))
        region_code = data.pop("region", None) or g.user.region_code
        disbursement = operations.create_disbursement(
            db.session,
            g.user,
            fund=fund,
            region_code=region_code,
            category_code=data.pop("category"),
            amount_fen=data.pop("amount"),
            **data,
        )
        return disbursement


@blp.route("/disbursements/<int:disbursement_id>")
class DisbursementDetail(MethodView):
    @blp.response(200, DisbursementSchema)
    @token_required
    def get(self, disbursement_id):
        return get_visible_disbursement(disbursement_id)


@blp.route("/disbursements/<int:disbursement_id>/approve")
class DisbursementApprove(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, DisbursementSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(422, **ERRORS)
    @token_required
    def post(self, data, disbursement_id):
        """Approve a pending payment, or a proposed reversal (a checker over the region,
        never the one who recorded or proposed it), with the approver's optional opinion
        (``reason``). Approving a reversal makes the original ``reversed``."""
        disbursement = get_visible_disbursement(disbursement_id)
        operations.approve_disbursement(db.session, g.user, disbursement, data["reason"])
        return disbursement


@blp.route("/disbursements/<int:disbursement_id>/reject")
class DisbursementReject(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, DisbursementSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, disbursement_id):
        """Send a pending payment back, or refuse a proposed reversal, with a reason."""
        disbursement = get_visible_disbursement(disbursement_id)
        operations.reject_disbursement(db.session, g.user, disbursement, data["reason"])
        return disbursement


@blp.route("/disbursements/<int:disbursement_id>/reverse")
class DisbursementReverse(MethodView):
    @blp.arguments(ReverseSchema)
    @blp.response(201, DisbursementSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(422, **ERRORS)
    @token_required
    def post(self, data, disbursement_id):
        """Propose the reversal of an approved payment: answers the compensating record,
        ``pending`` until a checker who is not the proposer approves it
        (``POST /disbursements/{its id}/approve``); no balance changes before."""
        disbursement = get_visible_disbursement(disbursement_id)
        compensation = operations.propose_reversal(
            db.session, g.user, disbursement, data["reason"], data["reversed_on"]
        )
        return compensation


@blp.route("/disbursements/<int:disbursement_id>/reveal-id")
class DisbursementRevealId(MethodView):
    @blp.response(200, RevealedIdSchema)
    @blp.alt_response(403, description="无权查看", schema="Error")
    @token_required
    def post(self, disbursement_id):
        """The payee's full ID number (the region's finance staff, auditors); logged."""
        disbursement = get_visible_disbursement(disbursement_id)
        number = operations.reveal_id_number(db.session, g.user, disbursement, client_address())
        return {"id_number": number}
