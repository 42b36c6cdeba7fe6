"""``/api/v1/categories``, ``/api/v1/funds``, ``/api/v1/budget-lines``."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, g, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.core.api import FORBIDDEN
from fundtrack.core.auth import token_required
from fundtrack.core.errors import ValidationFailed
from fundtrack.core.fragments import kept
from fundtrack.core.i18n import _
from fundtrack.core.schemas import DecisionSchema, ReasonSchema
from fundtrack.core.timeparse import parse_moment
from fundtrack.extensions import db
from fundtrack.funds import operations, year_end
from fundtrack.funds.models import ExpenditureCategory, Fund, YearEndClose
from fundtrack.funds.permissions import (
    get_visible_close,
    get_visible_fund,
    visible_funds_filter,
)
from fundtrack.funds.schemas import (
    BalanceListSchema,
    BalanceQuerySchema,
    BudgetLineListSchema,
    CategoryListSchema,
    FundCreateSchema,
    FundListSchema,
    FundQuerySchema,
    FundSchema,
    YearEndCloseSchema,
)
from fundtrack.ledger.balances import balance_rows, rows_key

blp = Blueprint("funds", __name__, url_prefix="/api/v1", description="专项资金")


class CloseAnswer:
    """A close as the API shows it: the record's fields and what it moves (``moves``)."""

    def __init__(self, closing: YearEndClose):
        self.record = closing
        self.moves = year_end.close_moves_seen_by(db.session, g.user, closing)

    def __getattr__(self, name):
        return getattr(self.record, name)


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategoryListSchema)
    @token_required
    def get(self):
        """Expenditure categories; only earmarkable ones may be part of a fund's earmark."""
        stmt = sa.select(ExpenditureCategory).order_by(
            ExpenditureCategory.earmarkable.desc(), ExpenditureCategory.economic_code
        )
        return {"items": db.session.scalars(stmt).all()}


@blp.route("/funds")
class Funds(MethodView):
    @blp.arguments(FundQuerySchema, location="query")
    @blp.response(200, FundListSchema)
    @token_required
    def get(self, query):
        """Funds held in the caller's subtree or that sent money into it."""
        stmt = (
            sa.select(Fund)
            .where(visible_funds_filter(db.session, g.user))
            .options(sa.orm.selectinload(Fund.earmarks))
            .order_by(Fund.fiscal_year.desc(), Fund.code)
        )
        if "fiscal_year" in query:
            stmt = stmt.where(Fund.fiscal_year == query["fiscal_year"])
        if "kind" in query:
            stmt = stmt.where(Fund.kind_code == query["kind"])
        return {"items": db.session.scalars(stmt).all()}

    @blp.arguments(FundCreateSchema)
    @blp.response(201, FundSchema)
    @blp.alt_response(403, description="无权创建", schema="Error")
    @blp.alt_response(409, description="资金编号已存在", schema="Error")
    @token_required
    def post(self, data):
        """Propose a fund of the caller's region with its budget and earmark: a ``draft``
        until a checker who is not its maker approves it (``POST /funds/{id}/approve``)."""
        fund = operations.create_fund(
            db.session,
            g.user,
            code=data["code"],
            name=data["name"],
            kind_code=data["kind"],
            fiscal_year=data["fiscal_year"],
            region_code=data.get("region") or g.user.region_code,
            budget_fen=data["budget"],
            earmarked_categories=data["earmarked_categories"],
            source=data["source"],
            budget_line_id=data["budget_line_id"],
            year_end_policy=data["year_end_policy"],
        )
        return fund


@blp.route("/funds/<int:fund_id>")
class FundDetail(MethodView):
    @blp.response(200, FundSchema)
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, fund_id):
        return get_visible_fund(fund_id)


@blp.route("/funds/<int:fund_id>/approve")
class FundApprove(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, FundSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, description="状态不允许", schema="Error")
    @blp.alt_response(422, description="经办人不能审批自己的记录", schema="Error")
    @token_required
    def post(self, data, fund_id):
        """Approve a proposed fund (a checker of its region or above, never its maker): its
        budget reaches its region and its money can move."""
        fund = get_visible_fund(fund_id)
        operations.approve_fund(db.session, g.user, fund, data["reason"])
        return fund


@blp.route("/funds/<int:fund_id>/cancel")
class FundCancel(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, FundSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, description="状态不允许", schema="Error")
    @token_required
    def post(self, data, fund_id):
        """Withdraw (its maker) or refuse (a checker) a proposed fund, with a reason."""
        fund = get_visible_fund(fund_id)
        operations.cancel_fund(db.session, g.user, fund, data["reason"])
        return fund


@blp.route("/funds/<int:fund_id>/close")
class FundClose(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(201, YearEndCloseSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, description="尚有未办结的记录或状态不允许", schema="Error")
    @token_required
    def post(self, data, fund_id):
        """Propose closing the fund's year (年度结算): the fund stands still (``closing``)
        until a checker of its region who is not the proposer decides
        (``POST /year-end-closes/{id}/approve|reject``); ``moves`` lists what an approval
        would recall or carry over, as the fund's ``year_end_policy`` says."""
        fund = get_visible_fund(fund_id)
        closing = year_end.propose_year_end(db.session, g.user, fund, data["reason"])
        return CloseAnswer(closing)


@blp.route("/year-end-closes/<int:close_id>")
class YearEndCloseDetail(MethodView):
    @blp.response(200, YearEndCloseSchema)
    @token_required
    def get(self, close_id):
        """A year-end close with what it moves (or would move, while proposed)."""
        return CloseAnswer(get_visible_close(close_id))


@blp.route("/year-end-closes/<int:close_id>/approve")
class YearEndCloseApprove(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, YearEndCloseSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, description="状态不允许", schema="Error")
    @blp.alt_response(422, description="申请人不能审批自己的申请", schema="Error")
    @token_required
    def post(self, data, close_id):
        """Approve a proposed close (a checker of the fund's region, never the proposer):
        its moves are written and the fund is closed."""
        closing = get_visible_close(close_id)
        year_end.approve_year_end(db.session, g.user, closing, data["reason"])
        return CloseAnswer(closing)


@blp.route("/year-end-closes/<int:close_id>/reject")
class YearEndCloseReject(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, YearEndCloseSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, description="状态不允许", schema="Error")
    @token_required
    def post(self, data, close_id):
        """Refuse (a checker) or withdraw (its proposer) a proposed close, with a reason:
        nothing moves and the fund is active again."""
        closing = get_visible_close(close_id)
        year_end.reject_year_end(db.session, g.user, closing, data["reason"])
        return CloseAnswer(closing)


@blp.route("/funds/<int:fund_id>/balances")
class FundBalances(MethodView):
    @blp.arguments(BalanceQuerySchema, location="query")
    @blp.response(200, BalanceListSchema)
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, query, fund_id):
        """Received, allocated out, disbursed and available money per region of the caller's
        subtree, now or, with ``as_of``, as the records stood at that moment."""
        fund = get_visible_fund(fund_id)
        as_of = None
        if "as_of" in query:
            try:
                as_of = parse_moment(query["as_of"])
            except (ValueError, OverflowError):  # overflow: beyond year 1–9999 once in UTC
                raise ValidationFailed(
                    _("时点格式不正确"), fields={"as_of": [_("须为 ISO 日期或日期时间")]}
                ) from None
        rows = balance_rows(db.session, fund, g.user.region_code, as_of)
        # the body depends on the rows alone (names, levels and figures; an ``as_of`` gives
        # other figures): kept per process, as the fund page's tree, it skips dumping a
        # province's 137 rows × 11 fields again while none of them changed
        body = kept(
            ("fund-balances-json", rows_key(rows)),
            lambda: jsonify(BalanceListSchema().dump({"items": rows})).get_data(),
        )
        return current_app.response_class(body, mimetype=current_app.json.mimetype)


@blp.route("/budget-lines")
class BudgetLines(MethodView):
    @blp.response(200, BudgetLineListSchema)
    @token_required
    def get(self):
        """Budget totals with what their funds itemise and the unitemised remainder."""
        return {
            "items": [
                SimpleNamespace(
                    id=line.id,
                    fiscal_year=line.fiscal_year,
                    region_code=line.region_code,
                    name=line.name,
                    source=line.source,
                    total_fen=line.total_fen,
                    itemised_fen=itemised,
                    unitemised_fen=unitemised,
                )
                for line, itemised, unitemised in operations.budget_lines_within(
                    db.session, g.user.region_code
                )
            ]
        }
