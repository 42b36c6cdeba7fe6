"""Pages: the home page with the funds of the user's region."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from fundtrack.extensions import db
from fundtrack.funds import operations
from fundtrack.funds.balances import Balance, fund_balances
from fundtrack.funds.models import BudgetLine, Fund
from fundtrack.funds.permissions import visible_funds_filter
from fundtrack.regions.operations import is_within

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
    rows = []
    for fund in funds:
        balance = fund_balances(db.session, fund).get(user.region_code, Balance(user.region_code))
        rows.append((fund, balance))
    lines = [
        (
            line,
            operations.itemised_fen(db.session, line),
            operations.unitemised_fen(db.session, line),
        )
        for line in db.session.scalars(
            sa.select(BudgetLine).order_by(BudgetLine.fiscal_year.desc(), BudgetLine.id)
        )
        if is_within(db.session, line.region_code, user.region_code)
    ]
    return render_template("funds/home.html", rows=rows, budget_lines=lines)
