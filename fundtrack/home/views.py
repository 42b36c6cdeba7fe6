"""The home page: the funds the signed-in user sees with their balances, the budget lines,
the evaluations overdue, and what waits for them (``dashboard``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from fundtrack.core.timeparse import local_today
from fundtrack.evaluations.operations import configured_deadline, overdue
from fundtrack.extensions import db
from fundtrack.funds import operations
from fundtrack.funds.charts import rate_width
from fundtrack.funds.models import Fund
from fundtrack.funds.permissions import visible_funds_filter
from fundtrack.home.dashboard import waiting_for
from fundtrack.ledger.balances import Balance, funds_balances

bp = Blueprint("home", __name__)

#: overdue evaluations listed on the home page (the evaluations page pages through them all)
OVERDUE_LISTED = 20


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
    balances = funds_balances(db.session, funds, region_code=user.region_code)
    overdue_listed, overdue_count = overdue(
        db.session, user.region_code, local_today(), configured_deadline(), OVERDUE_LISTED
    )
    rows = [
        (fund, balances[fund.id].get(user.region_code, Balance(user.region_code))) for fund in funds
    ]

    return render_template(
        "home/index.html",
        rows=rows,
        rate_width=rate_width,
        budget_lines=operations.budget_lines_within(db.session, user.region_code),
        overdue=overdue_listed,
        overdue_count=overdue_count,
        waiting=waiting_for(db.session, user),
    )
