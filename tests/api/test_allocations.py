"""Allocations (下达), their approval, cancellation, recall (收回) and redistribution (调剂),
through the API only. Balances are read back from ``GET /funds/{id}/balances``."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.core.timeparse import local_today
from tests.helpers import assert_refused, created, draft, ok


def balances(api, fund: int) -> dict[str, dict]:
    """The fund's balances of the whole province, by region code (read by the auditor)."""
    response = api("auditor").get(f"/api/v1/funds/{fund}/balances")
    assert response.status_code == 200
    return {b["region"]: b for b in response.get_json()["items"]}


def money(balance: dict, field: str) -> Decimal:
    return Decimal(balance[field]) if balance else Decimal("0.00")


def demo_allocation(db_session, fund: int, giver: str, receiver: str) -> int:

    return db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.fund_id == fund,
            Allocation.from_region_code == giver,
            Allocation.to_region_code == receiver,
        )
    )


# --- draft and approval -------------------------------------------------------------------


@pytest.mark.parametrize(
    "maker, checker, fund_code, giver, receiver",
    [
        ("province_maker", "province_checker", "2017-SJH", "430000", "430400"),
        ("province_maker", "province_checker", "2017-BX", "430000", "431300"),
        ("hengyang_finance", "hengyang_checker", "2017-SJH", "430400", "430481"),
        ("hengyang_finance", "hengyang_checker", "2017-DKTX", "430400", "430422"),
    ],
)
def test_a_draft_reserves_at_once_and_the_receiver_gets_the_money_on_approval(
    api, fund_id, user, maker, checker, fund_code, giver, receiver
):
    fund = fund_id(fund_code)
    checker_id = user(checker).id
    maker_id = user(maker).id
    before = balances(api, fund)

    body = created(draft(api(maker), fund, receiver, "12345.67"))
    assert body["status"] == "draft"
    assert body["from_region"] == giver
    assert body["to_region"] == receiver
    assert body["amount"] == "12345.67"
    assert body["fund_id"] == fund
    assert body["created_by_id"] == maker_id
    assert body["approved_by_id"] is None
    assert body["recalls"] == []

    drafted = balances(api, fund)
    amount = Decimal("12345.67")
    assert money(drafted[giver], "available") == money(before[giver], "available") - amount
    assert money(drafted[giver], "allocated_out") == money(before[giver], "allocated_out") + amount
    assert money(drafted.get(receiver), "received") == money(before.get(receiver), "received")
    assert money(drafted.get(receiver), "available") == money(before.get(receiver), "available")

    approved = ok(api(checker).post(f"/api/v1/allocations/{body['id']}/approve", json={}))
    assert approved["status"] == "approved"
    assert approved["approved_by_id"] == checker_id
    assert approved["approved_on"] is not None

    after = balances(api, fund)
    assert money(after[giver], "available") == money(drafted[giver], "available")
    assert money(after[receiver], "received") == money(before.get(receiver), "received") + amount
    assert money(after[receiver], "available") == money(before.get(receiver), "available") + amount


def test_approval_takes_the_business_date_given(api, fund_id):
    fund = fund_id("2017-SJH")
    body = created(draft(api("province_maker"), fund, "430400"))
    approved = ok(
        api("province_checker").post(
            f"/api/v1/allocations/{body['id']}/approve", json={"approved_on": "2017-05-02"}
        )
    )
    assert approved["approved_on"] == "2017-05-02"
    # a year's money may be issued in advance (提前下达), from the year before
    early = created(draft(api("province_maker"), fund, "430500"))
    approved = ok(
        api("province_checker").post(
            f"/api/v1/allocations/{early['id']}/approve", json={"approved_on": "2016-01-01"}
        )
    )
    assert approved["approved_on"] == "2016-01-01"


@pytest.mark.parametrize("day", ["2015-12-31", "0001-01-01", "tomorrow", "9999-12-31"])
def test_an_approval_date_in_the_future_or_before_the_year_before_is_refused(
    api, db_session, fund_id, day
):
    """The approval date is what the notice prints and the exports filter by."""
    if day == "tomorrow":
        day = (local_today() + timedelta(days=1)).isoformat()
    body = created(draft(api("province_maker"), fund_id("2017-SJH"), "430400"))
    error = assert_refused(
        db_session,
        lambda: api("province_checker").post(
            f"/api/v1/allocations/{body['id']}/approve", json={"approved_on": day}
        ),
        422,
        "validation_error",
    )
    assert error["details"]["fields"]["approved_on"] == [
        f"审批日期须在 2016-01-01 与今天 {local_today().isoformat()} 之间"
    ]
    assert ok(api("auditor").get(f"/api/v1/allocations/{body['id']}"))["status"] == "draft"


def test_a_checker_above_the_giver_may_approve(api, fund_id):
    body = created(draft(api("hengyang_finance"), fund_id("2017-SJH"), "430481"))
    approved = ok(
        api("province_checker").post(f"/api/v1/allocations/{body['id']}/approve", json={})
    )
    assert approved["status"] == "approved"


def test_the_maker_cannot_approve_its_own_allocation(api, db_session, fund_id):
    maker = api("province_maker")
    body = created(draft(maker, fund_id("2017-SJH"), "430400"))
    assert_refused(
        db_session,
        lambda: maker.post(f"/api/v1/allocations/{body['id']}/approve", json={}),
        422,
        "same_user_approval",
    )
    assert maker.get(f"/api/v1/allocations/{body['id']}").get_json()["status"] == "draft"


def test_a_maker_cannot_approve_anothers_allocation_either(api, db_session, fund_id):
    body = created(draft(api("hengyang_finance"), fund_id("2017-SJH"), "430481"))
    assert_refused(
        db_session,
        lambda: api("province_maker").post(f"/api/v1/allocations/{body['id']}/approve", json={}),
        403,
        "forbidden",
    )


def test_a_checker_below_the_giver_who_can_see_it_is_forbidden(api, db_session, fund_id):
    """耒阳市's checker sees 衡阳市's allocation to 耒阳市 (it receives it) but has no rights
    over the giver: 403."""
    body = created(draft(api("hengyang_finance"), fund_id("2017-SJH"), "430481"))
    leiyang_checker = api("leiyang_checker")
    assert leiyang_checker.get(f"/api/v1/allocations/{body['id']}").status_code == 200
    assert_refused(
        db_session,
        lambda: leiyang_checker.post(f"/api/v1/allocations/{body['id']}/approve", json={}),
        403,
        "forbidden",
    )
    assert (
        api("hengyang_checker").get(f"/api/v1/allocations/{body['id']}").get_json()["status"]
        == "draft"
    )


def test_a_checker_who_cannot_see_the_allocation_gets_404(api, db_session, fund_id):
    """衡阳市's allocation to 衡南县 lies outside 耒阳市's subtree: not even there for it."""
    body = created(draft(api("hengyang_finance"), fund_id("2017-SJH"), "430422"))
    for checker in ("leiyang_checker", "chenzhou_checker"):
        client = api(checker)
        assert client.get(f"/api/v1/allocations/{body['id']}").status_code == 404
        assert_refused(
            db_session,
            lambda client=client: client.post(f"/api/v1/allocations/{body['id']}/approve", json={}),
            404,
            "not_found",
        )


def test_an_approved_allocation_cannot_be_approved_again(api, db_session, fund_id):
    body = created(draft(api("province_maker"), fund_id("2017-SJH"), "430400"))
    checker = api("province_checker")
    ok(checker.post(f"/api/v1/allocations/{body['id']}/approve", json={}))
    assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/allocations/{body['id']}/approve", json={}),
        409,
        "invalid_transition",
    )


@pytest.mark.parametrize(
    "maker, receiver",
    [
        ("hengyang_finance", "431028"),  # 安仁县, a county of 郴州市
        ("hengyang_finance", "430000"),  # upwards, to the province
        ("hengyang_finance", "431000"),  # a sibling prefecture
        ("hengyang_finance", "430400"),  # itself
        ("province_maker", "430000"),  # itself
        ("hengyang_finance", "999999"),  # unknown
        ("province_maker", "430099"),  # unknown
    ],
)
def test_money_only_goes_down_to_an_existing_region_below(
    api, db_session, fund_id, maker, receiver
):
    client = api(maker)
    error = assert_refused(
        db_session,
        lambda: draft(client, fund_id("2017-SJH"), receiver, "1.00"),
        422,
        "validation_error",
    )
    assert "to_region" in error["details"]["fields"]


def test_a_maker_allocates_only_its_own_regions_money(api, db_session, fund_id):
    assert_refused(
        db_session,
        lambda: draft(api("hengyang_finance"), fund_id("2017-SJH"), "430481", from_region="430000"),
        403,
        "forbidden",
    )
    assert_refused(
        db_session,
        lambda: draft(api("province_checker"), fund_id("2017-SJH"), "430400"),
        403,
        "forbidden",
    )


def test_no_more_than_available_can_be_allocated(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    # 衡阳市 received 460,000.00 and gave 200,000.00 to 耒阳市
    assert balances(api, fund)["430400"]["available"] == "260000.00"
    hengyang = api("hengyang_finance")
    error = assert_refused(
        db_session, lambda: draft(hengyang, fund, "430481", "260000.01"), 422, "insufficient_funds"
    )
    assert error["details"]["available"] == "260000.00"
    assert error["details"]["requested"] == "260000.01"

    created(draft(hengyang, fund, "430482", "260000.00"))
    assert balances(api, fund)["430400"]["available"] == "0.00"
    assert_refused(
        db_session, lambda: draft(hengyang, fund, "430481", "0.01"), 422, "insufficient_funds"
    )


def test_drafts_count_against_what_is_available(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    hengyang = api("hengyang_finance")
    created(draft(hengyang, fund, "430481", "200000.00"))
    assert_refused(
        db_session, lambda: draft(hengyang, fund, "430482", "60000.01"), 422, "insufficient_funds"
    )


# --- cancel -------------------------------------------------------------------------------


def test_cancelling_a_draft_frees_its_money(api, fund_id):
    fund = fund_id("2017-SJH")
    before = balances(api, fund)
    body = created(draft(api("province_maker"), fund, "430400", "5000.00"))
    assert balances(api, fund)["430000"]["available"] == "735000.00"
    cancelled = ok(
        api("province_maker").post(
            f"/api/v1/allocations/{body['id']}/cancel", json={"reason": "文号有误，重新下达"}
        )
    )
    assert cancelled["status"] == "cancelled"
    assert balances(api, fund) == before


def test_a_checker_over_the_giver_may_cancel_a_draft(api, fund_id):
    body = created(draft(api("hengyang_finance"), fund_id("2017-SJH"), "430481"))
    cancelled = ok(
        api("hengyang_checker").post(
            f"/api/v1/allocations/{body['id']}/cancel", json={"reason": "退回重做"}
        )
    )
    assert cancelled["status"] == "cancelled"


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"], ids=repr)
def test_cancelling_needs_a_reason(api, db_session, fund_id, reason):
    maker = api("province_maker")
    body = created(draft(maker, fund_id("2017-SJH"), "430400"))
    error = assert_refused(
        db_session,
        lambda: maker.post(f"/api/v1/allocations/{body['id']}/cancel", json={"reason": reason}),
        422,
        "reason_required",
    )
    assert "reason" in error["details"]["fields"]


def test_cancelling_without_a_reason_field_is_422(api, db_session, fund_id):
    maker = api("province_maker")
    body = created(draft(maker, fund_id("2017-SJH"), "430400"))
    for payload in ({}, {"reason": None}):
        error = assert_refused(
            db_session,
            lambda payload=payload: maker.post(
                f"/api/v1/allocations/{body['id']}/cancel", json=payload
            ),
            422,
        )
        assert error["code"] in ("reason_required", "validation_error")
        assert "reason" in error["details"]["fields"]


def test_an_approved_allocation_cannot_be_cancelled(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    approved = demo_allocation(db_session, fund, "430000", "430400")
    error = assert_refused(
        db_session,
        lambda: api("province_maker").post(
            f"/api/v1/allocations/{approved}/cancel", json={"reason": "想撤回"}
        ),
        409,
        "invalid_transition",
    )
    assert error["details"]["status"] == "approved"


def test_a_cancelled_draft_cannot_be_approved(api, db_session, fund_id):
    maker = api("province_maker")
    body = created(draft(maker, fund_id("2017-SJH"), "430400"))
    ok(maker.post(f"/api/v1/allocations/{body['id']}/cancel", json={"reason": "作废"}))
    assert_refused(
        db_session,
        lambda: api("province_checker").post(f"/api/v1/allocations/{body['id']}/approve", json={}),
        409,
        "invalid_transition",
    )


def test_the_receiver_cannot_cancel_the_givers_draft(api, db_session, fund_id):
    body = created(draft(api("hengyang_finance"), fund_id("2017-SJH"), "430481"))
    assert_refused(
        db_session,
        lambda: api("leiyang_finance").post(
            f"/api/v1/allocations/{body['id']}/cancel", json={"reason": "不要"}
        ),
        403,
        "forbidden",
    )


# --- recall (收回) -------------------------------------------------------------------------


def recall(client, allocation: int, amount: str, reason: str = "项目调整，收回结余", **fields):
    return client.post(
        f"/api/v1/allocations/{allocation}/recall",
        json={"amount": amount, "reason": reason, **fields},
    )


def test_a_partial_recall_reserves_at_the_receiver_and_returns_on_approval(
    api, db_session, fund_id, user
):
    fund = fund_id("2017-SJH")
    allocation = demo_allocation(db_session, fund, "430000", "430400")
    checker_id = user("province_checker").id
    before = balances(api, fund)
    assert before["430000"]["available"] == "740000.00"
    assert before["430400"]["available"] == "260000.00"

    body = created(
        recall(api("province_maker"), allocation, "60000.00", document_no="湘收〔2017〕1号")
    )
    assert body["status"] == "draft"
    assert body["allocation_id"] == allocation
    assert body["amount"] == "60000.00"
    assert body["redistribute_to"] is None

    drafted = balances(api, fund)
    assert drafted["430400"]["available"] == "200000.00"  # reserved at once
    assert drafted["430400"]["received"] == "460000.00"
    assert drafted["430000"]["available"] == "740000.00"  # not yet back

    approved = ok(api("province_checker").post(f"/api/v1/recalls/{body['id']}/approve", json={}))
    assert approved["status"] == "approved"
    assert approved["approved_by_id"] == checker_id
    assert approved["recalled_on"] is not None

    after = balances(api, fund)
    assert after["430000"]["available"] == "800000.00"
    assert after["430000"]["allocated_out"] == "4380000.00"
    assert after["430400"]["received"] == "400000.00"
    assert after["430400"]["available"] == "200000.00"

    detail = ok(api("province_maker").get(f"/api/v1/allocations/{allocation}"))
    assert detail["status"] == "approved"  # only part of it came back
    assert detail["amount"] == "460000.00"  # the approved amount is never edited
    assert [(r["id"], r["status"], r["amount"]) for r in detail["recalls"]] == [
        (body["id"], "approved", "60000.00")
    ]
    assert ok(api("province_maker").get(f"/api/v1/recalls/{body['id']}"))["status"] == "approved"


@pytest.mark.parametrize("day", ["2017-04-09", "0001-01-01", "tomorrow"])
def test_a_recall_date_before_the_allocation_or_in_the_future_is_refused(
    api, db_session, fund_id, day
):
    """The demo's 2017 三结合 to 衡阳市 was approved on 2017-04-10."""
    if day == "tomorrow":
        day = (local_today() + timedelta(days=1)).isoformat()
    allocation = demo_allocation(db_session, fund_id("2017-SJH"), "430000", "430400")
    body = created(recall(api("province_maker"), allocation, "100.00"))
    checker = api("province_checker")
    url = f"/api/v1/recalls/{body['id']}/approve"
    error = assert_refused(
        db_session, lambda: checker.post(url, json={"approved_on": day}), 422, "validation_error"
    )
    assert error["details"]["fields"]["approved_on"] == [
        f"收回日期须在下达审批日期 2017-04-10 与今天 {local_today().isoformat()} 之间"
    ]
    assert ok(checker.get(f"/api/v1/recalls/{body['id']}"))["status"] == "draft"
    approved = ok(checker.post(url, json={"approved_on": "2017-04-10"}))
    assert approved["recalled_on"] == "2017-04-10"


def test_a_full_recall_marks_the_allocation_recalled(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    allocation = demo_allocation(db_session, fund, "430000", "430200")  # 株洲市, untouched
    maker, checker = api("province_maker"), api("province_checker")
    first = created(recall(maker, allocation, "300000.00"))
    ok(checker.post(f"/api/v1/recalls/{first['id']}/approve", json={}))
    assert ok(maker.get(f"/api/v1/allocations/{allocation}"))["status"] == "approved"
    second = created(recall(maker, allocation, "20000.00"))
    ok(checker.post(f"/api/v1/recalls/{second['id']}/approve", json={}))

    assert ok(maker.get(f"/api/v1/allocations/{allocation}"))["status"] == "recalled"
    after = balances(api, fund)
    assert after["430200"]["received"] == "0.00"
    assert after["430200"]["available"] == "0.00"
    assert after["430000"]["available"] == "1060000.00"
    # nothing is left to recall
    assert_refused(db_session, lambda: recall(maker, allocation, "0.01"), 409, "invalid_transition")


def test_recalling_more_than_is_unrecalled_is_refused(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    allocation = demo_allocation(db_session, fund, "430000", "430200")  # 320,000.00
    maker = api("province_maker")
    error = assert_refused(
        db_session, lambda: recall(maker, allocation, "320000.01"), 422, "insufficient_funds"
    )
    assert error["details"]["recallable"] == "320000.00"
    # a draft recall already holds its part
    created(recall(maker, allocation, "300000.00"))
    error = assert_refused(
        db_session, lambda: recall(maker, allocation, "20000.01"), 422, "insufficient_funds"
    )
    assert error["details"]["recallable"] == "20000.00"


def test_recalling_more_than_the_receiver_has_available_is_refused(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    # 衡阳市 got 460,000.00 but passed 200,000.00 on to 耒阳市: 260,000.00 available
    allocation = demo_allocation(db_session, fund, "430000", "430400")
    error = assert_refused(
        db_session,
        lambda: recall(api("province_maker"), allocation, "260000.01"),
        422,
        "insufficient_funds",
    )
    assert error["details"]["available"] == "260000.00"
    # 耒阳市 has spent or reserved 93,000.00 of its 200,000.00
    county = demo_allocation(db_session, fund, "430400", "430481")
    assert_refused(
        db_session,
        lambda: recall(api("hengyang_finance"), county, "107000.01"),
        422,
        "insufficient_funds",
    )


def test_a_recall_needs_a_reason(api, db_session, fund_id):
    allocation = demo_allocation(db_session, fund_id("2017-SJH"), "430000", "430200")
    assert_refused(
        db_session,
        lambda: recall(api("province_maker"), allocation, "1.00", reason="  "),
        422,
        "reason_required",
    )


def test_only_an_approved_allocation_can_be_recalled(api, db_session, fund_id):
    body = created(draft(api("province_maker"), fund_id("2017-SJH"), "430400"))
    assert_refused(
        db_session,
        lambda: recall(api("province_maker"), body["id"], "1.00"),
        409,
        "invalid_transition",
    )


def test_only_the_givers_maker_recalls_and_not_its_own_recall_approved(api, db_session, fund_id):
    allocation = demo_allocation(db_session, fund_id("2017-SJH"), "430000", "430400")
    assert_refused(
        db_session,
        lambda: recall(api("hengyang_finance"), allocation, "1.00"),
        403,
        "forbidden",
    )
    maker = api("province_maker")
    body = created(recall(maker, allocation, "1.00"))
    assert_refused(
        db_session,
        lambda: maker.post(f"/api/v1/recalls/{body['id']}/approve", json={}),
        422,
        "same_user_approval",
    )
    assert_refused(
        db_session,
        lambda: api("hengyang_checker").post(f"/api/v1/recalls/{body['id']}/approve", json={}),
        403,
        "forbidden",
    )


def test_cancelling_a_draft_recall_gives_the_money_back_to_the_receiver(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    allocation = demo_allocation(db_session, fund, "430000", "430400")
    before = balances(api, fund)
    body = created(recall(api("province_maker"), allocation, "1000.00"))
    assert balances(api, fund)["430400"]["available"] == "259000.00"
    cancelled = ok(
        api("province_maker").post(
            f"/api/v1/recalls/{body['id']}/cancel", json={"reason": "不收了"}
        )
    )
    assert cancelled["status"] == "cancelled"
    assert balances(api, fund) == before
    assert_refused(
        db_session,
        lambda: api("province_checker").post(f"/api/v1/recalls/{body['id']}/approve", json={}),
        409,
        "invalid_transition",
    )


# --- redistribution (调剂) ------------------------------------------------------------------


def test_a_redistribution_becomes_a_new_approved_allocation_from_the_same_giver(
    api, db_session, fund_id, user
):
    fund = fund_id("2017-SJH")
    allocation = demo_allocation(db_session, fund, "430000", "430200")  # 株洲市 320,000.00
    maker_id, checker_id = user("province_maker").id, user("province_checker").id
    before = balances(api, fund)

    body = created(
        recall(
            api("province_maker"),
            allocation,
            "100000.00",
            reason="株洲市项目未启动，调剂给衡阳市",
            redistribute_to="430400",
            document_no="湘计生协〔2017〕调1号",
        )
    )
    assert body["redistribute_to"] == "430400"
    assert body["redistributed_as_id"] is None
    drafted = balances(api, fund)
    assert drafted["430200"]["available"] == "220000.00"
    assert drafted["430400"] == before["430400"]
    assert drafted["430000"] == before["430000"]

    approved = ok(api("province_checker").post(f"/api/v1/recalls/{body['id']}/approve", json={}))
    assert approved["status"] == "approved"
    onward_id = approved["redistributed_as_id"]
    assert onward_id is not None and onward_id != allocation

    onward = ok(api("province_checker").get(f"/api/v1/allocations/{onward_id}"))
    assert onward["status"] == "approved"
    assert onward["fund_id"] == fund
    assert onward["from_region"] == "430000"
    assert onward["to_region"] == "430400"
    assert onward["amount"] == "100000.00"
    assert onward["document_no"] == "湘计生协〔2017〕调1号"
    assert onward["created_by_id"] == maker_id
    assert onward["approved_by_id"] == checker_id
    assert (
        ok(api("province_checker").get(f"/api/v1/allocations/{allocation}"))["status"] == "approved"
    )

    after = balances(api, fund)
    assert after["430200"]["received"] == "220000.00"
    assert after["430200"]["available"] == "220000.00"
    assert after["430400"]["received"] == "560000.00"
    assert after["430400"]["available"] == "360000.00"
    # the giver's money only moved from one receiver to another
    assert after["430000"]["available"] == before["430000"]["available"]
    assert after["430000"]["allocated_out"] == before["430000"]["allocated_out"]

    listed = ok(
        api("province_maker").get(
            f"/api/v1/allocations?fund_id={fund}&from_region=430000&to_region=430400"
        )
    )
    assert {item["id"] for item in listed["items"]} >= {onward_id}
    assert listed["total"] == 2


@pytest.mark.parametrize(
    "target",
    ["430200", "430000", "430481", "999999"],
    ids=["same", "giver", "county-below", "unknown"],
)
def test_a_redistribution_goes_only_to_another_region_right_below(api, db_session, fund_id, target):
    allocation = demo_allocation(db_session, fund_id("2017-SJH"), "430000", "430200")
    if target == "430481":
        # a county below the province is a valid receiver: only the others are refused
        body = created(recall(api("province_maker"), allocation, "1.00", redistribute_to=target))
        assert body["redistribute_to"] == target
        return
    error = assert_refused(
        db_session,
        lambda: recall(api("province_maker"), allocation, "1.00", redistribute_to=target),
        422,
        "validation_error",
    )
    assert "redistribute_to" in error["details"]["fields"]


# --- visibility ---------------------------------------------------------------------------


def test_a_county_cannot_see_another_prefectures_allocation(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    chenzhou = demo_allocation(db_session, fund, "431000", "431028")
    leiyang = api("leiyang_finance")
    response = leiyang.get(f"/api/v1/allocations/{chenzhou}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api("chenzhou_finance").get(f"/api/v1/allocations/{chenzhou}").status_code == 200
    assert api("anren_finance").get(f"/api/v1/allocations/{chenzhou}").status_code == 200
    assert leiyang.get("/api/v1/allocations/999999").status_code == 404
    ids = {a["id"] for a in ok(leiyang.get("/api/v1/allocations?per_page=200"))["items"]}
    assert chenzhou not in ids


def test_a_county_cannot_act_on_what_it_cannot_see(api, db_session, fund_id):
    fund = fund_id("2017-SJH")
    chenzhou = demo_allocation(db_session, fund, "431000", "431028")
    assert_refused(
        db_session,
        lambda: recall(api("leiyang_finance"), chenzhou, "1.00"),
        404,
        "not_found",
    )


# --- lists --------------------------------------------------------------------------------


def test_the_list_is_paginated(api):
    checker = api("province_checker")
    everything = ok(checker.get("/api/v1/allocations?per_page=200"))
    assert set(everything) == {"items", "page", "per_page", "total"}
    # 12 + 12 + 13 + 2 + 2 from the province, 9 by the prefectures
    assert everything["total"] == 50
    assert len(everything["items"]) == 50
    assert everything["page"] == 1 and everything["per_page"] == 200
    ids = [a["id"] for a in everything["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first

    first = ok(checker.get("/api/v1/allocations?per_page=7"))
    assert len(first["items"]) == 7
    assert first["total"] == 50
    assert first["per_page"] == 7
    second = ok(checker.get("/api/v1/allocations?per_page=7&page=2"))
    assert [a["id"] for a in first["items"] + second["items"]] == ids[:14]
    last = ok(checker.get("/api/v1/allocations?per_page=7&page=8"))
    assert [a["id"] for a in last["items"]] == ids[49:]
    assert ok(checker.get("/api/v1/allocations?per_page=7&page=9"))["items"] == []

    for bad in ("per_page=0", "per_page=201", "page=0", "per_page=abc"):
        response = checker.get(f"/api/v1/allocations?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["code"] == "validation_error"


def test_the_list_filters(api, fund_id):
    checker = api("province_checker")
    sjh = fund_id("2017-SJH")
    mine = created(draft(api("hengyang_finance"), sjh, "430482", "1.00"))

    by_fund = ok(checker.get(f"/api/v1/allocations?fund_id={sjh}&per_page=200"))
    assert by_fund["total"] == 12 + 5 + 1
    assert {a["fund_id"] for a in by_fund["items"]} == {sjh}

    drafts = ok(checker.get("/api/v1/allocations?status=draft"))
    assert [a["id"] for a in drafts["items"]] == [mine["id"]]
    assert drafts["total"] == 1

    given = ok(checker.get("/api/v1/allocations?from_region=430400&per_page=200"))
    assert given["total"] == 5
    assert {a["from_region"] for a in given["items"]} == {"430400"}

    received = ok(checker.get("/api/v1/allocations?to_region=430481"))
    assert received["total"] == 4
    assert {a["to_region"] for a in received["items"]} == {"430481"}

    combined = ok(
        checker.get(f"/api/v1/allocations?fund_id={sjh}&status=approved&from_region=430400")
    )
    assert combined["total"] == 1
    assert combined["items"][0]["to_region"] == "430481"

    response = checker.get("/api/v1/allocations?status=lost")
    assert response.status_code == 422


def test_a_county_lists_only_what_touches_its_subtree(api):
    for username, region, total in (
        ("leiyang_finance", "430481", 4),
        ("anren_finance", "431028", 2),
    ):
        listed = ok(api(username).get("/api/v1/allocations?per_page=200"))
        assert listed["total"] == total
        assert len(listed["items"]) == total
        for item in listed["items"]:
            assert region in (item["from_region"], item["to_region"])
    hengyang = ok(api("hengyang_finance").get("/api/v1/allocations?per_page=200"))
    # the province's 5 to 衡阳市, and 衡阳市's 4 to 耒阳市
    assert hengyang["total"] == 9
    for item in hengyang["items"]:
        assert "430400" in (item["from_region"], item["to_region"])
