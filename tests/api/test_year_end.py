"""Closing a fund's year: proposed by one person, approved by another; then every unspent
balance is recalled or carried over, each move a record naming both."""

from decimal import Decimal

import sqlalchemy as sa

from fundtrack.models import AllocationRecall, FundCarryOver


def _balances(client_api, fund_id):
    items = client_api.get(f"/api/v1/funds/{fund_id}/balances").get_json()["items"]
    return {b["region"]: b for b in items}


def _settle_pending(api, fund_id):
    """The demo leaves one payment of 2017-SJH pending at 耒阳市: decide it first."""
    leiyang_checker = api("leiyang_checker")
    pending = leiyang_checker.get(
        f"/api/v1/disbursements?fund_id={fund_id}&status=pending"
    ).get_json()["items"]
    for item in pending:
        response = leiyang_checker.post(f"/api/v1/disbursements/{item['id']}/approve", json={})
        assert response.status_code == 200


def _propose(api, fund_id, reason="2017年度结算", who="province_maker"):
    response = api(who).post(f"/api/v1/funds/{fund_id}/close", json={"reason": reason})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _close(api, fund_id, reason="2017年度结算"):
    """Propose (the province maker) and approve (the province checker)."""
    proposal = _propose(api, fund_id, reason)
    response = api("province_checker").post(
        f"/api/v1/year-end-closes/{proposal['id']}/approve", json={"reason": "同意结算"}
    )
    assert response.status_code == 200, response.get_json()
    return proposal, response.get_json()


def test_open_records_block_the_proposal_and_are_named(api, fund_id):
    response = api("province_checker").post(
        f"/api/v1/funds/{fund_id('2017-SJH')}/close", json={"reason": "2017年度结算"}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert any("待审批支出" in item for item in error["details"]["unsettled"])


def test_a_proposal_moves_nothing_and_the_approval_moves_what_it_showed(api, fund_id, db_session):

    sjh = fund_id("2017-SJH")
    _settle_pending(api, sjh)
    auditor = api("auditor")
    before = _balances(auditor, sjh)
    spent = sum(Decimal(b["disbursed"]) for b in before.values())

    proposal = _propose(api, sjh, "2017年度结算，盘活存量")
    assert proposal["status"] == "proposed"
    assert _balances(auditor, sjh) == before  # nothing moved yet
    fund = auditor.get(f"/api/v1/funds/{sjh}").get_json()
    assert fund["status"] == "closing"
    planned = {(m["region"], m["to_region"], m["amount"]) for m in proposal["moves"]}
    assert planned and all(m["allocation_id"] for m in proposal["moves"])

    response = api("province_checker").post(
        f"/api/v1/year-end-closes/{proposal['id']}/approve", json={"reason": "同意结算"}
    )
    assert response.status_code == 200, response.get_json()
    decided = response.get_json()
    assert decided["status"] == "approved"
    assert {(m["region"], m["to_region"], m["amount"]) for m in decided["moves"]} == planned
    assert auditor.get(f"/api/v1/funds/{sjh}").get_json()["status"] == "closed"

    after = _balances(auditor, sjh)
    for code, balance in after.items():
        expected = Decimal("5180000.00") - spent if code == "430000" else Decimal("0.00")
        assert Decimal(balance["available"]) == expected, code
    # 耒阳市 kept what it paid; its money came back through 衡阳市
    assert after["430481"]["received"] == after["430481"]["disbursed"]
    recalls = db_session.scalars(
        sa.select(AllocationRecall).where(AllocationRecall.year_end_close_id == proposal["id"])
    ).all()
    assert recalls and all(r.status == "approved" for r in recalls)
    assert {(r.created_by_id, r.approved_by_id) for r in recalls} == {
        (proposal["created_by_id"], decided["decided_by_id"])
    }
    history = auditor.get(f"/api/v1/history/year-end-closes/{proposal['id']}").get_json()
    assert [e["reason"] for e in history["items"]] == ["2017年度结算，盘活存量", "同意结算"]


def test_a_closing_fund_moves_nothing_and_a_closed_one_neither(api, fund_id):
    sjh = fund_id("2017-SJH")
    _settle_pending(api, sjh)
    payload = {"fund_id": sjh, "to_region": "430100", "amount": "1.00", "document_no": "X"}
    proposal = _propose(api, sjh)
    response = api("province_maker").post("/api/v1/allocations", json=payload)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "fund_not_active"
    api("province_checker").post(f"/api/v1/year-end-closes/{proposal['id']}/approve", json={})
    response = api("province_maker").post("/api/v1/allocations", json=payload)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "fund_not_active"
    response = api("province_checker").post(f"/api/v1/funds/{sjh}/close", json={"reason": "again"})
    assert response.status_code == 409


def test_the_proposer_cannot_approve_and_a_rejection_moves_nothing(api, fund_id):
    dktx = fund_id("2018-DKTX")
    auditor = api("auditor")
    before = _balances(auditor, dktx)
    proposal = _propose(api, dktx, "2018年度结算", who="province_checker")
    checker = api("province_checker")
    response = checker.post(f"/api/v1/year-end-closes/{proposal['id']}/approve", json={})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "same_user_approval"
    response = api("province_maker").post(
        f"/api/v1/year-end-closes/{proposal['id']}/approve", json={}
    )
    assert response.status_code == 403  # a maker decides nothing
    response = api("province_maker").post(
        f"/api/v1/year-end-closes/{proposal['id']}/reject", json={"reason": " "}
    )
    assert response.status_code in (403, 422)
    response = checker.post(
        f"/api/v1/year-end-closes/{proposal['id']}/reject",
        json={"reason": "尚有贴息未拨付，暂缓结算"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "rejected"
    assert auditor.get(f"/api/v1/funds/{dktx}").get_json()["status"] == "active"
    assert _balances(auditor, dktx) == before


def test_carry_over_policy_moves_balances_into_next_years_fund(api, fund_id, fund, db_session):

    bx_2017, bx_2018 = fund_id("2017-BX"), fund_id("2018-BX")
    fund("2017-BX").year_end_policy = "carry_over"
    db_session.commit()
    auditor = api("auditor")
    before_2017 = _balances(auditor, bx_2017)
    before_2018 = _balances(auditor, bx_2018)

    proposal, decided = _close(api, bx_2017, "2017年度结算，结转2018年")
    assert proposal["to_fund_id"] == bx_2018

    after_2017 = _balances(auditor, bx_2017)
    after_2018 = _balances(auditor, bx_2018)
    for code, balance in before_2017.items():
        assert after_2017[code]["available"] == "0.00", code
        assert after_2017[code]["carried_over"] == balance["available"], code
        carried = Decimal(balance["available"])
        old = Decimal(before_2018.get(code, {"available": "0.00"})["available"])
        assert Decimal(after_2018[code]["available"]) == old + carried, code
    moves = db_session.scalars(
        sa.select(FundCarryOver).where(FundCarryOver.from_fund_id == bx_2017)
    ).all()
    assert {m.region_code for m in moves} == {
        code for code, b in before_2017.items() if b["available"] != "0.00"
    }
    assert {(m.created_by_id, m.approved_by_id) for m in moves} == {
        (proposal["created_by_id"], decided["decided_by_id"])
    }
    # 安仁县 never received 2018 insurance money, but now sees the fund it carried into
    anren = api("anren_finance").get("/api/v1/funds?fiscal_year=2018").get_json()["items"]
    assert "2018-BX" in {f["code"] for f in anren}


def test_carry_over_without_next_years_fund_is_refused_and_changes_nothing(
    api, fund_id, fund, db_session
):
    dktx_2018 = fund("2018-DKTX")
    dktx_2018.year_end_policy = "carry_over"
    db_session.commit()
    before = _balances(api("auditor"), fund_id("2018-DKTX"))
    response = api("province_checker").post(
        f"/api/v1/funds/{fund_id('2018-DKTX')}/close", json={"reason": "2018年度结算"}
    )
    assert response.status_code == 422
    assert "2019" in response.get_json()["error"]["message"]
    assert _balances(api("auditor"), fund_id("2018-DKTX")) == before
    assert api("auditor").get(f"/api/v1/funds/{fund_id('2018-DKTX')}").get_json()["status"] == (
        "active"
    )


def test_only_finance_staff_of_the_funds_region_propose_and_a_reason_is_required(api, fund_id):
    sjh = fund_id("2018-SJH")
    for username in ("hengyang_checker", "leiyang_finance", "auditor"):
        response = api(username).post(f"/api/v1/funds/{sjh}/close", json={"reason": "x"})
        assert response.status_code in (403, 404), username
    response = api("province_checker").post(f"/api/v1/funds/{sjh}/close", json={"reason": " "})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "reason_required"


def test_a_close_shows_each_reader_the_moves_of_the_money_they_see(api, fund_id, client, web_login):
    """耒阳市 sees the close of a fund it received (its own move), not every other region's
    balance: the moves of a close are as visible as the balance rows they move."""
    sjh = fund_id("2017-SJH")
    _settle_pending(api, sjh)
    proposal = _propose(api, sjh)
    every = {m["region"] for m in proposal["moves"]}
    assert len(every) > 3

    for username, regions in (("leiyang_finance", {"430481"}),
                              ("hengyang_checker", {"430400", "430481"}),
                              ("auditor", every)):  # fmt: skip
        reader = api(username)
        seen = {m["region"] for m in reader.get(f"/api/v1/year-end-closes/{proposal['id']}")
                .get_json()["moves"]}  # fmt: skip
        assert seen == regions & every, username
        assert seen <= set(_balances(reader, sjh)), username

    web_login("leiyang_finance")
    page = client.get(f"/funds/{sjh}").get_data(as_text=True)
    assert "耒阳市" in page and "长沙市" not in page
