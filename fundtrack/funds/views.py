"""Pages: the home page with the funds of the user's region; a fund's balance tree."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from fundtrack.core.errors import DomainError
from fundtrack.core.forms import ReasonForm
from fundtrack.core.i18n import _
from fundtrack.core.timeparse import parse_moment
from fundtrack.core.web_helpers import get_visible_fund_or_404
from fundtrack.extensions import db
from fundtrack.funds import operations
from fundtrack.funds.balances import Balance, balance_rows, funds_balances
from fundtrack.funds.charts import money_flow, rate_charts, rate_width
from fundtrack.funds.models import Fund, FundEarmark
from fundtrack.funds.permissions import can_close_fund_year, visible_funds_filter

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    user = current_user
    funds = db.session.scalars(
        sa.select(Fund)
        .where(visible_funds_filter(db.session, user))
        .options(sa.orm.selectinload(Fund.kind))
        .order_by(Fund.fiscal_year.desc(), Fund.code)
    ).all()
    balances = funds_balances(db.session, funds)
    rows = [
        (fund, balances[fund.id].get(user.region_code, Balance(user.region_code))) for fund in funds
    ]
    from datetime import date

    from fundtrack.evaluations.operations import configured_deadline, overdue
    from fundtrack.funds.dashboard import waiting_for

    return render_template(
        "funds/home.html",
        rows=rows,
        rate_width=rate_width,
        budget_lines=operations.budget_lines_within(db.session, user.region_code),
        overdue=overdue(db.session, user.region_code, date.today(), configured_deadline()),
        waiting=waiting_for(db.session, user),
    )


@bp.route("/funds/<int:fund_id>")
@login_required
def fund_detail(fund_id: int):
    """The fund's allocation tree with received, allocated, disbursed and available money at
    every node of the user's subtree; ``as_of`` shows it as the records stood then."""
    fund = get_visible_fund_or_404(fund_id)
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
        rows=rows,
        rate_charts=rate_charts(rows, root_code),
        flow=money_flow(rows, root_code, flows),
        parents={row.parent for row in rows},
        as_of_text=as_of_text,
        as_of_error=as_of_error,
        close_form=ReasonForm(prefix="close"),
        can_close=can_close_fund_year(db.session, current_user, fund),
    )


@bp.route("/funds/<int:fund_id>/close", methods=["POST"])
@login_required
def close_year(fund_id: int):
    """Year-end: recall or carry over every unspent balance, then close the fund."""
    fund = get_visible_fund_or_404(fund_id)
    form = ReasonForm(prefix="close")
    if not form.validate_on_submit():
        flash(_("年度结算必须填写原因"), "error")
    else:
        try:
            operations.close_fund_year(db.session, current_user, fund, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(
                _(
                    "%(year)s年度%(fund)s已结算（%(policy)s）",
                    year=fund.fiscal_year,
                    fund=fund.name,
                    policy=fund.year_end_policy_label,
                ),
                "success",
            )
    return redirect(url_for("home.fund_detail", fund_id=fund.id))
