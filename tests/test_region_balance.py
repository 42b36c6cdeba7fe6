"""One region's balance, read from only the rows that touch it, equals its balance in the
whole fund's figures: the balance checks of payments and allocations rely on it."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.funds.models import Fund
from fundtrack.ledger.balances import fund_balances, region_balance


def test_region_balance_equals_the_whole_funds_figures(app_ctx, db_session, api, fund_id):

    # a recall and a pending payment, so that every kind of row is there
    allocation = api("hengyang_finance").get("/api/v1/allocations?to_region=430481").get_json()
    approved = next(a for a in allocation["items"] if a["status"] == "approved")
    recall = api("hengyang_finance").post(
        f"/api/v1/allocations/{approved['id']}/recall",
        json={"amount": "1.00", "reason": "测试收回"},
    )
    assert recall.status_code == 201, recall.get_json()
    checked = 0
    for fund in db_session.scalars(sa.select(Fund)):
        whole = fund_balances(db_session, fund)
        for code, balance in whole.items():
            assert region_balance(db_session, fund, code) == balance, (fund.code, code)
            checked += 1
    assert checked > 20
