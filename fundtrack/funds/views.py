"""Pages: the home page with the funds of the user's region; a fund's balance tree."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from fundtrack.audit.reports import decision_trail
from fundtrack.core.access import get_visible
from fundtrack.core.forms import OpinionForm, ReasonForm
from fundtrack.core.fragments import fragment
from fundtrack.core.i18n import _
from fundtrack.core.timeparse import parse_moment
from fundtrack.core.web import amount_unit
from fundtrack.core.web_helpers import form_refused, run_action
from fundtrack.extensions import db
from fundtrack.funds import operations, year_end
from fundtrack.funds.charts import money_flow, rate_charts
from fundtrack.funds.models import Fund, FundEarmark, YearEndClose
from fundtrack.funds.permissions import (
    can_view_year_end_close,
    get_visible_fund,
)
from fundtrack.ledger.balances import balance_rows, rows_key
from fundtrack.regions.models import Region

bp = Blueprint("fund_pages", __name__)


@bp.route("/funds/<int:fund_id>")
@login_required
def fund_detail(fund_id: int):
    """The fund's allocation tree with received, allocated, disbursed and available money at
    every node of the user's subtree; ``as_of`` shows it as the records stood then."""
    fund = get_visible_fund(fund_id)
    # the kind and the earmark with its categories, in one query each (not one per category)
    db.session.scalars(
        sa.select(Fund)
        .where(Fund.id == fund.id)
        .options(
            sa.orm.joinedload(Fund.kind),
            sa.orm.selectinload(Fund.earmarks).joinedload(FundEarmark.category),
        )
    ).one()
    as_of_text = (request.args.get("as_of") or "").strip()
    as_of, as_of_error = None, None
    if as_of_text:
        try:
            as_of = parse_moment(as_of_text)
        except ValueError:
            as_of_error = _("时点格式不正确，请填写日期（如 2017-12-31）或日期时间")
    root_code = current_user.region_code
    flows: dict[tuple[str, str], int] = {}  # the money flow's edges, from the same statement
    rows = balance_rows(db.session, fund, root_code, as_of, flows=flows)
    return render_template(
        "funds/fund.html",
        fund=fund,
        distribution=_distribution(fund, root_code, rows, flows, as_of_text, as_of_error),
        as_of_text=as_of_text,
        as_of_error=as_of_error,
        close_form=ReasonForm(prefix="close"),
        opinion_form=OpinionForm(),
        cancel_form=ReasonForm(prefix="cancel"),
        reject_form=ReasonForm(prefix="reject"),
        trail=decision_trail(db.session, "funds", fund.id),
        **_closing(fund),
    )


def _distribution(fund, root_code, rows, flows, as_of_text, as_of_error):
    """The charts and the balance tree, rendered once per process for the same figures in
    the same language and unit (most of the page's cost with a province's 137 regions)."""
    key = (
        "fund-distribution",
        str(get_locale()),
        amount_unit(),
        fund.id,
        root_code,
        as_of_text,
        as_of_error,
        rows_key(rows),
        tuple(sorted(flows.items())),
    )
    return fragment(
        key,
        lambda: render_template(
            "funds/_distribution.html",
            fund=fund,
            rows=rows,
            rate_charts=rate_charts(rows, root_code),
            flow=money_flow(rows, root_code, flows),
            parents={row.parent for row in rows},
            as_of_text=as_of_text,
            as_of_error=as_of_error,
        ),
    )


def _closing(fund: Fund) -> dict:
    """The proposed year-end close awaiting its decision, with the moves it would make (each
    with the regions' names) and its trail; or the close that ended the year."""
    # one statement: the proposed close first, else the approved one
    closing = db.session.scalar(
        sa.select(YearEndClose)
        .where(
            YearEndClose.fund_id == fund.id,
            YearEndClose.status.in_(("proposed", "approved")),
        )
        .order_by((YearEndClose.status == "proposed").desc())
        .limit(1)
    )
    if closing is None:
        return {"closing": None, "moves": [], "closing_trail": []}
    moves = year_end.close_moves_seen_by(db.session, current_user, closing)
    codes = {code for m in moves for code in (m.region_code, m.to_region_code)}
    names = dict(
        db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )
    return {
        "closing": closing,
        "moves": [(names[m.region_code], names[m.to_region_code], m) for m in moves],
        "closing_trail": decision_trail(db.session, "year-end-closes", closing.id),
    }


def _run(fund: Fund, action, success: str):
    """Run one operation, commit once, or show the refusal; back to the fund's page."""
    return run_action(action, success, url_for("fund_pages.fund_detail", fund_id=fund.id))


def _refused(form, fund: Fund):
    return form_refused(form, url_for("fund_pages.fund_detail", fund_id=fund.id))


@bp.route("/funds/<int:fund_id>/approve", methods=["POST"])
@login_required
def approve_fund(fund_id: int):
    """A second person approves a proposed fund: its budget reaches its region."""
    fund = get_visible_fund(fund_id)
    form = OpinionForm()
    if not form.validate_on_submit():
        return _refused(form, fund)
    return _run(
        fund,
        lambda: operations.approve_fund(db.session, current_user, fund, form.reason.data),
        _("已审批，资金预算已生效"),
    )


@bp.route("/funds/<int:fund_id>/cancel", methods=["POST"])
@login_required
def cancel_fund(fund_id: int):
    fund = get_visible_fund(fund_id)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return _refused(form, fund)
    return _run(
        fund,
        lambda: operations.cancel_fund(db.session, current_user, fund, form.reason.data),
        _("已撤销该专项资金"),
    )


@bp.route("/funds/<int:fund_id>/close", methods=["POST"])
@login_required
def close_year(fund_id: int):
    """Propose the year-end close; a second person approves it on this page."""
    fund = get_visible_fund(fund_id)
    form = ReasonForm(prefix="close")
    if not form.validate_on_submit():
        return _refused(form, fund)
    return _run(
        fund,
        lambda: year_end.propose_year_end(db.session, current_user, fund, form.reason.data),
        _("已提交年度结算申请，须由本地区另一位审批人员审批后生效"),
    )


@bp.route("/year-end-closes/<int:close_id>/<any(approve, reject):action>", methods=["POST"])
@login_required
def decide_close(close_id: int, action: str):
    """Approve (the moves are written and the fund is closed) or reject a proposed close."""
    closing = get_visible(YearEndClose, close_id, can_view_year_end_close)
    fund = closing.fund
    if action == "approve":
        form = OpinionForm()
        if not form.validate_on_submit():
            return _refused(form, fund)
        return _run(
            fund,
            lambda: year_end.approve_year_end(db.session, current_user, closing, form.reason.data),
            _(
                "%(year)s年度%(fund)s已结算（%(policy)s）",
                year=fund.fiscal_year,
                fund=fund.name,
                policy=fund.year_end_policy_label,
            ),
        )
    form = ReasonForm(prefix="reject")
    if not form.validate_on_submit():
        return _refused(form, fund)
    return _run(
        fund,
        lambda: year_end.reject_year_end(db.session, current_user, closing, form.reason.data),
        _("已退回年度结算申请，资金恢复执行"),
    )
