"""The balances of the demo province add up at every level, to the fen."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

FUNDS = ["2017-SJH", "2017-DKTX", "2017-BX", "2018-SJH", "2018-DKTX", "2018-BX"]


def _balances(client_api, fund_id, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client_api.get(f"/api/v1/funds/{fund_id}/balances" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_json()
    return {b["region"]: b for b in response.get_json()["items"]}


@pytest.mark.parametrize("code", FUNDS)
def test_every_level_adds_up(api, fund_id, fund, code):
    budget = Decimal(fund(code).budget_fen) / 100
    auditor = api("auditor")
    balances = _balances(auditor, fund_id(code))
    money = {k: {f: Decimal(v[f]) for f in ("received", "allocated_out", "disbursed",
                                           "available")} for k, v in balances.items()}  # fmt: skip
    for region, b in money.items():
        assert b["available"] == b["received"] - b["allocated_out"] - b["disbursed"], region
        assert b["available"] >= 0, region
        children = [c for c, row in balances.items() if row["parent"] == region]
        if children:
            # no drafts or recalls in the demo: what a region sent is what its children got
            assert b["allocated_out"] == sum(money[c]["received"] for c in children), region
    # the money is somewhere: still available at some level, or paid out
    assert sum(b["available"] + b["disbursed"] for b in money.values()) == budget


def test_rows_come_in_tree_order_with_names(api, fund_id):
    items = api("auditor").get(f"/api/v1/funds/{fund_id('2017-SJH')}/balances").get_json()["items"]
    assert items[0]["region"] == "430000" and items[0]["region_name"] == "湖南省"
    codes = [b["region"] for b in items]
    assert codes.index("430400") < codes.index("430481") < codes.index("430500")


def test_as_of_rebuilds_the_balances_of_a_past_moment(api, fund_id):
    """Before the demo existed there was nothing; after a new payment, the past stays put."""

    def now() -> str:
        return datetime.now(UTC).isoformat().replace("+00:00", "Z")

    sjh = fund_id("2017-SJH")
    leiyang = api("leiyang_finance")
    assert _balances(leiyang, sjh, as_of="2000-01-01") == {}
    before = _balances(leiyang, sjh)
    moment = now()
    time.sleep(0.01)
    response = leiyang.post(
        "/api/v1/disbursements",
        json={"fund_id": sjh, "category": "project_support", "amount": "7000.00",
              "paid_on": "2017-12-10", "payee_name": "时点测试户", "voucher_no": "时点-1"},
    )  # fmt: skip
    assert response.status_code == 201
    later = now()
    assert _balances(leiyang, sjh)["430481"]["available"] == "100000.00"
    assert _balances(leiyang, sjh, as_of=moment) == before
    assert _balances(leiyang, sjh, as_of=later)["430481"]["available"] == "100000.00"


def test_bad_as_of_is_422(api, fund_id):
    response = api("auditor").get(f"/api/v1/funds/{fund_id('2017-SJH')}/balances?as_of=yesterday")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]["as_of"]


def test_kept_balances_never_outlive_a_change_nor_cross_subtrees(api, fund_id):
    """The body is kept per process, keyed on the rows it shows (core.fragments): a payment
    in between shows at once, and a prefecture never gets the province's kept body."""
    sjh = fund_id("2017-SJH")
    province = api("auditor")
    first = province.get(f"/api/v1/funds/{sjh}/balances")
    assert first.mimetype == "application/json"
    leiyang = api("leiyang_finance")
    paid = leiyang.post(
        "/api/v1/disbursements",
        json={"fund_id": sjh, "category": "project_support", "amount": "100.00",
              "paid_on": "2017-12-10", "payee_name": "缓存测试户", "voucher_no": "缓存-1"},
    )  # fmt: skip
    assert paid.status_code == 201, paid.get_json()
    before = {b["region"]: b for b in first.get_json()["items"]}
    after = _balances(province, sjh)
    assert Decimal(before["430481"]["available"]) - Decimal(after["430481"]["available"]) == 100
    assert after["430000"] == before["430000"]  # the province's own money did not move
    prefecture = _balances(api("hengyang_finance"), sjh)
    assert "430000" not in prefecture and prefecture["430481"] == after["430481"]
