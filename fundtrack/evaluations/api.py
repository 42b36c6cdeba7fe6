"""``/api/v1/evaluations`` and ``/api/v1/rankings``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.core.access import get_visible
from fundtrack.core.api import FORBIDDEN, NOT_FOUND, PDF_RESPONSE, PageQuerySchema, paginated
from fundtrack.core.auth import token_required
from fundtrack.core.timeparse import local_today
from fundtrack.evaluations import operations
from fundtrack.evaluations.models import Evaluation
from fundtrack.evaluations.permissions import can_view_evaluation
from fundtrack.evaluations.reports import send_evaluation_report
from fundtrack.evaluations.schemas import (
    ApproveEvaluationSchema,
    EvaluationCreateSchema,
    EvaluationDetailSchema,
    EvaluationListSchema,
    EvaluationQuerySchema,
    EvaluationUpdateSchema,
    OverdueListSchema,
    RankingQuerySchema,
    RankingSchema,
    ReturnEvaluationSchema,
)
from fundtrack.extensions import db
from fundtrack.funds.models import Fund
from fundtrack.funds.permissions import get_visible_fund
from fundtrack.regions.operations import subtree_codes

blp = Blueprint("evaluations", __name__, url_prefix="/api/v1", description="绩效评价")

ERRORS = {"description": "业务规则或状态不允许", "schema": "Error"}


def get_visible_evaluation(evaluation_id: int) -> Evaluation:
    return get_visible(Evaluation, evaluation_id, can_view_evaluation)


def detail(evaluation: Evaluation) -> dict:
    """The evaluation with its fund-use section, for the detail schema."""
    evaluation.fund_use = operations.fund_use(db.session, evaluation)
    return evaluation


@blp.route("/evaluations")
class Evaluations(MethodView):
    @blp.arguments(EvaluationQuerySchema, location="query")
    @blp.response(200, EvaluationListSchema)
    @token_required
    def get(self, query):
        """Evaluations of the caller's subtree."""
        stmt = (
            sa.select(Evaluation)
            .join(Fund, Evaluation.fund_id == Fund.id)
            .where(Evaluation.region_code.in_(subtree_codes(db.session, g.user.region_code)))
            .options(
                sa.orm.selectinload(Evaluation.indicators),
                sa.orm.selectinload(Evaluation.declared_uses),
                sa.orm.selectinload(Evaluation.fund),
            )
            .order_by(Evaluation.id.desc())
        )
        for key, column in (
            ("fund_id", Evaluation.fund_id),
            ("region", Evaluation.region_code),
            ("status", Evaluation.status),
            ("fiscal_year", Fund.fiscal_year),
        ):
            if key in query:
                stmt = stmt.where(column == query[key])
        return paginated(db.session, stmt, query)

    @blp.arguments(EvaluationCreateSchema)
    @blp.response(201, EvaluationDetailSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    @token_required
    def post(self, data):
        """Open the evaluation of a fund for the caller's region (lines from the template)."""
        fund = get_visible_fund(data["fund_id"])
        evaluation = operations.create_evaluation(db.session, g.user, fund, data.get("region"))
        return detail(evaluation)


@blp.route("/evaluations/overdue")
class OverdueEvaluations(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, OverdueListSchema)
    @token_required
    def get(self, query):
        """Evaluations of the caller's subtree not submitted by the configured deadline, by
        year, fund and region, a page at a time."""
        return operations.overdue_page(
            db.session,
            g.user.region_code,
            local_today(),
            operations.configured_deadline(),
            query["page"],
            query["per_page"],
        )


@blp.route("/evaluations/<int:evaluation_id>")
class EvaluationDetail(MethodView):
    @blp.response(200, EvaluationDetailSchema)
    @token_required
    def get(self, evaluation_id):
        return detail(get_visible_evaluation(evaluation_id))

    @blp.arguments(EvaluationUpdateSchema)
    @blp.response(200, EvaluationDetailSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def put(self, data, evaluation_id):
        """Save the form; ``indicators`` and ``declared_uses`` replace the current lines."""
        evaluation = get_visible_evaluation(evaluation_id)
        operations.update_evaluation(db.session, g.user, evaluation, **data)
        return detail(evaluation)


def _transition(evaluation_id: int, run):
    evaluation = get_visible_evaluation(evaluation_id)
    run(evaluation)
    return detail(evaluation)


@blp.route("/evaluations/<int:evaluation_id>/submit")
class EvaluationSubmit(MethodView):
    @blp.response(200, EvaluationDetailSchema)
    @blp.alt_response(422, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, **ERRORS)
    @token_required
    def post(self, evaluation_id):
        """Submit for review; any use outside the earmark refuses with non_earmarked_use."""
        return _transition(
            evaluation_id, lambda e: operations.submit_evaluation(db.session, g.user, e)
        )


@blp.route("/evaluations/<int:evaluation_id>/approve")
class EvaluationApprove(MethodView):
    @blp.arguments(ApproveEvaluationSchema)
    @blp.response(200, EvaluationDetailSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, evaluation_id):
        """Approve with the final score (the parent region's or the province's checker) and
        the reviewer's optional opinion (``reason``)."""
        return _transition(
            evaluation_id,
            lambda e: operations.approve_evaluation(
                db.session, g.user, e, data["final_score"], data["reason"]
            ),
        )


@blp.route("/evaluations/<int:evaluation_id>/return")
class EvaluationReturn(MethodView):
    @blp.arguments(ReturnEvaluationSchema)
    @blp.response(200, EvaluationDetailSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data, evaluation_id):
        """Return for rework, with the reviewer's required reason (``reason``; the older name
        ``comment`` is still read)."""
        field = "reason" if "reason" in data or "comment" not in data else "comment"
        return _transition(
            evaluation_id,
            lambda e: operations.return_evaluation(
                db.session, g.user, e, data.get(field), field=field
            ),
        )


@blp.route("/evaluations/<int:evaluation_id>/report.pdf")
class EvaluationReport(MethodView):
    @blp.doc(responses=PDF_RESPONSE)
    @token_required
    def get(self, evaluation_id):
        """The evaluation as filed, as a PDF with an embedded Chinese font."""
        return send_evaluation_report(get_visible_evaluation(evaluation_id))


@blp.route("/rankings")
class Rankings(MethodView):
    @blp.arguments(RankingQuerySchema, location="query")
    @blp.response(200, RankingSchema)
    @blp.alt_response(404, **NOT_FOUND)
    @token_required
    def get(self, query):
        """Prefectures and counties by final score for one fund, with the spread."""
        fund = get_visible_fund(query["fund_id"])
        return ranking_payload(fund)


def ranking_payload(fund) -> dict:
    levels = operations.ranking(db.session, fund)

    def level(entries):
        scores = [e["score"] for e in entries]
        return {
            "items": entries,
            "best": max(scores) if scores else None,
            "worst": min(scores) if scores else None,
            "spread": (max(scores) - min(scores)) if scores else None,
        }

    return {
        "fund_id": fund.id,
        "prefectures": level(levels.get("prefecture", [])),
        "counties": level(levels.get("county", [])),
    }
