"""Disbursements (支出): earmark, maker-checker, reversal, rejection, benefit rules and
masking, through the API only."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from fundtrack.beneficiaries.models import Beneficiary
from fundtrack.disbursements.models import Disbursement
from tests.helpers import assert_refused, created, id_number, ok, pay, register


def balances(api, fund: int) -> dict[str, dict]:
    response = api("auditor").get(f"/api/v1/funds/{fund}/balances")
    assert response.status_code == 200
    return {b["region"]: b for b in response.get_json()["items"]}


def demo_disbursement(db_session, voucher: str) -> int:

    return db_session.scalar(sa.select(Disbursement.id).where(Disbursement.voucher_no == voucher))


# --- record and approve -------------------------------------------------------------------


def test_a_payment_is_pending_and_reserves_its_money_at_once(api, fund_id, user):
    sjh = fund_id("2017-SJH")
    maker_id, checker_id = user("leiyang_finance").id, user("leiyang_checker").id
    before = balances(api, sjh)["430481"]
    assert before["available"] == "107000.00"
    assert before["disbursed"] == "93000.00"

    body = created(pay(api("leiyang_finance"), sjh, "2500.50"))
    assert body["status"] == "pending"
    assert body["amount"] == "2500.50"
    assert body["region"] == "430481"
    assert body["category"] == "project_support"
    assert body["fund_id"] == sjh
    assert body["created_by_id"] == maker_id
    assert body["approved_by_id"] is None
    assert body["reverses_id"] is None

    pending = balances(api, sjh)["430481"]
    assert pending["available"] == "104499.50"
    assert pending["disbursed"] == "95500.50"
    assert pending["received"] == before["received"]

    approved = ok(api("leiyang_checker").post(f"/api/v1/disbursements/{body['id']}/approve"))
    assert approved["status"] == "approved"
    assert approved["approved_by_id"] == checker_id
    after = balances(api, sjh)
    assert after["430481"]["available"] == "104499.50"
    assert after["430481"]["disbursed"] == "95500.50"
    # what is spent rolls up: 耒阳市 spent 78,000.00 + 2,500.50 of the 200,000.00 it received
    assert after["430481"]["execution_rate"] == "0.4025"
    assert (
        ok(api("hengyang_checker").get(f"/api/v1/disbursements/{body['id']}"))["status"]
        == "approved"
    )


def test_the_maker_cannot_approve_its_own_payment(api, db_session, fund_id):
    maker = api("leiyang_finance")
    body = created(pay(maker, fund_id("2017-SJH")))
    assert_refused(
        db_session,
        lambda: maker.post(f"/api/v1/disbursements/{body['id']}/approve"),
        422,
        "same_user_approval",
    )
    assert ok(maker.get(f"/api/v1/disbursements/{body['id']}"))["status"] == "pending"


def test_only_a_checker_over_the_region_approves(api, db_session, fund_id):
    body = created(pay(api("leiyang_finance"), fund_id("2017-SJH")))
    assert_refused(
        db_session,
        lambda: api("hengyang_finance").post(f"/api/v1/disbursements/{body['id']}/approve"),
        403,
        "forbidden",
    )
    assert_refused(
        db_session,
        lambda: api("chenzhou_checker").post(f"/api/v1/disbursements/{body['id']}/approve"),
        404,
        "not_found",
    )
    # a checker above the region may
    assert (
        ok(api("hengyang_checker").post(f"/api/v1/disbursements/{body['id']}/approve"))["status"]
        == "approved"
    )


def test_a_maker_pays_only_in_its_own_region(api, db_session, fund_id):
    assert_refused(
        db_session,
        lambda: pay(api("hengyang_finance"), fund_id("2017-SJH"), region="430481"),
        403,
        "forbidden",
    )


def test_no_more_than_available_can_be_paid(api, db_session, fund_id):
    sjh = fund_id("2017-SJH")
    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session, lambda: pay(leiyang, sjh, "107000.01"), 422, "insufficient_funds"
    )
    assert error["details"]["available"] == "107000.00"
    created(pay(leiyang, sjh, "107000.00"))
    assert balances(api, sjh)["430481"]["available"] == "0.00"
    assert_refused(db_session, lambda: pay(leiyang, sjh, "0.01"), 422, "insufficient_funds")


def test_an_approved_payment_cannot_be_approved_again(api, db_session):
    paid = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    assert_refused(
        db_session,
        lambda: api("leiyang_checker").post(f"/api/v1/disbursements/{paid}/approve"),
        409,
        "invalid_transition",
    )


# --- 专款专用 -------------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["office", "meeting", "reception", "travel", "salary"])
def test_running_costs_are_never_paid_from_a_special_fund(api, db_session, fund_id, category):
    sjh = fund_id("2017-SJH")
    assert Decimal(balances(api, sjh)["430481"]["available"]) > 100_000
    error = assert_refused(
        db_session,
        lambda: pay(api("leiyang_finance"), sjh, "0.01", category=category),
        422,
        "not_earmarked",
    )
    assert error["details"]["category"] == category
    assert error["details"]["earmarked_categories"] == ["project_support", "skills_training"]


@pytest.mark.parametrize(
    "fund_code, category",
    [
        ("2017-SJH", "insurance_premium"),
        ("2017-SJH", "hospital_allowance"),
        ("2017-SJH", "nursing_subsidy"),
        ("2017-SJH", "loan_interest_subsidy"),
        ("2017-BX", "project_support"),
        ("2017-BX", "nursing_subsidy"),  # only 2018's insurance fund pays the nursing subsidy
        ("2017-DKTX", "skills_training"),
    ],
)
def test_another_funds_earmark_is_not_earmarked_here(api, db_session, fund_id, fund_code, category):
    extra = {}
    if category in ("hospital_allowance", "nursing_subsidy"):
        person = register(api("leiyang_finance"), 901, "special")
        extra = {"beneficiary_id": person["id"], "days": 1, "paid_on": "2017-09-01"}
    error = assert_refused(
        db_session,
        lambda: pay(api("leiyang_finance"), fund_id(fund_code), "1.00", category=category, **extra),
        422,
        "not_earmarked",
    )
    assert error["details"]["category"] == category


def test_an_unknown_category_is_a_validation_error(api, db_session, fund_id):
    error = assert_refused(
        db_session,
        lambda: pay(api("leiyang_finance"), fund_id("2017-SJH"), category="no_such_thing"),
        422,
        "validation_error",
    )
    assert "category" in error["details"]["fields"]


def test_skills_training_is_earmarked_for_sanjiehe(api, fund_id):
    body = created(pay(api("leiyang_finance"), fund_id("2017-SJH"), category="skills_training"))
    assert body["category"] == "skills_training"


# --- reversal -----------------------------------------------------------------------------


def test_reversal_is_a_proposal_that_moves_nothing_until_a_second_checker_approves(
    api, db_session, fund_id, user
):
    sjh = fund_id("2017-SJH")
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")  # 20,000.00 to 王建国
    checker_id = user("leiyang_checker").id
    before = balances(api, sjh)
    assert before["430481"]["disbursed"] == "93000.00"

    compensation = created(
        api("leiyang_checker").post(
            f"/api/v1/disbursements/{original}/reverse",
            json={"reason": "重复支付，冲销", "reversed_on": "2017-12-20"},
        )
    )
    assert compensation["amount"] == "-20000.00"
    assert compensation["reverses_id"] == original
    assert compensation["id"] != original
    assert compensation["status"] == "pending"
    assert compensation["paid_on"] == "2017-12-20"  # the reversal's own business date
    assert compensation["fund_id"] == sjh
    assert compensation["region"] == "430481"
    assert compensation["category"] == "project_support"
    assert compensation["created_by_id"] == checker_id
    assert "重复支付，冲销" in compensation["purpose"]
    proposed = ok(api("leiyang_finance").get(f"/api/v1/disbursements/{original}"))
    assert proposed["status"] == "approved"
    assert proposed["reversal_id"] == compensation["id"]
    assert balances(api, sjh) == before  # every balance as it was

    # the proposer cannot approve it, however senior
    error = assert_refused(
        db_session,
        lambda: api("leiyang_checker").post(
            f"/api/v1/disbursements/{compensation['id']}/approve", json={"reason": "同意"}
        ),
        422,
        "same_user_approval",
    )
    assert error["message"]
    assert balances(api, sjh) == before

    approved = ok(
        api("hengyang_checker").post(
            f"/api/v1/disbursements/{compensation['id']}/approve",
            json={"reason": "核实为重复支付，同意冲销"},
        )
    )
    assert approved["status"] == "approved"
    reversed_original = ok(api("leiyang_finance").get(f"/api/v1/disbursements/{original}"))
    assert reversed_original["status"] == "reversed"
    assert reversed_original["amount"] == "20000.00"  # the original is never edited
    assert reversed_original["reversed_on"] == "2017-12-20"

    after = balances(api, sjh)["430481"]
    assert after["disbursed"] == "73000.00"
    assert after["available"] == "127000.00"
    assert after["received"] == before["430481"]["received"]
    # spent: 78,000.00 approved before, 58,000.00 after
    assert after["execution_rate"] == "0.2900"


def test_a_refused_reversal_leaves_the_payment_paid_and_may_be_proposed_again(
    api, db_session, fund_id
):
    sjh = fund_id("2017-SJH")
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    before = balances(api, sjh)
    maker = api("leiyang_finance")  # the paying region's maker proposes as well
    first = created(
        maker.post(f"/api/v1/disbursements/{original}/reverse", json={"reason": "疑似重复"})
    )
    refused = ok(
        api("leiyang_checker").post(
            f"/api/v1/disbursements/{first['id']}/reject", json={"reason": "核实不重复"}
        )
    )
    assert refused["status"] == "rejected"
    assert ok(maker.get(f"/api/v1/disbursements/{original}"))["status"] == "approved"
    assert balances(api, sjh) == before
    again = created(
        maker.post(f"/api/v1/disbursements/{original}/reverse", json={"reason": "确认重复"})
    )
    assert again["id"] != first["id"]


@pytest.mark.parametrize(
    "reversed_on", ["2017-06-11", "2999-01-01"], ids=["before-the-payment", "in-the-future"]
)
def test_a_reversal_is_dated_between_the_payment_and_today(api, db_session, reversed_on):
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")  # paid 2017-06-12
    error = assert_refused(
        db_session,
        lambda: api("leiyang_checker").post(
            f"/api/v1/disbursements/{original}/reverse",
            json={"reason": "冲销", "reversed_on": reversed_on},
        ),
        422,
        "validation_error",
    )
    assert "reversed_on" in error["details"]["fields"]


def test_a_payment_has_one_open_reversal_and_is_reversed_only_once(api, db_session):
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    checker = api("leiyang_checker")
    proposal = created(
        checker.post(f"/api/v1/disbursements/{original}/reverse", json={"reason": "冲销"})
    )
    error = assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/disbursements/{original}/reverse", json={"reason": "再冲"}),
        409,
        "invalid_transition",
    )
    assert error["details"]["reversal_id"] == proposal["id"]
    ok(api("hengyang_checker").post(f"/api/v1/disbursements/{proposal['id']}/approve"))
    error = assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/disbursements/{original}/reverse", json={"reason": "再冲"}),
        409,
        "invalid_transition",
    )
    assert error["details"]["status"] == "reversed"


def test_a_compensating_record_cannot_itself_be_reversed(api, db_session):
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    checker = api("leiyang_checker")
    compensation = created(
        checker.post(f"/api/v1/disbursements/{original}/reverse", json={"reason": "冲销"})
    )
    assert_refused(
        db_session,
        lambda: checker.post(
            f"/api/v1/disbursements/{compensation['id']}/reverse", json={"reason": "冲销的冲销"}
        ),
        409,
        "invalid_transition",
    )


@pytest.mark.parametrize("payload", [{"reason": ""}, {"reason": "   "}, {}], ids=repr)
def test_reversal_needs_a_reason(api, db_session, payload):
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    error = assert_refused(
        db_session,
        lambda: api("leiyang_checker").post(
            f"/api/v1/disbursements/{original}/reverse", json=payload
        ),
        422,
    )
    assert error["code"] in ("reason_required", "validation_error")
    if payload:
        assert error["code"] == "reason_required"
    assert "reason" in error["details"]["fields"]


def test_a_pending_payment_cannot_be_reversed(api, db_session):
    pending = demo_disbursement(db_session, "耒财〔2017〕凭1120-05")
    assert_refused(
        db_session,
        lambda: api("leiyang_checker").post(
            f"/api/v1/disbursements/{pending}/reverse", json={"reason": "冲销"}
        ),
        409,
        "invalid_transition",
    )


@pytest.mark.parametrize("username", ["anren_finance", "hengyang_finance", "auditor"])
def test_only_the_paying_regions_maker_or_a_checker_over_it_proposes_a_reversal(
    api, db_session, username
):
    original = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    error = assert_refused(
        db_session,
        lambda: api(username).post(
            f"/api/v1/disbursements/{original}/reverse", json={"reason": "冲销"}
        ),
        (403, 404),
    )
    assert error["code"] in ("forbidden", "not_found")


# --- rejection ----------------------------------------------------------------------------


def test_rejecting_a_pending_payment_frees_its_money(api, db_session, fund_id):
    sjh = fund_id("2017-SJH")
    pending = demo_disbursement(db_session, "耒财〔2017〕凭1120-05")  # 15,000.00, pending
    before = balances(api, sjh)["430481"]
    rejected = ok(
        api("leiyang_checker").post(
            f"/api/v1/disbursements/{pending}/reject", json={"reason": "缺少项目验收材料"}
        )
    )
    assert rejected["status"] == "rejected"
    after = balances(api, sjh)["430481"]
    assert after["available"] == "122000.00"
    assert after["disbursed"] == "78000.00"
    assert after["execution_rate"] == before["execution_rate"]
    # a rejected payment is final
    assert_refused(
        db_session,
        lambda: api("leiyang_checker").post(f"/api/v1/disbursements/{pending}/approve"),
        409,
        "invalid_transition",
    )


def test_rejecting_needs_a_reason_and_a_pending_payment(api, db_session):
    pending = demo_disbursement(db_session, "耒财〔2017〕凭1120-05")
    checker = api("leiyang_checker")
    assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/disbursements/{pending}/reject", json={"reason": " "}),
        422,
        "reason_required",
    )
    approved = demo_disbursement(db_session, "耒财〔2017〕凭0612-01")
    assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/disbursements/{approved}/reject", json={"reason": "退回"}),
        409,
        "invalid_transition",
    )


# --- masking ------------------------------------------------------------------------------


def test_id_numbers_are_masked_in_every_answer(api, db_session, fund_id):

    full_numbers = set(db_session.scalars(sa.select(Beneficiary.id_number)))
    leiyang = api("leiyang_finance")
    person = register(
        leiyang, 11, "single_child", name="赵测试", publicised=("hospital_allowance",)
    )
    full_numbers.add(id_number(11))
    assert "*" in person["id_number"]
    assert person["id_number"] != id_number(11)

    answers = []
    bx = fund_id("2017-BX")
    paid = created(
        pay(
            leiyang,
            bx,
            "100.00",
            category="hospital_allowance",
            beneficiary_id=person["id"],
            days=2,
            paid_on="2017-09-20",
        )
    )
    answers.append(paid)
    sjh = fund_id("2017-SJH")
    answers.append(
        created(pay(leiyang, sjh, "500.00", payee_name="钱测试", payee_id_number=id_number(12)))
    )
    full_numbers.add(id_number(12))
    answers.append(ok(api("leiyang_checker").post(f"/api/v1/disbursements/{paid['id']}/approve")))
    answers.append(
        created(
            api("leiyang_checker").post(
                f"/api/v1/disbursements/{paid['id']}/reverse", json={"reason": "住院天数有误"}
            )
        )
    )
    answers.extend(ok(leiyang.get("/api/v1/disbursements?per_page=200"))["items"])
    answers.extend(ok(api("auditor").get("/api/v1/disbursements?per_page=200"))["items"])
    answers.append(ok(leiyang.get(f"/api/v1/disbursements/{paid['id']}")))

    with_numbers = [a for a in answers if a["payee_id_number"] is not None]
    assert len(with_numbers) >= 8
    for answer in with_numbers:
        masked = answer["payee_id_number"]
        assert "*" in masked, answer
        assert masked not in full_numbers
        assert len(masked) == 18 and masked[6:14] == "*" * 8
    # and nowhere else in the raw answers
    for response in (
        leiyang.get("/api/v1/disbursements?per_page=200"),
        leiyang.get(f"/api/v1/beneficiaries/{person['id']}"),
    ):
        text = response.get_data(as_text=True)
        for number in full_numbers:
            assert number not in text


# --- benefit rules ------------------------------------------------------------------------


def allowance(client, fund: int, person: int, days: int, amount: str, **fields):
    return pay(
        client,
        fund,
        amount,
        category=fields.pop("category", "hospital_allowance"),
        beneficiary_id=person,
        days=days,
        paid_on=fields.pop("paid_on", "2017-09-20"),
        voucher_no=fields.pop("voucher_no", f"耒财〔2017〕住{days}-{amount}"),
        **fields,
    )


def test_the_hospital_allowance_pays_50_a_day(api, db_session, fund_id):
    bx = fund_id("2017-BX")
    leiyang = api("leiyang_finance")
    person = register(leiyang, 21, "special", publicised=("hospital_allowance",))
    body = created(allowance(leiyang, bx, person["id"], 10, "500.00"))
    assert body["status"] == "pending"
    assert body["days"] == 10
    assert body["beneficiary_id"] == person["id"]
    assert body["payee_name"] == "张测试"
    error = assert_refused(
        db_session,
        lambda: allowance(leiyang, bx, person["id"], 10, "501.00"),
        422,
        "benefit_cap_exceeded",
    )
    assert error["details"]["max_amount"] == "500.00"
    # less than the rate is fine
    created(allowance(leiyang, bx, person["id"], 2, "60.00"))


def test_the_hospital_allowance_stops_at_100_days_a_year(api, db_session, fund_id):
    bx = fund_id("2017-BX")
    leiyang = api("leiyang_finance")
    person = register(leiyang, 22, "two_daughters", publicised=("hospital_allowance",))
    created(allowance(leiyang, bx, person["id"], 60, "3000.00"))
    error = assert_refused(
        db_session,
        lambda: allowance(leiyang, bx, person["id"], 41, "2050.00"),
        422,
        "benefit_cap_exceeded",
    )
    assert error["details"]["used_days"] == 60
    assert error["details"]["max_days"] == 100
    created(allowance(leiyang, bx, person["id"], 40, "2000.00"))
    assert_refused(
        db_session,
        lambda: allowance(leiyang, bx, person["id"], 1, "50.00"),
        422,
        "benefit_cap_exceeded",
    )


def test_the_days_of_a_rejected_payment_are_free_again(api, db_session, fund_id):
    bx = fund_id("2017-BX")
    leiyang = api("leiyang_finance")
    person = register(leiyang, 23, "special", publicised=("hospital_allowance",))
    first = created(allowance(leiyang, bx, person["id"], 100, "5000.00"))
    assert_refused(
        db_session,
        lambda: allowance(leiyang, bx, person["id"], 1, "50.00"),
        422,
        "benefit_cap_exceeded",
    )
    ok(
        api("leiyang_checker").post(
            f"/api/v1/disbursements/{first['id']}/reject", json={"reason": "天数有误"}
        )
    )
    created(allowance(leiyang, bx, person["id"], 30, "1500.00"))


def test_a_reversed_benefit_gives_its_days_back_and_frees_the_region(api, db_session, fund_id):
    bx = fund_id("2017-BX")
    leiyang, hengyang = api("leiyang_finance"), api("hengyang_finance")
    checker = api("leiyang_checker")
    person = register(leiyang, 24, "special", publicised=("hospital_allowance",))
    paid = created(allowance(leiyang, bx, person["id"], 100, "5000.00"))
    ok(checker.post(f"/api/v1/disbursements/{paid['id']}/approve"))
    assert_refused(
        db_session,
        lambda: allowance(leiyang, bx, person["id"], 1, "50.00"),
        422,
        "benefit_cap_exceeded",
    )
    assert_refused(
        db_session,
        lambda: allowance(hengyang, bx, person["id"], 1, "50.00"),
        422,
        "duplicate_benefit",
    )
    proposal = created(
        checker.post(f"/api/v1/disbursements/{paid['id']}/reverse", json={"reason": "未住院"})
    )
    # while the reversal awaits its decision the days stay used
    assert_refused(
        db_session,
        lambda: allowance(hengyang, bx, person["id"], 1, "50.00"),
        422,
        "duplicate_benefit",
    )
    ok(api("hengyang_checker").post(f"/api/v1/disbursements/{proposal['id']}/approve"))
    created(allowance(hengyang, bx, person["id"], 100, "5000.00", voucher_no="衡财-改由市发放"))


def test_the_nursing_subsidy_is_for_special_families_only(api, db_session, fund_id):
    bx18 = fund_id("2018-BX")
    leiyang = api("leiyang_finance")
    # 2018-BX reached 耒阳市 through 衡阳市
    assert balances(api, bx18)["430481"]["available"] == "400000.00"
    for seq, family_type in enumerate(("single_child", "two_daughters", "poor", "other"), 30):
        person = register(leiyang, seq, family_type, publicised=("nursing_subsidy",))
        error = assert_refused(
            db_session,
            lambda person=person: allowance(
                leiyang,
                bx18,
                person["id"],
                10,
                "1000.00",
                category="nursing_subsidy",
                paid_on="2018-05-10",
            ),
            422,
            "validation_error",
        )
        assert "beneficiary_id" in error["details"]["fields"]
    special = register(leiyang, 39, "special", publicised=("nursing_subsidy",))
    body = created(
        allowance(
            leiyang,
            bx18,
            special["id"],
            10,
            "1000.00",
            category="nursing_subsidy",
            paid_on="2018-05-10",
        )
    )
    assert body["category"] == "nursing_subsidy"
    assert balances(api, bx18)["430481"]["available"] == "399000.00"


def test_the_nursing_subsidy_pays_100_a_day_for_50_days(api, db_session, fund_id):
    bx18 = fund_id("2018-BX")
    leiyang = api("leiyang_finance")
    person = register(leiyang, 40, "special", publicised=("nursing_subsidy",))

    def nursing(days, amount):
        return allowance(
            leiyang,
            bx18,
            person["id"],
            days,
            amount,
            category="nursing_subsidy",
            paid_on="2018-06-01",
        )

    assert_refused(db_session, lambda: nursing(10, "1000.01"), 422, "benefit_cap_exceeded")
    assert_refused(db_session, lambda: nursing(51, "5100.00"), 422, "benefit_cap_exceeded")
    created(nursing(50, "5000.00"))
    assert_refused(db_session, lambda: nursing(1, "100.00"), 422, "benefit_cap_exceeded")


@pytest.mark.parametrize("first_region", ["430481", "430400"])
def test_one_benefit_a_year_from_one_region_only(api, db_session, fund_id, first_region):
    """衡阳市 itself holds 2017-BX money (900,000.00 received, 300,000.00 passed on), so it can
    pay a 耒阳市 resident too; but not the same benefit in the same year."""
    bx = fund_id("2017-BX")
    leiyang, hengyang = api("leiyang_finance"), api("hengyang_finance")
    person = register(leiyang, 50, "special", publicised=("hospital_allowance",))
    first, second = (leiyang, hengyang) if first_region == "430481" else (hengyang, leiyang)
    earlier = created(allowance(first, bx, person["id"], 10, "500.00", voucher_no="第一笔-凭0901"))
    assert earlier["region"] == first_region

    error = assert_refused(
        db_session,
        lambda: allowance(
            second, bx, person["id"], 5, "250.00", voucher_no="第二笔-凭1001", paid_on="2017-10-01"
        ),
        422,
        "duplicate_benefit",
    )
    assert "第一笔-凭0901" in error["message"]
    assert error["details"]["other_voucher_no"] == "第一笔-凭0901"
    assert error["details"]["other_disbursement_id"] == earlier["id"]
    assert error["details"]["other_region"] == first_region

    # the same region may pay again, and another year is another year
    created(allowance(first, bx, person["id"], 5, "250.00", voucher_no="第三笔"))
    created(
        allowance(second, bx, person["id"], 5, "250.00", voucher_no="次年", paid_on="2018-02-01")
    )


def test_a_per_day_benefit_needs_a_beneficiary_and_days(api, db_session, fund_id):
    bx = fund_id("2017-BX")
    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session,
        lambda: pay(
            leiyang,
            bx,
            "500.00",
            category="hospital_allowance",
            days=10,
            paid_on="2017-09-20",
            payee_name="无名氏",
        ),
        422,
        "validation_error",
    )
    assert "beneficiary_id" in error["details"]["fields"]

    person = register(leiyang, 60, "special")
    error = assert_refused(
        db_session,
        lambda: pay(
            leiyang,
            bx,
            "500.00",
            category="hospital_allowance",
            beneficiary_id=person["id"],
            paid_on="2017-09-20",
        ),
        422,
        "validation_error",
    )
    assert "days" in error["details"]["fields"]

    for days in (0, -1, 367):
        error = assert_refused(
            db_session,
            lambda days=days: allowance(leiyang, bx, person["id"], days, "50.00"),
            422,
            "validation_error",
        )
        assert "days" in error["details"]["fields"]


def test_a_beneficiary_of_another_region_cannot_be_paid_here(api, db_session, fund_id):

    anren_person = db_session.scalar(
        sa.select(Beneficiary.id).where(Beneficiary.region_code == "431028")
    )
    error = assert_refused(
        db_session,
        lambda: allowance(api("leiyang_finance"), fund_id("2017-BX"), anren_person, 2, "100.00"),
        422,
        "validation_error",
    )
    assert "beneficiary_id" in error["details"]["fields"]


def test_a_beneficiary_needs_a_valid_id_number(api, db_session):
    leiyang = api("leiyang_finance")
    good = id_number(70)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    for number in (wrong_check, good[:17], "43048119701301070X", "１" * 18):
        response = leiyang.post(
            "/api/v1/beneficiaries",
            json={"name": "错号", "id_number": number, "family_type": "special"},
        )
        assert response.status_code == 422, number
        assert response.get_json()["error"]["code"] == "validation_error"
    register(leiyang, 70)
    response = leiyang.post(
        "/api/v1/beneficiaries",
        json={"name": "重复", "id_number": good, "family_type": "special"},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "duplicate_beneficiary"


# --- lists --------------------------------------------------------------------------------


def test_the_list_is_paginated_and_filtered(api, fund_id):
    auditor = api("auditor")
    everything = ok(auditor.get("/api/v1/disbursements?per_page=200"))
    assert set(everything) == {"items", "page", "per_page", "total"}
    assert everything["total"] == 7
    ids = [d["id"] for d in everything["items"]]
    assert ids == sorted(ids, reverse=True)

    page = ok(auditor.get("/api/v1/disbursements?per_page=3&page=2"))
    assert page["total"] == 7 and page["page"] == 2 and page["per_page"] == 3
    assert [d["id"] for d in page["items"]] == ids[3:6]

    sjh = fund_id("2017-SJH")
    by_fund = ok(auditor.get(f"/api/v1/disbursements?fund_id={sjh}"))
    assert by_fund["total"] == 5
    assert {d["fund_id"] for d in by_fund["items"]} == {sjh}

    pending = ok(auditor.get("/api/v1/disbursements?status=pending"))
    assert pending["total"] == 1
    assert pending["items"][0]["voucher_no"] == "耒财〔2017〕凭1120-05"

    anren = ok(auditor.get("/api/v1/disbursements?region=431028"))
    assert anren["total"] == 1
    assert anren["items"][0]["region"] == "431028"

    combined = ok(auditor.get(f"/api/v1/disbursements?fund_id={sjh}&region=430481&status=approved"))
    assert combined["total"] == 3

    by_category = ok(auditor.get("/api/v1/disbursements?category=hospital_allowance"))
    assert [d["voucher_no"] for d in by_category["items"]] == ["耒财〔2017〕凭0915-04"]

    dated = ok(auditor.get("/api/v1/disbursements?paid_from=2017-07-01&paid_to=2017-07-31"))
    assert {d["voucher_no"] for d in dated["items"]} == {
        "耒财〔2017〕凭0703-02",
        "安财〔2017〕凭0718-01",
    }

    for bad in ("per_page=0", "per_page=201", "status=lost", "region=43"):
        response = auditor.get(f"/api/v1/disbursements?{bad}")
        assert response.status_code == 422, bad


def test_a_county_sees_only_its_own_payments(api, db_session):
    leiyang = api("leiyang_finance")
    listed = ok(leiyang.get("/api/v1/disbursements?per_page=200"))
    assert listed["total"] == 6
    assert {d["region"] for d in listed["items"]} == {"430481"}
    # filtering for another region shows nothing rather than leaking it
    assert ok(leiyang.get("/api/v1/disbursements?region=431028"))["total"] == 0

    anren_payment = demo_disbursement(db_session, "安财〔2017〕凭0718-01")
    response = leiyang.get(f"/api/v1/disbursements/{anren_payment}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api("chenzhou_checker").get(f"/api/v1/disbursements/{anren_payment}").status_code == 200

    hengyang = ok(api("hengyang_finance").get("/api/v1/disbursements?per_page=200"))
    assert hengyang["total"] == 6  # its county's payments
    anren = ok(api("anren_finance").get("/api/v1/disbursements"))
    assert [d["region"] for d in anren["items"]] == ["431028"]
