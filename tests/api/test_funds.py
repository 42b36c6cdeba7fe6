import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.funds.models import Fund, FundEarmark


def new_fund(**fields) -> dict:
    """A fund creation payload: another fund of 2018 for hardship relief, unless told."""
    return {
        "kind": "other",
        "fiscal_year": 2018,
        "earmarked_categories": ["hardship_relief"],
        **fields,
    }


def _funds(client_api, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client_api.get("/api/v1/funds" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return {f["code"]: f for f in response.get_json()["items"]}


def test_2017_funds_show_the_report_budgets_to_the_fen(api):
    funds = _funds(api("province_maker"), fiscal_year=2017)
    assert {code: f["budget"] for code, f in funds.items()} == {
        "2017-SJH": "5180000.00",
        "2017-DKTX": "9500000.00",
        "2017-BX": "13650000.00",
    }
    sjh = funds["2017-SJH"]
    assert sjh["name"] == "三结合项目经费"
    assert sjh["kind"] == "sanjiehe"
    assert sjh["status"] == "active"
    assert sjh["earmarked_categories"] == ["project_support", "skills_training"]


def test_2018_insurance_fund_earmarks_the_nursing_subsidy(api):
    funds = _funds(api("province_maker"), fiscal_year=2018)
    assert "nursing_subsidy" in funds["2018-BX"]["earmarked_categories"]
    assert "nursing_subsidy" not in _funds(api("province_maker"))["2017-BX"]["earmarked_categories"]


def test_the_unitemised_ten_million_is_shown_as_exactly_that(api):
    lines = api("province_checker").get("/api/v1/budget-lines").get_json()["items"]
    line_2017 = next(line for line in lines if line["fiscal_year"] == 2017)
    assert line_2017["total"] == "38330000.00"
    assert line_2017["itemised"] == "28330000.00"
    assert line_2017["unitemised"] == "10000000.00"
    line_2018 = next(line for line in lines if line["fiscal_year"] == 2018)
    assert line_2018["total"] == "54360000.00"


def test_a_county_sees_only_the_funds_that_reached_it(api, fund_id):
    leiyang = api("leiyang_finance")
    assert set(_funds(leiyang)) == {"2017-SJH", "2017-DKTX", "2017-BX", "2018-BX"}
    response = leiyang.get(f"/api/v1/funds/{fund_id('2018-DKTX')}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert leiyang.get("/api/v1/funds/999999").status_code == 404
    assert leiyang.get(f"/api/v1/funds/{fund_id('2017-SJH')}").status_code == 200


def test_balances_are_conserved_down_the_tree(api, fund_id):
    sjh = fund_id("2017-SJH")
    items = api("auditor").get(f"/api/v1/funds/{sjh}/balances").get_json()["items"]
    by_region = {b["region"]: b for b in items}
    province = by_region["430000"]
    assert province["received"] == "5180000.00"
    assert province["allocated_out"] == "4440000.00"
    assert province["available"] == "740000.00"
    hengyang = by_region["430400"]
    assert hengyang["received"] == "460000.00"
    assert hengyang["allocated_out"] == "200000.00"
    leiyang = by_region["430481"]
    assert leiyang["received"] == "200000.00"
    # 20,000 + 50,000 + 8,000 approved, 15,000 still pending (it reserves its money)
    assert leiyang["disbursed"] == "93000.00"
    assert leiyang["available"] == "107000.00"
    assert leiyang["execution_rate"] == "0.3900"
    for balance in items:
        assert not balance["available"].startswith("-")


def test_a_county_sees_only_its_own_balance(api, fund_id):
    items = (
        api("leiyang_finance").get(f"/api/v1/funds/{fund_id('2017-SJH')}/balances").get_json()
    )["items"]
    assert [b["region"] for b in items] == ["430481"]


def test_province_maker_creates_a_fund_with_its_earmark(api, db_session):

    response = api("province_maker").post(
        "/api/v1/funds",
        json=new_fund(code="2018-KN", name="计生困难家庭救助资金", budget="1200000.00"),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["budget"] == "1200000.00"
    assert body["region"] == "430000"
    assert body["status"] == "draft"  # proposed: its budget reaches nobody yet
    created = db_session.scalar(sa.select(Fund).where(Fund.code == "2018-KN"))
    assert created.budget_fen == 120_000_000


def test_a_proposed_fund_has_no_money_until_a_second_person_approves_it(api):
    maker, checker = api("province_maker"), api("province_checker")
    fund = maker.post(
        "/api/v1/funds",
        json=new_fund(code="2018-KN", name="计生困难家庭救助资金", budget="1200000.00"),
    ).get_json()
    balances = maker.get(f"/api/v1/funds/{fund['id']}/balances").get_json()["items"]
    assert all(b["received"] == "0.00" for b in balances)
    payload = {"fund_id": fund["id"], "to_region": "430400", "amount": "1.00", "document_no": "X"}
    response = maker.post("/api/v1/allocations", json=payload)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "fund_not_active"

    response = maker.post(f"/api/v1/funds/{fund['id']}/approve", json={})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "same_user_approval"
    response = checker.post(
        f"/api/v1/funds/{fund['id']}/approve", json={"reason": "同意，按预算批复执行"}
    )
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["status"] == "active"
    assert approved["approved_by_id"] != approved["created_by_id"]
    balances = maker.get(f"/api/v1/funds/{fund['id']}/balances").get_json()["items"]
    assert {b["region"]: b["received"] for b in balances}["430000"] == "1200000.00"
    history = api("auditor").get(f"/api/v1/history/funds/{fund['id']}").get_json()["items"]
    assert history[-1]["reason"] == "同意，按预算批复执行"


def test_a_refused_fund_frees_its_part_of_the_budget_line(api):
    maker, checker = api("province_maker"), api("province_checker")
    fund = maker.post(
        "/api/v1/funds", json=new_fund(code="2018-KN", name="救助资金", budget="1000.00")
    ).get_json()
    response = checker.post(f"/api/v1/funds/{fund['id']}/cancel", json={"reason": " "})
    assert response.status_code == 422
    response = checker.post(f"/api/v1/funds/{fund['id']}/cancel", json={"reason": "预算未批复"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    response = checker.post(f"/api/v1/funds/{fund['id']}/approve", json={})
    assert response.status_code == 409


def test_a_running_cost_can_never_be_earmarked(api, db_session):

    response = api("province_maker").post(
        "/api/v1/funds",
        json=new_fund(
            code="2018-BAD",
            name="不该存在的资金",
            budget="1000.00",
            earmarked_categories=["project_support", "office"],
        ),
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "办公费" in error["details"]["fields"]["earmarked_categories"][0]
    assert db_session.scalar(sa.select(Fund).where(Fund.code == "2018-BAD")) is None


def test_the_database_itself_refuses_a_running_cost_in_an_earmark(db_session, fund):

    db_session.add(FundEarmark(fund_id=fund("2017-SJH").id, category_code="meeting"))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_fund_budget_cannot_exceed_the_unitemised_remainder(api, db_session):
    line_2017 = next(
        line
        for line in api("province_maker").get("/api/v1/budget-lines").get_json()["items"]
        if line["fiscal_year"] == 2017
    )
    response = api("province_maker").post(
        "/api/v1/funds",
        json=new_fund(
            code="2017-X",
            name="超额资金",
            fiscal_year=2017,
            budget="10000000.01",
            budget_line_id=line_2017["id"],
        ),
    )
    assert response.status_code == 422
    assert "budget" in response.get_json()["error"]["details"]["fields"]


def test_bad_amounts_are_422(api):
    maker = api("province_maker")
    for budget in (1.5, "12.345", "-5.00", "0", "0.00", "1e30", "abc", True, "999999999999999.00"):
        response = maker.post(
            "/api/v1/funds",
            json=new_fund(code="2018-AMT", name="金额测试", budget=budget),
        )
        assert response.status_code == 422, budget
        assert response.get_json()["error"]["code"] == "validation_error"
        assert "budget" in response.get_json()["error"]["details"]["fields"]


def test_only_a_maker_of_the_region_creates_its_funds(api):
    payload = new_fund(code="2018-NO", name="无权创建", budget="100.00")
    for username in ("province_checker", "auditor", "admin"):
        response = api(username).post("/api/v1/funds", json=payload)
        assert response.status_code == 403, username
        assert response.get_json()["error"]["code"] == "forbidden"
    response = api("leiyang_finance").post("/api/v1/funds", json={**payload, "region": "430000"})
    assert response.status_code == 403


def test_creating_a_fund_records_who_when_where_and_why(api, db_session):

    api("province_maker").post(
        "/api/v1/funds",
        json=new_fund(code="2018-HIST", name="历史测试资金", budget="500.00"),
        environ_base={"REMOTE_ADDR": "10.20.30.40"},
    )
    FundVersion = version_class(Fund)
    version = db_session.scalars(
        sa.select(FundVersion).where(FundVersion.code == "2018-HIST")
    ).one()
    transaction = version.transaction
    assert transaction.user.username == "province_maker"
    assert transaction.actor_role == "maker"
    assert transaction.actor_region_code == "430000"
    assert transaction.remote_addr == "10.20.30.40"
    assert transaction.issued_at is not None
    assert "2018-HIST" in transaction.action
    assert transaction.reason is None  # the maker gave no reason: none is made up
    assert version.budget_fen == 50_000


def test_a_refused_request_writes_no_history(api, db_session):

    Transaction = versioning_manager.transaction_cls
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Transaction))
    response = api("province_maker").post(
        "/api/v1/funds",
        json=new_fund(code="2017-SJH", name="重复", budget="1.00"),  # the code is taken
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    after = db_session.scalar(sa.select(sa.func.count()).select_from(Transaction))
    assert after == before
