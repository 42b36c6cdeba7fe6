"""The register (精准帮扶档案库): review by a second person, exits, duplicates across
counties, and the rule a personal benefit obeys (registered, on an ended 公示, no upheld
objection)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import versioning_manager

from fundtrack.beneficiaries import operations
from fundtrack.beneficiaries.errors import PublicityRequired
from fundtrack.beneficiaries.models import Publicity
from fundtrack.core.timeparse import local_today
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.models import ExpenditureCategory
from tests.helpers import (
    PUBLICITY_START,
    assert_refused,
    created,
    demo_user,
    id_number,
    ok,
    pay,
    publicise,
    register,
)

ALLOWANCE = {
    "category": "hospital_allowance",
    "amount": "500.00",
    "days": 10,
    "voucher_no": "耒财〔2017〕住院-01",
    "purpose": "住院津贴 10 天",
}


def allowance(client, fund: int, person: dict, **fields):
    return client.post(
        "/api/v1/disbursements",
        json={"fund_id": fund, "paid_on": "2017-10-09", "beneficiary_id": person["id"],
              **ALLOWANCE, **fields},
    )  # fmt: skip


def bx(fund) -> int:
    return fund("2017-BX").id


def test_a_registration_waits_for_a_second_person(api, db_session):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    person = register(maker, 701, approve=False, household="张测试，耒阳市某村", phone="0734-1")
    assert person["status"] == "pending"
    assert_refused(
        db_session,
        lambda: maker.post(f"/api/v1/beneficiaries/{person['id']}/approve", json={}),
        (403, 422),
    )
    done = ok(
        checker.post(f"/api/v1/beneficiaries/{person['id']}/approve", json={"reason": "核实无误"})
    )
    assert done["status"] == "registered" and done["reviewed_by_id"] is not None
    history = ok(api("auditor").get(f"/api/v1/history/beneficiaries/{person['id']}"))["items"]
    assert [v["reason"] for v in history][-1] == "核实无误"


def test_a_new_beneficiary_is_not_paid_a_benefit_before_review_and_publicity(api, db_session, fund):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    person = register(maker, 702, approve=False)
    error = assert_refused(
        db_session, lambda: allowance(maker, bx(fund), person), 422, "publicity_required"
    )
    assert "待审核" in error["message"]
    ok(checker.post(f"/api/v1/beneficiaries/{person['id']}/approve", json={}))
    # registered, but on no 公示 yet
    assert_refused(
        db_session, lambda: allowance(maker, bx(fund), person), 422, "publicity_required"
    )
    # on a 公示 that is still running
    publicise(maker, [person["id"]], end=False)
    assert_refused(
        db_session, lambda: allowance(maker, bx(fund), person), 422, "publicity_required"
    )
    publicise(maker, [person["id"]])
    paid = created(allowance(maker, bx(fund), person))
    assert paid["status"] == "pending" and paid["beneficiary_id"] == person["id"]


def test_a_payment_dated_within_the_publicity_period_is_refused(api, db_session, fund):
    maker = api("leiyang_finance")
    person = register(maker, 703)
    publicise(maker, [person["id"]], start_on=date(2017, 10, 5))  # ends 2017-10-11
    error = assert_refused(
        db_session, lambda: allowance(maker, bx(fund), person), 422, "publicity_required"
    )
    assert "2017-10-11" in error["message"]
    created(allowance(maker, bx(fund), person, paid_on="2017-10-12"))


def test_a_project_payment_needs_no_register_review_or_publicity(api, fund):
    maker = api("leiyang_finance")
    person = register(maker, 704, approve=False)
    created(pay(maker, fund("2017-SJH").id, beneficiary_id=person["id"], payee_name="张测试"))


def test_a_personal_benefit_without_a_beneficiary_is_refused(app_ctx, db_session):
    # no demo fund earmarks a personal benefit without a per-day rule: the rule itself
    support = db_session.get(ExpenditureCategory, "special_family_support")
    with pytest.raises(PublicityRequired):
        operations.require_publicity(db_session, support, None, date(2017, 10, 9))
    project = db_session.get(ExpenditureCategory, "project_support")
    assert operations.require_publicity(db_session, project, None, date(2017, 10, 9)) is None


def test_an_upheld_objection_keeps_the_beneficiary_unpaid(api, db_session, fund, app):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    kept, objected = register(maker, 706), register(maker, 707, name="李测试")
    publicity_id = publicise(maker, [kept["id"], objected["id"]], end=False)
    with app.app_context():
        objection = operations.record_objection(
            db_session,
            demo_user("leiyang_finance"),
            db_session.get(Publicity, publicity_id),
            beneficiary_id=objected["id"], reporter="匿名", content="已迁出本县",
            today=PUBLICITY_START,
        )  # fmt: skip
        objection_id = objection.id
        db_session.commit()
    decide = f"/api/v1/objections/{objection_id}/decide"
    # the one who recorded it does not decide it
    assert_refused(
        db_session,
        lambda: maker.post(decide, json={"upheld": True, "decision": "属实"}),
        (403, 422),
    )
    # the 公示 cannot end while an objection is open
    end = f"/api/v1/publicities/{publicity_id}/end"
    error = assert_refused(db_session, lambda: checker.post(end, json={}), 409)
    assert "异议未处理" in error["message"]
    decided = ok(checker.post(decide, json={"upheld": True, "decision": "经入户核实，反映属实"}))
    assert decided["status"] == "upheld" and decided["decided_by_id"] is not None
    assert ok(checker.post(end, json={"reason": "公示期满"}))["status"] == "ended"
    error = assert_refused(
        db_session, lambda: allowance(maker, bx(fund), objected), 422, "objection_upheld"
    )
    assert "李测试" in error["message"]
    created(allowance(maker, bx(fund), kept))
    history = ok(api("auditor").get(f"/api/v1/history/objections/{objection_id}"))["items"]
    assert history[-1]["reason"] == "经入户核实，反映属实"


def test_a_dismissed_objection_does_not_stop_the_payment(api, db_session, fund, app):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    person = register(maker, 708)
    publicity_id = publicise(maker, [person["id"]], end=False)
    with app.app_context():
        objection = operations.record_objection(
            db_session,
            demo_user("leiyang_finance"),
            db_session.get(Publicity, publicity_id),
            beneficiary_id=person["id"], reporter="村民", content="家庭收入较高",
            today=PUBLICITY_START,
        )  # fmt: skip
        objection_id = objection.id
        db_session.commit()
    ok(
        checker.post(
            f"/api/v1/objections/{objection_id}/decide",
            json={"upheld": False, "decision": "经核实，收入不影响特殊家庭扶助资格"},
        )
    )
    ok(checker.post(f"/api/v1/publicities/{publicity_id}/end", json={}))
    created(allowance(maker, bx(fund), person))


def test_a_publicity_runs_its_period_and_is_never_backdated(api, db_session):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    person = register(maker, 709)
    body = {"category": "hospital_allowance", "objection_place": "耒阳市计生协",
            "objection_phone": "0734-4321234",
            "entries": [{"beneficiary_id": person["id"], "amount": "500.00"}]}  # fmt: skip
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    error = assert_refused(
        db_session,
        lambda: maker.post("/api/v1/publicities", json={**body, "start_on": yesterday}),
        422,
        "validation_error",
    )
    assert "start_on" in error["details"]["fields"]
    three_days = (local_today() + timedelta(days=2)).isoformat()
    assert_refused(
        db_session,
        lambda: maker.post("/api/v1/publicities", json={**body, "end_on": three_days}),
        422,
        "validation_error",
    )
    pending = register(maker, 710, approve=False)
    error = assert_refused(
        db_session,
        lambda: maker.post(
            "/api/v1/publicities",
            json={**body, "entries": [{"beneficiary_id": pending["id"], "amount": "1.00"}]},
        ),
        422,
        "validation_error",
    )
    assert "在册" in error["details"]["fields"]["entries"][0]
    project = {**body, "category": "project_support"}
    assert_refused(
        db_session, lambda: maker.post("/api/v1/publicities", json=project), 422, "validation_error"
    )
    publicity = created(maker.post("/api/v1/publicities", json=body))
    assert publicity["status"] == "running"
    assert date.fromisoformat(publicity["end_on"]) - local_today() == timedelta(days=6)
    assert publicity["title"] == "耒阳市住院津贴发放对象公示"
    objection = created(
        maker.post(
            f"/api/v1/publicities/{publicity['id']}/objections",
            json={"beneficiary_id": person["id"], "reporter": "匿名", "content": "不符合条件"},
        )
    )
    assert objection["status"] == "open"
    error = assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/publicities/{publicity['id']}/end", json={}),
        409,
        "invalid_transition",
    )
    # the issuer never ends its own 公示
    assert_refused(
        db_session,
        lambda: maker.post(f"/api/v1/publicities/{publicity['id']}/end", json={}),
        (403, 422),
    )
    withdrawn = ok(
        maker.post(f"/api/v1/publicities/{publicity['id']}/withdraw", json={"reason": "金额有误"})
    )
    assert withdrawn["status"] == "withdrawn"


def test_the_same_id_number_in_two_counties_is_found_and_kept_for_both(api, db_session):
    leiyang, anren = api("leiyang_finance"), api("anren_finance")
    register(leiyang, 711, name="王测试")
    error = assert_refused(
        db_session,
        lambda: anren.post(
            "/api/v1/beneficiaries",
            json={"name": "王测试", "id_number": id_number(711), "family_type": "special"},
        ),
        409,
        "duplicate_beneficiary",
    )
    assert "耒阳市" in error["message"] and error["details"]["other_region"] == "430481"
    # the same county twice is refused too
    assert_refused(
        db_session,
        lambda: leiyang.post(
            "/api/v1/beneficiaries",
            json={"name": "王测试", "id_number": id_number(711), "family_type": "special"},
        ),
        409,
        "duplicate_beneficiary",
    )
    # the refused attempt is kept, for both counties' reviewers and the prefectures
    for username in ("anren_finance", "chenzhou_checker", "leiyang_checker", "hengyang_checker"):
        items = ok(api(username).get("/api/v1/beneficiaries/duplicates"))["items"]
        assert [d["region"] for d in items if d["other_region"] == "430481"] == ["431028"], username
    assert ok(api("changsha_finance").get("/api/v1/beneficiaries/duplicates"))["items"] == []


def test_an_exit_is_reviewed_and_frees_the_id_number(api, db_session):
    leiyang, checker, anren = api("leiyang_finance"), api("leiyang_checker"), api("anren_finance")
    person = register(leiyang, 712)
    path = f"/api/v1/beneficiaries/{person['id']}"
    future = (local_today() + timedelta(days=1)).isoformat()
    assert_refused(
        db_session,
        lambda: leiyang.post(f"{path}/exit", json={"exit_reason": "moved", "exit_on": future}),
        422,
        "validation_error",
    )
    assert ok(leiyang.post(f"{path}/exit", json={"exit_reason": "moved"}))["status"] == (
        "exit_pending"
    )
    assert_refused(db_session, lambda: leiyang.post(f"{path}/exit/approve", json={}), (403, 422))
    assert ok(checker.post(f"{path}/exit/reject", json={"reason": "未见迁出证明"}))["status"] == (
        "registered"
    )
    ok(leiyang.post(f"{path}/exit", json={"exit_reason": "moved", "reason": "迁往安仁县"}))
    exited = ok(checker.post(f"{path}/exit/approve", json={"reason": "同意"}))
    assert exited["status"] == "exited" and exited["exit_reason"] == "moved"
    moved = register(anren, 712)
    assert moved["region"] == "431028"


def test_a_benefit_goes_only_to_the_registered_account(api, db_session, fund):
    maker = api("leiyang_finance")
    person = register(maker, 713, bank_account="6217001234567890")
    publicise(maker, [person["id"]])
    error = assert_refused(
        db_session,
        lambda: allowance(maker, bx(fund), person, payee_account="6217009999999999"),
        422,
        "validation_error",
    )
    assert "payee_account" in error["details"]["fields"]
    paid = created(allowance(maker, bx(fund), person))
    assert db_session.get(Disbursement, paid["id"]).payee_account == "6217001234567890"


def test_the_register_is_seen_by_the_county_and_above_only(api):
    person = register(api("leiyang_finance"), 714)
    assert ok(api("hengyang_checker").get(f"/api/v1/beneficiaries/{person['id']}"))
    assert api("anren_finance").get(f"/api/v1/beneficiaries/{person['id']}").status_code == 404
    listed = ok(api("hengyang_checker").get("/api/v1/beneficiaries?status=registered&q=张测试"))
    assert person["id"] in [b["id"] for b in listed["items"]]
    assert listed["items"][0]["id_number"].count("*") == 8


def test_a_family_that_left_the_register_is_not_paid_by_an_approval_either(api, db_session, fund):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    person = register(maker, 715, publicised=("hospital_allowance",))
    payment = created(allowance(maker, bx(fund), person))
    path = f"/api/v1/beneficiaries/{person['id']}"
    ok(maker.post(f"{path}/exit", json={"exit_reason": "death", "exit_on": "2017-10-10"}))
    ok(api("hengyang_checker").post(f"{path}/exit/approve", json={}))
    error = assert_refused(
        db_session,
        lambda: checker.post(f"/api/v1/disbursements/{payment['id']}/approve", json={}),
        422,
        "publicity_required",
    )
    assert "已退出" in error["message"]


def test_what_waits_for_a_reviewer_is_on_the_home_page(api, client, web_login):
    maker = api("leiyang_finance")
    register(maker, 716, approve=False)
    web_login("hengyang_checker")
    html = client.get("/").get_data(as_text=True)
    # the demo's own pending registration (赵明华) and this one
    assert "待审核的受益人登记：2 件" in html
    web_login("leiyang_finance")
    assert "待审核的受益人登记" not in client.get("/").get_data(as_text=True)


def test_the_yearly_cap_follows_the_person_across_registrations(api, db_session, fund):
    """A family that left 耒阳市's register and was registered again is the same person: the
    same benefit is not paid twice in a year by registering it anew."""
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    first = register(maker, 717, publicised=("hospital_allowance",))
    created(allowance(maker, bx(fund), first, days=100, amount="5000.00"))
    path = f"/api/v1/beneficiaries/{first['id']}"
    ok(maker.post(f"{path}/exit", json={"exit_reason": "ineligible"}))
    ok(checker.post(f"{path}/exit/approve", json={}))
    again = register(maker, 717, publicised=("hospital_allowance",))
    assert again["id"] != first["id"]
    assert_refused(
        db_session,
        lambda: allowance(maker, bx(fund), again, voucher_no="耒-再登记-1"),
        422,
        "benefit_cap_exceeded",
    )


def test_an_upheld_objection_to_the_whole_list_blocks_everyone_on_it(api, db_session, fund, app):
    maker, checker = api("leiyang_finance"), api("leiyang_checker")
    person = register(maker, 718)
    publicity_id = publicise(maker, [person["id"]], end=False)
    with app.app_context():
        objection = operations.record_objection(
            db_session,
            demo_user("leiyang_finance"),
            db_session.get(Publicity, publicity_id),
            reporter="村委会",
            content="名单未经村级评议",
            today=PUBLICITY_START,
        )
        objection_id = objection.id
        db_session.commit()
    ok(
        checker.post(
            f"/api/v1/objections/{objection_id}/decide",
            json={"upheld": True, "decision": "属实，重新评议后另行公示"},
        )
    )
    ok(checker.post(f"/api/v1/publicities/{publicity_id}/end", json={}))
    assert_refused(db_session, lambda: allowance(maker, bx(fund), person), 422, "objection_upheld")


def test_an_unregistered_account_is_not_paid_a_personal_benefit(api, db_session, fund):
    maker = api("leiyang_finance")
    person = register(maker, 719, publicised=("hospital_allowance",))  # no account registered
    error = assert_refused(
        db_session,
        lambda: allowance(maker, bx(fund), person, payee_account="6217000011112222"),
        422,
        "validation_error",
    )
    assert "payee_account" in error["details"]["fields"]


def test_history_masks_the_bank_account(api):
    person = register(api("leiyang_finance"), 720, bank_account="6217001234567890")
    history = ok(api("auditor").get(f"/api/v1/history/beneficiaries/{person['id']}"))["items"]
    shown = history[0]["changes"]["bank_account"][1]
    assert shown == "************7890"


def test_the_page_masks_the_bank_account_as_the_api_does(api, client, web_login):
    person = register(api("leiyang_finance"), 721, bank_account="6217001234567890")
    assert person["bank_account"] == "************7890"
    web_login("leiyang_finance")
    html = client.get(f"/beneficiaries/{person['id']}").get_data(as_text=True)
    assert "<dd>************7890</dd>" in html and "6217001234567890" not in html


def test_a_publicity_cannot_start_more_than_a_year_ahead(api, db_session):
    maker = api("leiyang_finance")
    person = register(maker, 721)
    body = {"category": "hospital_allowance", "objection_place": "耒阳市计生协",
            "objection_phone": "0734-4321234", "start_on": "9999-12-30",
            "entries": [{"beneficiary_id": person["id"], "amount": "1.00"}]}  # fmt: skip
    error = assert_refused(
        db_session, lambda: maker.post("/api/v1/publicities", json=body), 422, "validation_error"
    )
    assert "start_on" in error["details"]["fields"]


def test_which_benefits_need_a_publicity_is_decided_with_a_reason(runner, api, db_session, fund):
    maker = api("leiyang_finance")
    person = register(maker, 722)
    refused = runner.invoke(
        args=["reference", "publicity", "office", "--required", "--reason", "测试"]
    )
    assert refused.exit_code != 0
    result = runner.invoke(
        args=["reference", "publicity", "project_support", "--required",
              "--reason", "省计生协决定：项目扶持到户资金也须公示"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_refused(
        db_session,
        lambda: pay(maker, fund("2017-SJH").id, beneficiary_id=person["id"], payee_name="张测试"),
        422,
        "publicity_required",
    )
    transaction = versioning_manager.transaction_cls
    reasons = db_session.scalars(sa.select(transaction.reason).order_by(transaction.id.desc()))
    assert "省计生协决定：项目扶持到户资金也须公示" in list(reasons)[:3]
    reloaded = runner.invoke(args=["reference", "load"])
    assert reloaded.exit_code == 0
    assert db_session.get(ExpenditureCategory, "project_support").requires_publicity is True
