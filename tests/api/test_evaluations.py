"""Performance evaluations (绩效评价) through the API only: opening one from the template of
the fund's kind, filling it (weights summing to 100, self scores within weights, declared
uses), submitting it (no use outside the earmark), the review (final score and grade, or
return with a comment), the gate on next year's money, rankings, visibility, overdue
evaluations and the PDF report.

The demo's 2017 evaluations (``fundtrack.demo.EVALUATIONS_2017``) are all approved; 2017-DKTX
went to the first 12 prefectures and 耒阳市 but has no evaluation, so fresh evaluations here
are of 2017-DKTX (长沙市 for a prefecture, 耒阳市 for a county)."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy_continuum import versioning_manager

from fundtrack.allocations.models import Allocation
from fundtrack.core.errors import EvaluationRequired
from fundtrack.core.models import utcnow
from fundtrack.evaluations.models import (
    Evaluation,
    EvaluationDeclaredUse,
    EvaluationIndicator,
)
from tests.helpers import (
    assert_refused,
    created,
    fill,
    ok,
    open_evaluation,
    put,
    scored,
    submit,
    submitted_evaluation,
)

PREFECTURES_2017_DKTX = {
    "430100", "430200", "430300", "430400", "430500", "430600",
    "430700", "430800", "430900", "431000", "431100", "431200",
}  # fmt: skip

#: (name, weight) of the template lines of each fund kind, in order
SANJIEHE_LINES = [
    ("扶持计生家庭户数", "20.00"),
    ("帮助脱贫的计生家庭户数", "15.00"),
    ("项目资金到户率", "10.00"),
    ("项目资金按时拨付到户率", "10.00"),
    ("资金使用符合专项用途比例", "10.00"),
    ("扶持家庭户均增收", "10.00"),
    ("扶持项目持续经营率", "10.00"),
    ("受益家庭满意度", "15.00"),
]
LOAN_INTEREST_LINES = [
    ("贴息贷款户数", "20.00"),
    ("贴息贷款金额", "15.00"),
    ("贴息资金在期限内拨付率", "15.00"),
    ("贴息贷款按期还款率", "10.00"),
    ("贴息资金符合专项用途比例", "10.00"),
    ("带动计生家庭增收", "10.00"),
    ("贷款项目持续经营率", "5.00"),
    ("贷款家庭满意度", "15.00"),
]
INSURANCE_LINES = [
    ("参保计生特殊家庭成员人数", "20.00"),
    ("参保计生家庭户数", "10.00"),
    ("理赔在承诺天数内结案率", "15.00"),
    ("特殊家庭应保尽保率", "10.00"),
    ("保费资金符合专项用途比例", "10.00"),
    ("住院津贴和护理补贴发放人次", "10.00"),
    ("计生家庭续保率", "10.00"),
    ("参保家庭满意度", "15.00"),
]


# --- helpers ------------------------------------------------------------------------------


def evaluation_rows(db_session) -> dict:
    """Every evaluation, indicator line and declared use as stored."""

    def rows(*columns, order):
        return [tuple(row) for row in db_session.execute(sa.select(*columns).order_by(order))]

    return {
        "evaluations": rows(
            Evaluation.id, Evaluation.status, Evaluation.summary, Evaluation.final_score,
            Evaluation.review_comment, Evaluation.submitted_at, Evaluation.reviewed_at,
            order=Evaluation.id,
        ),
        "indicators": rows(
            EvaluationIndicator.id, EvaluationIndicator.evaluation_id,
            EvaluationIndicator.position, EvaluationIndicator.name, EvaluationIndicator.weight,
            EvaluationIndicator.target, EvaluationIndicator.actual,
            EvaluationIndicator.self_score, EvaluationIndicator.note,
            order=EvaluationIndicator.id,
        ),
        "declared_uses": rows(
            EvaluationDeclaredUse.id, EvaluationDeclaredUse.evaluation_id,
            EvaluationDeclaredUse.category_code, EvaluationDeclaredUse.amount_fen,
            EvaluationDeclaredUse.description,
            order=EvaluationDeclaredUse.id,
        ),
    }  # fmt: skip


def refused(db_session, send, status, code=None) -> dict:
    """``assert_refused`` (ledger, balances and the number of history transactions
    unchanged), and every evaluation, line and declared use unchanged too."""
    before = evaluation_rows(db_session)
    error = assert_refused(db_session, send, status, code)
    assert evaluation_rows(db_session) == before
    return error


def transaction_count(db_session) -> int:

    return db_session.scalar(
        sa.select(sa.func.count()).select_from(versioning_manager.transaction_cls)
    )


def demo_evaluation(db_session, fund: int, region: str) -> int:

    found = db_session.scalar(
        sa.select(Evaluation.id).where(Evaluation.fund_id == fund, Evaluation.region_code == region)
    )
    assert found is not None
    return found


def demo_allocation(db_session, fund: int, giver: str, receiver: str) -> int:

    return db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.fund_id == fund,
            Allocation.from_region_code == giver,
            Allocation.to_region_code == receiver,
        )
    )


def approve(client, evaluation: int, final_score):
    return client.post(
        f"/api/v1/evaluations/{evaluation}/approve", json={"final_score": final_score}
    )


def send_back(client, evaluation: int, comment: str = "指标说明不充分，请补充"):
    return client.post(f"/api/v1/evaluations/{evaluation}/return", json={"comment": comment})


def names_line(fields: dict, index: int, kind: str = "indicators") -> bool:
    """Whether a validation error names line ``index``: ``indicators.N`` from the operation,
    or ``indicators.N.<field>`` from the request schema."""
    line = f"{kind}.{index}"
    return any(name == line or name.startswith(line + ".") for name in fields)


def allocate(client, fund: int, to_region: str, amount: str = "1000.00", **fields):
    return client.post(
        "/api/v1/allocations",
        json={
            "fund_id": fund,
            "to_region": to_region,
            "amount": amount,
            "document_no": fields.pop("document_no", "湘计生协〔2018〕测1号"),
            "reason": "测试下达",
            **fields,
        },
    )


def approve_allocation(client, allocation: int, override: str | None = None):
    payload = {} if override is None else {"evaluation_override_reason": override}
    return client.post(f"/api/v1/allocations/{allocation}/approve", json=payload)


def recall_everything(api, db_session, fund: int, receiver: str, amount: str) -> None:
    """The province recalls the whole of its allocation of ``fund`` to ``receiver``."""
    allocation = demo_allocation(db_session, fund, "430000", receiver)
    recall = created(
        api("province_maker").post(
            f"/api/v1/allocations/{allocation}/recall",
            json={"amount": amount, "reason": "项目未实施，全额收回"},
        )
    )
    ok(api("province_checker").post(f"/api/v1/recalls/{recall['id']}/approve", json={}))


# --- 1. opening an evaluation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, fund_code, username, region, lines, earmark",
    [
        ("sanjiehe", "2017-SJH", "loudi_finance", "431300", SANJIEHE_LINES,
         [("project_support", "项目扶持"), ("skills_training", "技能培训")]),
        ("loan_interest", "2017-DKTX", "changsha_finance", "430100", LOAN_INTEREST_LINES,
         [("loan_interest_subsidy", "贷款贴息")]),
        ("insurance", "2017-BX", "changsha_finance", "430100", INSURANCE_LINES,
         [("hospital_allowance", "住院津贴"), ("insurance_premium", "保险保费")]),
    ],
    ids=["sanjiehe", "loan_interest", "insurance"],
)  # fmt: skip
def test_a_region_that_received_money_opens_its_evaluation_from_the_kinds_template(
    api, fund_id, kind, fund_code, username, region, lines, earmark
):
    fund = fund_id(fund_code)
    if kind == "sanjiehe":
        # every 2017 三结合 receiver has its evaluation already: give 娄底市 some first
        allocation = created(allocate(api("province_maker"), fund, "431300", "10000.00"))
        ok(approve_allocation(api("province_checker"), allocation["id"]))
    client = api(username)

    body = open_evaluation(client, fund)
    assert body["status"] == "draft"
    assert body["fund_id"] == fund
    assert body["fiscal_year"] == 2017
    assert body["region"] == region
    assert body["final_score"] is None and body["grade"] is None
    assert body["self_score_total"] == "0.00"
    assert body["declared_uses"] == []
    assert [(line["name"], line["weight"]) for line in body["indicators"]] == lines
    assert sum(int(float(weight)) for _, weight in lines) == 100
    for line in body["indicators"]:
        assert isinstance(line["id"], int)
        assert line["actual"] == "" and line["self_score"] is None
        assert line["target"]
    assert len({line["id"] for line in body["indicators"]}) == 8
    first, last = body["indicators"][0], body["indicators"][-1]
    assert (first["tier"], first["dimension"]) == ("output", "quantity")
    assert (last["tier"], last["dimension"]) == ("satisfaction", "satisfaction")
    # nothing spent yet in the region: the earmarked categories, all at zero
    assert body["fund_use"] == [
        {"category": code, "category_name": name, "earmarked": True,
         "ledger": "0.00", "declared": "0.00"}
        for code, name in earmark
    ]  # fmt: skip
    assert ok(client.get(f"/api/v1/evaluations/{body['id']}")) == body


def test_a_county_opens_its_own_evaluation_of_money_from_its_prefecture(api, fund_id):
    body = open_evaluation(api("leiyang_finance"), fund_id("2017-DKTX"))
    # a county opens its own evaluation of the money that came through its prefecture
    assert body["region"] == "430481"
    assert [(line["name"], line["weight"]) for line in body["indicators"]] == LOAN_INTEREST_LINES
    assert body["indicators"][1]["unit"] == "万元"
    assert body["indicators"][5]["target"] == "≥ 贴息资金的 3 倍"


@pytest.mark.parametrize(
    "username, fund_code, region, expected",
    [
        # 耒阳市's own payments: 20,000 + 50,000 + 15,000 (pending) project support and
        # 8,000 training
        ("leiyang_finance", "2017-SJH", "430481",
         {"project_support": "85000.00", "skills_training": "8000.00"}),
        # 衡阳市 paid nothing itself: its section covers the regions below it
        ("hengyang_finance", "2017-SJH", "430400",
         {"project_support": "85000.00", "skills_training": "8000.00"}),
        ("leiyang_finance", "2017-BX", "430481",
         {"hospital_allowance": "1000.00", "insurance_premium": "150000.00"}),
        ("anren_finance", "2017-SJH", "431028",
         {"project_support": "30000.00", "skills_training": "0.00"}),
    ],
)  # fmt: skip
def test_the_fund_use_section_comes_from_the_ledger_by_category(
    api, db_session, fund_id, username, fund_code, region, expected
):
    evaluation = demo_evaluation(db_session, fund_id(fund_code), region)
    body = ok(api(username).get(f"/api/v1/evaluations/{evaluation}"))
    assert {row["category"]: row["ledger"] for row in body["fund_use"]} == expected
    assert all(row["earmarked"] for row in body["fund_use"])
    assert all(row["declared"] == "0.00" for row in body["fund_use"])


def test_a_second_evaluation_of_the_same_fund_and_region_is_a_conflict(api, db_session, fund_id):
    dktx = fund_id("2017-DKTX")
    changsha = api("changsha_finance")
    first = open_evaluation(changsha, dktx)
    error = refused(
        db_session,
        lambda: changsha.post("/api/v1/evaluations", json={"fund_id": dktx}),
        409,
        "conflict",
    )
    assert error["details"]["evaluation_id"] == first["id"]
    # the demo's approved one too
    sjh = fund_id("2017-SJH")
    error = refused(
        db_session,
        lambda: api("leiyang_finance").post("/api/v1/evaluations", json={"fund_id": sjh}),
        409,
        "conflict",
    )
    assert error["details"]["evaluation_id"] == demo_evaluation(db_session, sjh, "430481")


def test_a_region_that_received_none_of_the_fund_cannot_open_one(api, db_session, fund_id):
    dktx = fund_id("2017-DKTX")
    # the fund's own region (the province) did not receive it: it gave it
    error = refused(
        db_session,
        lambda: api("province_maker").post("/api/v1/evaluations", json={"fund_id": dktx}),
        422,
        "validation_error",
    )
    assert "fund_id" in error["details"]["fields"]

    # 长沙市 received 2017-DKTX, but all of it was recalled: it sees the fund, has none of it
    recall_everything(api, db_session, dktx, "430100", "600000.00")
    changsha = api("changsha_finance")
    error = refused(
        db_session,
        lambda: changsha.post("/api/v1/evaluations", json={"fund_id": dktx}),
        422,
        "validation_error",
    )
    assert "fund_id" in error["details"]["fields"]


def test_a_county_that_never_received_the_fund_does_not_even_see_it(api, db_session, fund_id):
    """安仁县 got no 2017-DKTX, so the fund lies outside what it can see: like every other
    endpoint taking a fund id (allocations, disbursements), the API answers 404 before the
    operation's own 422 "本地区没有收到这笔专项资金" could."""
    dktx = fund_id("2017-DKTX")
    anren = api("anren_finance")
    assert anren.get(f"/api/v1/funds/{dktx}").status_code == 404
    refused(
        db_session,
        lambda: anren.post("/api/v1/evaluations", json={"fund_id": dktx}),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    "username, region",
    [
        ("province_checker", None),
        ("hengyang_checker", None),
        ("leiyang_checker", None),
        ("auditor", None),
        ("admin", None),
        # a maker opens only its own region's: not its county's, nor the province's for one
        ("hengyang_finance", "430481"),
        ("province_maker", "430100"),
    ],
)
def test_only_the_regions_own_maker_opens_its_evaluation(
    api, db_session, fund_id, username, region
):
    dktx = fund_id("2017-DKTX")
    payload = {"fund_id": dktx} if region is None else {"fund_id": dktx, "region": region}
    client = api(username)
    refused(db_session, lambda: client.post("/api/v1/evaluations", json=payload), 403, "forbidden")


# --- 2. filling the form (PUT) ---------------------------------------------------------------


@pytest.fixture
def draft(api, fund_id):
    """长沙市's fresh 2017-DKTX evaluation: (client of changsha_finance, body)."""
    client = api("changsha_finance")
    return client, open_evaluation(client, fund_id("2017-DKTX"))


@pytest.mark.parametrize(
    "last_weight, total", [("14", "99.00"), ("16", "101.00"), ("14.99", "99.99")]
)
def test_weights_must_sum_to_exactly_100(db_session, draft, last_weight, total):
    client, body = draft
    lines = scored(body["indicators"])
    lines[7]["weight"] = last_weight
    lines[7]["self_score"] = "10"
    error = refused(db_session, lambda: put(client, body["id"], indicators=lines), 422)
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {"indicators"}
    assert total in error["details"]["fields"]["indicators"][0]


def test_weights_with_decimals_summing_to_100_are_fine(draft):
    client, body = draft
    lines = scored(body["indicators"])
    lines[6]["weight"], lines[6]["self_score"] = "5.50", "5.50"
    lines[7]["weight"], lines[7]["self_score"] = "14.50", "14"
    saved = ok(put(client, body["id"], indicators=lines))
    assert [line["weight"] for line in saved["indicators"]][6:] == ["5.50", "14.50"]
    assert saved["self_score_total"] == "99.50"


def test_a_self_score_above_its_lines_weight_is_refused_naming_the_line(db_session, draft):
    client, body = draft
    lines = scored(body["indicators"], s3="10.01")  # line 3 weighs 10
    error = refused(db_session, lambda: put(client, body["id"], indicators=lines), 422)
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {"indicators.3"}
    # exactly the weight is full marks, not too much
    assert ok(put(client, body["id"], indicators=scored(body["indicators"], s3="10")))


@pytest.mark.parametrize(
    "field, value",
    [
        ("weight", "-10"),
        ("weight", "0"),
        ("weight", "10.001"),
        ("weight", 10.0),
        ("weight", "abc"),
        ("weight", "NaN"),
        ("weight", True),
        ("self_score", "-1"),
        ("self_score", "-0.01"),
        ("self_score", "5.005"),
        ("self_score", 9.5),
        ("self_score", "Infinity"),
    ],
    ids=repr,
)
def test_bad_weights_and_scores_are_refused_naming_the_line(db_session, draft, field, value):
    client, body = draft
    lines = scored(body["indicators"])
    lines[2][field] = value
    error = refused(db_session, lambda: put(client, body["id"], indicators=lines), 422)
    assert error["code"] == "validation_error"
    assert names_line(error["details"]["fields"], 2), error


@pytest.mark.parametrize(
    "field, value",
    [
        ("weight", "1e100"),
        ("weight", "1" + "0" * 30),
        ("weight", 10**30),
        ("self_score", "1E+40"),
    ],
    ids=repr,
)
def test_numbers_too_large_to_hold_two_decimals_are_refused_not_a_crash(
    db_session, draft, field, value
):
    """BUG: ``_decimal`` calls ``Decimal.quantize`` on any finite number; beyond 28 digits
    that raises ``decimal.InvalidOperation`` (a 500) instead of the 422 naming the line."""
    client, body = draft
    lines = scored(body["indicators"])
    lines[2][field] = value
    error = refused(db_session, lambda: put(client, body["id"], indicators=lines), 422)
    assert error["code"] == "validation_error"
    assert names_line(error["details"]["fields"], 2), error


def test_lines_are_edited_in_place(draft):
    client, body = draft
    ids = [line["id"] for line in body["indicators"]]
    lines = scored(body["indicators"])
    lines[0].update(target="≥ 500 户", actual="612 户", self_score="18.50", note="超额完成")
    lines[1]["weight"], lines[1]["self_score"] = "10", "9"
    lines[7]["weight"], lines[7]["self_score"] = "20", "19.75"
    saved = ok(put(client, body["id"], indicators=lines, summary="  全年贴息 612 户  "))
    assert [line["id"] for line in saved["indicators"]] == ids
    first = saved["indicators"][0]
    assert (first["target"], first["actual"], first["self_score"], first["note"]) == (
        "≥ 500 户", "612 户", "18.50", "超额完成",
    )  # fmt: skip
    assert saved["indicators"][1]["weight"] == "10.00"
    assert saved["indicators"][7]["weight"] == "20.00"
    assert saved["indicators"][7]["self_score"] == "19.75"
    assert saved["summary"] == "全年贴息 612 户"
    # 18.50 + 9 + 15 + 10 + 10 + 10 + 5 + 19.75
    assert saved["self_score_total"] == "97.25"
    assert ok(client.get(f"/api/v1/evaluations/{body['id']}")) == saved


def test_lines_are_replaced_by_the_lines_sent(db_session, draft):

    client, body = draft
    old_ids = {line["id"] for line in body["indicators"]}
    kept = {**body["indicators"][0], "weight": "50", "self_score": "45", "actual": "600 户"}
    new = [
        {"tier": "benefit", "dimension": "social", "name": "带动就业人数", "unit": "人",
         "weight": "30", "target": "≥ 100", "actual": "120", "self_score": "30"},
        {"tier": "satisfaction", "dimension": "satisfaction", "name": "贷款家庭满意度",
         "unit": "%", "weight": "20.00", "target": "≥ 90%"},
    ]  # fmt: skip
    saved = ok(put(client, body["id"], indicators=[kept, *new]))
    assert [line["name"] for line in saved["indicators"]] == [
        "贴息贷款户数", "带动就业人数", "贷款家庭满意度",
    ]  # fmt: skip
    assert [line["weight"] for line in saved["indicators"]] == ["50.00", "30.00", "20.00"]
    assert saved["indicators"][0]["id"] == kept["id"]
    assert not {line["id"] for line in saved["indicators"][1:]} & old_ids
    assert saved["indicators"][2]["self_score"] is None
    stored = db_session.scalars(
        sa.select(EvaluationIndicator.id).where(EvaluationIndicator.evaluation_id == body["id"])
    ).all()
    assert set(stored) == {line["id"] for line in saved["indicators"]}


def test_a_line_of_another_evaluation_cannot_be_taken_over(api, db_session, fund_id, draft):
    client, body = draft
    demo = demo_evaluation(db_session, fund_id("2017-SJH"), "430100")
    foreign = ok(client.get(f"/api/v1/evaluations/{demo}"))["indicators"][0]["id"]
    lines = scored(body["indicators"])
    lines[4]["id"] = foreign
    error = refused(db_session, lambda: put(client, body["id"], indicators=lines), 422)
    assert "indicators.4" in error["details"]["fields"]


def test_the_same_line_id_given_twice_is_refused(db_session, draft):
    """BUG: two lines with one ``id`` pass the sum check (50 + 50) but are saved as one
    line, so the stored form weighs 50 instead of 100 (PUT answers 200)."""
    client, body = draft
    first, second = scored(body["indicators"][:2])
    first["weight"] = first["self_score"] = "50"
    second["weight"] = second["self_score"] = "50"
    second["id"] = first["id"]
    error = refused(db_session, lambda: put(client, body["id"], indicators=[first, second]), 422)
    assert error["code"] == "validation_error"
    assert names_line(error["details"]["fields"], 1), error


def test_an_empty_list_of_lines_is_refused(db_session, draft):
    client, body = draft
    error = refused(db_session, lambda: put(client, body["id"], indicators=[]), 422)
    assert "indicators" in error["details"]["fields"]


def test_declared_uses_are_saved_with_amounts_in_yuan(draft):
    client, body = draft
    saved = ok(
        put(
            client,
            body["id"],
            declared_uses=[
                {"category": "loan_interest_subsidy", "amount": "1234.5",
                 "description": "银行代扣的贴息"},
                {"category": "loan_interest_subsidy", "amount": 800},
                {"category": "office", "amount": "0.01", "description": "打印"},
            ],
        )
    )  # fmt: skip
    assert saved["declared_uses"] == [
        {"category": "loan_interest_subsidy", "amount": "1234.50", "description": "银行代扣的贴息"},
        {"category": "loan_interest_subsidy", "amount": "800.00", "description": ""},
        {"category": "office", "amount": "0.01", "description": "打印"},
    ]
    assert {row["category"]: (row["earmarked"], row["declared"]) for row in saved["fund_use"]} == {
        "loan_interest_subsidy": (True, "2034.50"),
        "office": (False, "0.01"),
    }
    # a list sent again replaces the uses
    cleared = ok(put(client, body["id"], declared_uses=[]))
    assert cleared["declared_uses"] == []


@pytest.mark.parametrize(
    "use",
    [
        {"category": "loan_interest_subsidy", "amount": "0"},
        {"category": "loan_interest_subsidy", "amount": "-5.00"},
        {"category": "loan_interest_subsidy", "amount": "1.234"},
        {"category": "loan_interest_subsidy", "amount": 1.5},
        {"category": "loan_interest_subsidy", "amount": None},
        {"category": "loan_interest_subsidy"},
        {"category": "no_such_category", "amount": "1.00"},
        {"amount": "1.00"},
    ],
    ids=repr,
)
def test_bad_declared_uses_are_refused_naming_the_line(db_session, draft, use):
    client, body = draft
    uses = [{"category": "loan_interest_subsidy", "amount": "1.00"}, use]
    error = refused(db_session, lambda: put(client, body["id"], declared_uses=uses), 422)
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {"declared_uses.1"}


@pytest.mark.parametrize(
    "use",
    [
        {"category": ["office"], "amount": "1.00"},
        {"category": {"code": "office"}, "amount": "1.00"},
        {"category": "loan_interest_subsidy", "amount": "1.00", "description": 5},
    ],
    ids=repr,
)
def test_declared_uses_with_fields_of_the_wrong_type_are_refused_not_a_crash(
    db_session, draft, use
):
    """BUG: ``declared_uses`` items are free dicts; a list as category raises TypeError
    (unhashable, in ``category not in categories``) and a number as description raises
    AttributeError (``.strip()``): a 500 instead of a 422."""
    client, body = draft
    error = refused(db_session, lambda: put(client, body["id"], declared_uses=[use]), 422)
    assert error["code"] == "validation_error"
    fields = error["details"]["fields"]
    assert names_line(fields, 0, "declared_uses")


def test_a_county_cannot_touch_another_countys_evaluation(api, db_session, fund_id):
    body = open_evaluation(api("leiyang_finance"), fund_id("2017-DKTX"))
    lines = scored(body["indicators"])
    for username in ("anren_finance", "chenzhou_finance", "changsha_finance"):
        client = api(username)
        assert client.get(f"/api/v1/evaluations/{body['id']}").status_code == 404
        refused(
            db_session,
            lambda client=client: put(client, body["id"], indicators=lines, summary="改"),
            404,
            "not_found",
        )


@pytest.mark.parametrize(
    "username",
    ["hengyang_finance", "hengyang_checker", "leiyang_checker", "province_maker",
     "province_checker", "auditor"],
)  # fmt: skip
def test_who_sees_an_evaluation_but_is_not_its_regions_maker_cannot_edit_it(
    api, db_session, fund_id, username
):
    body = open_evaluation(api("leiyang_finance"), fund_id("2017-DKTX"))
    client = api(username)
    assert client.get(f"/api/v1/evaluations/{body['id']}").status_code == 200
    refused(
        db_session,
        lambda: put(client, body["id"], indicators=scored(body["indicators"])),
        403,
        "forbidden",
    )
    refused(db_session, lambda: submit(client, body["id"]), 403, "forbidden")


# --- 3. submitting ------------------------------------------------------------------------


def test_unscored_lines_block_submission_and_are_named(db_session, draft):
    client, body = draft
    error = refused(db_session, lambda: submit(client, body["id"]), 422, "validation_error")
    assert set(error["details"]["fields"]) == {f"indicators.{i}" for i in range(8)}

    lines = scored(body["indicators"], s2=None, s5=None)
    lines[4]["actual"] = ""  # scored, but no actual value
    ok(put(client, body["id"], indicators=lines))
    error = refused(db_session, lambda: submit(client, body["id"]), 422, "validation_error")
    assert set(error["details"]["fields"]) == {"indicators.2", "indicators.4", "indicators.5"}


@pytest.mark.parametrize(
    "category, amount",
    [
        ("office", "200.00"),  # 办公费: running costs, never earmarkable
        ("meeting", "300.50"),  # 会议费
        ("insurance_premium", "50.00"),  # earmarkable, but 贷款贴息's earmark is not 保费
        ("skills_training", "8.00"),  # 三结合's earmark, not 贷款贴息's
    ],
)
def test_a_declared_use_outside_the_earmark_blocks_submission(
    api, db_session, draft, category, amount
):
    client, body = draft
    good = {"category": "loan_interest_subsidy", "amount": "5000.00", "description": "贴息"}
    bad = {"category": category, "amount": amount, "description": "挪用"}
    fill(client, body, declared_uses=[good, bad])
    history = ok(client.get(f"/api/v1/history/evaluations/{body['id']}"))["items"]
    transactions = transaction_count(db_session)

    error = refused(db_session, lambda: submit(client, body["id"]), 422, "non_earmarked_use")
    assert [(line["category"], line["amount"]) for line in error["details"]["lines"]] == [
        (category, amount)
    ]
    assert error["details"]["lines"][0]["source"] == "declared"
    assert amount in error["message"]
    assert ok(client.get(f"/api/v1/evaluations/{body['id']}"))["status"] == "draft"
    assert transaction_count(db_session) == transactions
    assert ok(client.get(f"/api/v1/history/evaluations/{body['id']}"))["items"] == history

    # without the offending line it goes through
    ok(put(client, body["id"], declared_uses=[good]))
    submitted = ok(submit(client, body["id"]))
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None


def test_every_offending_use_is_listed_and_only_those(db_session, draft):
    client, body = draft
    uses = [
        {"category": "office", "amount": "200.00"},
        {"category": "loan_interest_subsidy", "amount": "5000.00"},
        {"category": "meeting", "amount": "300.50"},
        {"category": "insurance_premium", "amount": "50.00"},
        {"category": "loan_interest_subsidy", "amount": "1.00"},
    ]
    fill(client, body, declared_uses=uses)
    transactions = transaction_count(db_session)
    error = refused(db_session, lambda: submit(client, body["id"]), 422, "non_earmarked_use")
    assert [(line["category"], line["amount"]) for line in error["details"]["lines"]] == [
        ("office", "200.00"),
        ("meeting", "300.50"),
        ("insurance_premium", "50.00"),
    ]
    assert transaction_count(db_session) == transactions
    assert ok(client.get(f"/api/v1/evaluations/{body['id']}"))["status"] == "draft"


def test_a_submitted_evaluation_can_no_longer_be_edited_nor_submitted_again(
    api, db_session, fund_id
):
    changsha = api("changsha_finance")
    evaluation = submitted_evaluation(changsha, fund_id("2017-DKTX"))
    body = ok(changsha.get(f"/api/v1/evaluations/{evaluation}"))
    for payload in (
        {"summary": "补充"},
        {"indicators": scored(body["indicators"], s0="1")},
        {"declared_uses": []},
    ):
        error = refused(
            db_session,
            lambda payload=payload: put(changsha, evaluation, **payload),
            409,
            "invalid_transition",
        )
        assert error["details"]["status"] == "submitted"
    refused(db_session, lambda: submit(changsha, evaluation), 409, "invalid_transition")
    # nor once approved
    ok(approve(api("province_checker"), evaluation, "88.00"))
    refused(db_session, lambda: put(changsha, evaluation, summary="改"), 409, "invalid_transition")


# --- 4. review ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, shown, grade",
    [
        ("90.00", "90.00", "优"),
        ("89.99", "89.99", "良"),
        ("80.00", "80.00", "良"),
        ("79.99", "79.99", "中"),
        ("60.00", "60.00", "中"),
        ("59.99", "59.99", "差"),
        (100, "100.00", "优"),
        ("0", "0.00", "差"),
        ("75.5", "75.50", "中"),
    ],
)
def test_approval_gives_the_final_score_and_its_grade(api, fund_id, score, shown, grade):
    changsha = api("changsha_finance")
    evaluation = submitted_evaluation(changsha, fund_id("2017-DKTX"))
    body = ok(approve(api("province_checker"), evaluation, score))
    assert body["status"] == "approved"
    assert body["final_score"] == shown
    assert body["grade"] == grade
    assert body["reviewed_at"] is not None
    again = ok(changsha.get(f"/api/v1/evaluations/{evaluation}"))
    assert (again["status"], again["final_score"], again["grade"]) == ("approved", shown, grade)


@pytest.mark.parametrize("reviewer", ["hengyang_checker", "province_checker"])
def test_a_countys_evaluation_is_reviewed_by_its_prefecture_or_the_province(api, fund_id, reviewer):
    evaluation = submitted_evaluation(api("leiyang_finance"), fund_id("2017-DKTX"))
    body = ok(approve(api(reviewer), evaluation, "91.5"))
    assert (body["status"], body["final_score"], body["grade"]) == ("approved", "91.50", "优")


@pytest.mark.parametrize(
    "score",
    ["100.01", "-0.01", "12.345", "90.001", 101, -1, "abc", 90.5, None, "", "NaN", True],
    ids=repr,
)
def test_a_final_score_outside_0_to_100_or_with_three_decimals_is_refused(
    api, db_session, fund_id, score
):
    evaluation = submitted_evaluation(api("changsha_finance"), fund_id("2017-DKTX"))
    checker = api("province_checker")
    error = refused(db_session, lambda: approve(checker, evaluation, score), 422)
    assert error["code"] == "validation_error"
    assert "final_score" in error["details"]["fields"]
    assert ok(checker.get(f"/api/v1/evaluations/{evaluation}"))["status"] == "submitted"


@pytest.mark.parametrize("score", ["1e100", "1" + "0" * 30], ids=repr)
def test_a_huge_final_score_is_refused_not_a_crash(api, db_session, fund_id, score):
    """BUG: as for weights, ``Decimal.quantize`` raises InvalidOperation (500)."""
    evaluation = submitted_evaluation(api("changsha_finance"), fund_id("2017-DKTX"))
    checker = api("province_checker")
    error = refused(db_session, lambda: approve(checker, evaluation, score), 422)
    assert "final_score" in error["details"]["fields"]


def test_returning_needs_a_comment(api, db_session, fund_id):
    evaluation = submitted_evaluation(api("changsha_finance"), fund_id("2017-DKTX"))
    checker = api("province_checker")
    path = f"/api/v1/evaluations/{evaluation}/return"
    for payload, code, field in (
        ({}, "reason_required", "reason"),
        ({"comment": None}, "validation_error", "comment"),
        ({"reason": None}, "validation_error", "reason"),
    ):
        error = refused(db_session, lambda payload=payload: checker.post(path, json=payload), 422)
        assert error["code"] == code
        assert field in error["details"]["fields"]
    for comment in ("", "   ", "\n\t"):
        error = refused(
            db_session,
            lambda comment=comment: checker.post(path, json={"comment": comment}),
            422,
        )
        assert error["code"] in ("reason_required", "validation_error")
    assert ok(checker.get(f"/api/v1/evaluations/{evaluation}"))["status"] == "submitted"


def test_a_blank_return_comment_is_reported_on_the_comment_field(api, db_session, fund_id):
    """BUG (minor): the return endpoint takes ``comment``, but a blank one is refused by
    ``require_reason`` with ``details.fields == {"reason": [...]}``, a field the request
    does not have, so a client cannot point at the problem."""
    evaluation = submitted_evaluation(api("changsha_finance"), fund_id("2017-DKTX"))
    checker = api("province_checker")
    error = refused(
        db_session,
        lambda: checker.post(f"/api/v1/evaluations/{evaluation}/return", json={"comment": " "}),
        422,
    )
    assert "comment" in error["details"]["fields"]


def test_a_returned_evaluation_is_edited_and_submitted_again(api, fund_id):
    changsha = api("changsha_finance")
    evaluation = submitted_evaluation(changsha, fund_id("2017-DKTX"))
    checker = api("province_checker")
    returned = ok(send_back(checker, evaluation, "  贴息户数与银行清单不符，请核实  "))
    assert returned["status"] == "returned"
    assert returned["review_comment"] == "贴息户数与银行清单不符，请核实"
    assert returned["final_score"] is None

    lines = scored(returned["indicators"], s0="16.00")
    lines[0]["actual"] = "480 户（与银行清单一致）"
    edited = ok(put(changsha, evaluation, indicators=lines, summary="已核实"))
    assert edited["status"] == "returned"
    assert edited["indicators"][0]["self_score"] == "16.00"
    assert edited["self_score_total"] == "96.00"
    assert ok(submit(changsha, evaluation))["status"] == "submitted"
    approved = ok(approve(checker, evaluation, "86.00"))
    assert (approved["status"], approved["grade"]) == ("approved", "良")


def test_review_only_of_a_submitted_evaluation(api, db_session, fund_id):
    changsha = api("changsha_finance")
    checker = api("province_checker")
    body = open_evaluation(changsha, fund_id("2017-DKTX"))
    refused(db_session, lambda: approve(checker, body["id"], "90"), 409, "invalid_transition")
    refused(db_session, lambda: send_back(checker, body["id"]), 409, "invalid_transition")
    fill(changsha, body)
    ok(submit(changsha, body["id"]))
    ok(approve(checker, body["id"], "90"))
    refused(db_session, lambda: approve(checker, body["id"], "95"), 409, "invalid_transition")
    refused(db_session, lambda: send_back(checker, body["id"]), 409, "invalid_transition")


@pytest.mark.parametrize(
    "maker, reviewer",
    [
        ("changsha_finance", "changsha_finance"),  # the maker, its own
        ("changsha_finance", "province_maker"),  # a maker above
        ("changsha_finance", "auditor"),
        ("leiyang_finance", "leiyang_checker"),  # the region's own checker
        ("leiyang_finance", "hengyang_finance"),
    ],
)
def test_the_maker_and_others_without_the_right_cannot_review(
    api, db_session, fund_id, maker, reviewer
):
    evaluation = submitted_evaluation(api(maker), fund_id("2017-DKTX"))
    client = api(reviewer)
    assert client.get(f"/api/v1/evaluations/{evaluation}").status_code == 200
    refused(db_session, lambda: approve(client, evaluation, "90"), 403, "forbidden")
    refused(db_session, lambda: send_back(client, evaluation), 403, "forbidden")


@pytest.mark.parametrize(
    "maker, reviewer",
    [
        ("leiyang_finance", "chenzhou_checker"),  # another prefecture's checker
        ("leiyang_finance", "yongzhou_checker"),
        ("changsha_finance", "hengyang_checker"),  # a sibling prefecture
        ("hengyang_finance", "leiyang_checker"),  # a county below the prefecture
    ],
)
def test_a_checker_of_another_branch_neither_sees_nor_reviews(
    api, db_session, fund_id, maker, reviewer
):
    evaluation = submitted_evaluation(api(maker), fund_id("2017-DKTX"))
    client = api(reviewer)
    assert client.get(f"/api/v1/evaluations/{evaluation}").status_code == 404
    refused(db_session, lambda: approve(client, evaluation, "90"), 404, "not_found")
    refused(db_session, lambda: send_back(client, evaluation), 404, "not_found")
    listed = ok(client.get("/api/v1/evaluations?per_page=200"))
    assert evaluation not in {item["id"] for item in listed["items"]}


def test_the_history_shows_each_step_with_who_and_why(api, db_session, fund_id):
    changsha = api("changsha_finance")
    checker = api("province_checker")
    body = open_evaluation(changsha, fund_id("2017-DKTX"))
    fill(changsha, body, summary="初稿")
    ok(submit(changsha, body["id"]))
    ok(send_back(checker, body["id"], "请补充贴息户数"))
    ok(put(changsha, body["id"], summary="已补充贴息户数"))
    ok(submit(changsha, body["id"]))
    ok(approve(checker, body["id"], "85"))

    history = ok(api("auditor").get(f"/api/v1/history/evaluations/{body['id']}"))["items"]
    steps = [
        (
            entry["user"]["username"],
            entry["user"]["role"],
            entry["action"],
            entry["reason"],
            entry["changes"].get("status"),
        )
        for entry in history
    ]
    assert steps == [
        ("changsha_finance", "maker", "新建绩效评价 2017-DKTX", None, [None, "draft"]),
        ("changsha_finance", "maker", "填报绩效评价 2017-DKTX", None, None),
        ("changsha_finance", "maker", "提交绩效评价 2017-DKTX", None, ["draft", "submitted"]),
        ("province_checker", "checker", "退回绩效评价 2017-DKTX", "请补充贴息户数",
         ["submitted", "returned"]),
        ("changsha_finance", "maker", "填报绩效评价 2017-DKTX", None, None),
        ("changsha_finance", "maker", "提交绩效评价 2017-DKTX", None, ["returned", "submitted"]),
        ("province_checker", "checker", "审定绩效评价 2017-DKTX：85.00 分（良）", None,
         ["submitted", "approved"]),
    ]  # fmt: skip
    assert history[0]["operation"] == "insert"
    assert history[1]["changes"]["summary"] == ["", "初稿"]
    assert history[3]["changes"]["review_comment"] == ["", "请补充贴息户数"]
    assert history[6]["changes"]["final_score"] == [None, "85.00"]
    # the history is as visible as the evaluation
    assert ok(changsha.get(f"/api/v1/history/evaluations/{body['id']}"))["items"] == history
    for username in ("anren_finance", "hengyang_checker"):
        response = api(username).get(f"/api/v1/history/evaluations/{body['id']}")
        assert response.status_code == 404


# --- 5. the gate on next year's money ------------------------------------------------------


def test_a_region_graded_poor_last_year_needs_a_provincial_override(api, db_session, fund_id):
    """张家界市's 2017 三结合 evaluation is approved but graded 差 (56.00)."""
    sjh_2018 = fund_id("2018-SJH")
    body = created(allocate(api("province_maker"), sjh_2018, "430800", "100000.00"))
    assert body["status"] == "draft"  # drafting is not gated, approving is
    checker = api("province_checker")
    expected = "张家界市 2017 年度三结合项目经费绩效评价为差（56.00 分）"

    for override in (None, "", "   "):
        error = refused(
            db_session,
            lambda override=override: approve_allocation(checker, body["id"], override),
            422,
            "evaluation_required",
        )
        assert error["details"]["problems"] == [expected]
        assert expected in error["message"]
    assert ok(checker.get(f"/api/v1/allocations/{body['id']}"))["status"] == "draft"

    reason = "张家界市已整改到位，经省计生协党组会研究同意例外下达"
    approved = ok(approve_allocation(checker, body["id"], f"  {reason} "))
    assert approved["status"] == "approved"
    assert approved["evaluation_override_reason"] == reason
    assert (
        ok(checker.get(f"/api/v1/allocations/{body['id']}"))["evaluation_override_reason"] == reason
    )

    last = ok(api("auditor").get(f"/api/v1/history/allocations/{body['id']}"))["items"][-1]
    assert last["user"]["username"] == "province_checker"
    assert reason in last["action"]
    assert last["changes"]["evaluation_override_reason"] == [None, reason]
    assert last["changes"]["status"] == ["draft", "approved"]


def test_a_redistribution_into_a_gated_region_passes_the_same_gate(api, db_session, fund_id):
    """A recall with ``redistribute_to`` (调剂) makes the third region receive money, so it
    passes the gate an allocation to it would: 张家界市 (2017 三结合 graded 差) gets no
    2018-SJH through 衡阳市's recall that it could not get directly."""
    sjh_2018 = fund_id("2018-SJH")
    maker, checker = api("province_maker"), api("province_checker")
    to_hengyang = created(allocate(maker, sjh_2018, "430400", "5000.00"))
    ok(approve_allocation(checker, to_hengyang["id"]))
    recall = created(
        maker.post(
            f"/api/v1/allocations/{to_hengyang['id']}/recall",
            json={"amount": "5000.00", "reason": "调剂", "redistribute_to": "430800"},
        )
    )

    def approve_recall(override=None):
        body = {} if override is None else {"evaluation_override_reason": override}
        return checker.post(f"/api/v1/recalls/{recall['id']}/approve", json=body)

    error = refused(db_session, approve_recall, 422, "evaluation_required")
    assert error["details"]["problems"] == [
        "张家界市 2017 年度三结合项目经费绩效评价为差（56.00 分）"
    ]
    assert ok(checker.get(f"/api/v1/recalls/{recall['id']}"))["status"] == "draft"
    zhangjiajie = [
        a
        for a in ok(checker.get(f"/api/v1/allocations?fund_id={sjh_2018}&per_page=200"))["items"]
        if a["to_region"] == "430800"
    ]
    assert zhangjiajie == []

    reason = "张家界市已整改到位，同意调剂"
    approved = ok(approve_recall(reason))
    assert approved["status"] == "approved"
    onward = ok(checker.get(f"/api/v1/allocations/{approved['redistributed_as_id']}"))
    assert onward["to_region"] == "430800" and onward["amount"] == "5000.00"
    assert onward["evaluation_override_reason"] == reason
    last = ok(api("auditor").get(f"/api/v1/history/recalls/{recall['id']}"))["items"][-1]
    assert f"绩效评价例外：{reason}" in last["action"]


def test_a_prefecture_checker_cannot_override_the_gate_of_a_redistribution(
    api, db_session, fund_id
):
    """耒阳市 has no evaluation of its 2017-DKTX: 衡阳市's redistribution of 2018-DKTX to it
    needs the province's override, which 衡阳市's checker cannot give."""
    dktx_2018 = fund_id("2018-DKTX")
    to_hengyang = created(allocate(api("province_maker"), dktx_2018, "430400", "50000.00"))
    ok(approve_allocation(api("province_checker"), to_hengyang["id"], "先行下达"))
    hengyang_maker, hengyang_checker = api("hengyang_finance"), api("hengyang_checker")
    to_hengnan = created(
        allocate(hengyang_maker, dktx_2018, "430422", "100.00", document_no="衡计生协〔2018〕测2号")
    )
    ok(approve_allocation(hengyang_checker, to_hengnan["id"]))
    recall = created(
        hengyang_maker.post(
            f"/api/v1/allocations/{to_hengnan['id']}/recall",
            json={"amount": "100.00", "reason": "调剂", "redistribute_to": "430481"},
        )
    )
    url = f"/api/v1/recalls/{recall['id']}/approve"
    refused(db_session, lambda: hengyang_checker.post(url, json={}), 422, "evaluation_required")
    refused(
        db_session,
        lambda: hengyang_checker.post(url, json={"evaluation_override_reason": "市里同意"}),
        403,
        "forbidden",
    )
    approved = ok(
        api("province_checker").post(url, json={"evaluation_override_reason": "省里同意"})
    )
    assert approved["status"] == "approved"


@pytest.mark.parametrize("how", ["new as approved", "moved to approved"])
def test_the_flush_refuses_money_into_a_gated_region_that_no_operation_checked(
    app_ctx, db_session, user, fund, how
):
    """The net under the operations: an allocation that becomes approved in a flush —
    written as approved, as a redistribution's onward allocation is, or moved to approved —
    to 张家界市 (2017 三结合 graded 差) without an override reason is refused, as an
    operation written tomorrow that forgot the gate would be; with a reason it passes."""
    sjh_2018 = fund("2018-SJH")
    maker, checker = user("province_maker"), user("province_checker")

    def allocation(**fields):
        row = Allocation(fund_id=sjh_2018.id, from_region_code="430000",
                         to_region_code="430800", amount_fen=100_00, document_no="湘测〔2018〕1号",
                         created_by_id=maker.id, **fields)  # fmt: skip
        db_session.add(row)
        return row

    def approve(row):
        row.status, row.approved_by_id = "approved", checker.id
        row.approved_at, row.approved_on = utcnow(), date(2018, 5, 1)

    for override in (None, "经研究同意例外下达"):
        row = allocation(evaluation_override_reason=override)
        if how == "moved to approved":
            db_session.flush()
        approve(row)
        if override is None:
            with pytest.raises(EvaluationRequired):
                db_session.flush()
            db_session.rollback()
        else:
            db_session.flush()
            assert row.status == "approved"


def test_a_region_without_an_evaluation_of_last_years_money_is_gated(api, db_session, fund_id):
    """长沙市 received 2017-DKTX and has filed no evaluation of it."""
    body = created(allocate(api("province_maker"), fund_id("2018-DKTX"), "430100"))
    error = refused(
        db_session,
        lambda: approve_allocation(api("province_checker"), body["id"]),
        422,
        "evaluation_required",
    )
    assert error["details"]["problems"] == [
        "长沙市尚无审定的 2017 年度计生家庭发展生产贷款贴息绩效评价"
    ]


@pytest.mark.parametrize("score, passes", [("60.00", True), ("59.99", False)])
def test_only_an_approved_evaluation_not_graded_poor_opens_the_gate(
    api, db_session, fund_id, score, passes
):
    dktx_2018 = fund_id("2018-DKTX")
    changsha = api("changsha_finance")
    checker = api("province_checker")
    body = created(allocate(api("province_maker"), dktx_2018, "430100"))
    evaluation = open_evaluation(changsha, fund_id("2017-DKTX"))
    fill(changsha, evaluation)
    # a draft, a submitted or a returned evaluation does not open it
    refused(db_session, lambda: approve_allocation(checker, body["id"]), 422, "evaluation_required")
    ok(submit(changsha, evaluation["id"]))
    refused(db_session, lambda: approve_allocation(checker, body["id"]), 422, "evaluation_required")
    ok(send_back(checker, evaluation["id"]))
    refused(db_session, lambda: approve_allocation(checker, body["id"]), 422, "evaluation_required")
    ok(submit(changsha, evaluation["id"]))

    ok(approve(checker, evaluation["id"], score))
    if passes:
        approved = ok(approve_allocation(checker, body["id"]))
        assert approved["status"] == "approved"
        assert approved["evaluation_override_reason"] is None
    else:
        error = refused(
            db_session, lambda: approve_allocation(checker, body["id"]), 422, "evaluation_required"
        )
        assert error["details"]["problems"] == [
            "长沙市 2017 年度计生家庭发展生产贷款贴息绩效评价为差（59.99 分）"
        ]


@pytest.mark.parametrize(
    "maker, checker, fund_code, receiver",
    [
        # 娄底市 got no 2017-DKTX (only the first 12 prefectures did)
        ("province_maker", "province_checker", "2018-DKTX", "431300"),
        # 湘西州 got no 2017 money at all
        ("province_maker", "province_checker", "2018-SJH", "433100"),
        # 株洲市: 2017 三结合 approved, 90.50 (优)
        ("province_maker", "province_checker", "2018-SJH", "430200"),
        # 怀化市: 66.50 (中) is enough
        ("province_maker", "province_checker", "2018-SJH", "431200"),
        # 耒阳市: 2017 综合保险 approved, 87.00 (良), by its prefecture's checker
        ("hengyang_finance", "hengyang_checker", "2018-BX", "430481"),
    ],
)
def test_regions_not_gated_receive_without_an_override(
    api, fund_id, maker, checker, fund_code, receiver
):
    body = created(allocate(api(maker), fund_id(fund_code), receiver))
    approved = ok(approve_allocation(api(checker), body["id"]))
    assert approved["status"] == "approved"
    assert approved["evaluation_override_reason"] is None


def test_only_a_provincial_checker_overrides_the_gate_for_a_county(api, db_session, fund_id):
    """耒阳市 received 2017-DKTX through 衡阳市 and has no evaluation of it, so 衡阳市's
    2018-DKTX to it is gated. 衡阳市 holds no 2018-DKTX in the demo, and is itself gated (it
    has no 2017-DKTX evaluation either): the province first gives it some, by override."""
    dktx_2018 = fund_id("2018-DKTX")
    province_checker = api("province_checker")
    to_hengyang = created(allocate(api("province_maker"), dktx_2018, "430400", "50000.00"))
    refused(
        db_session,
        lambda: approve_allocation(province_checker, to_hengyang["id"]),
        422,
        "evaluation_required",
    )
    ok(approve_allocation(province_checker, to_hengyang["id"], "贴息贷款已发放，先行下达"))

    to_leiyang = created(
        allocate(api("hengyang_finance"), dktx_2018, "430481", document_no="衡计生协〔2018〕测1号")
    )
    hengyang_checker = api("hengyang_checker")
    error = refused(
        db_session,
        lambda: approve_allocation(hengyang_checker, to_leiyang["id"]),
        422,
        "evaluation_required",
    )
    assert error["details"]["problems"] == [
        "耒阳市尚无审定的 2017 年度计生家庭发展生产贷款贴息绩效评价"
    ]
    refused(
        db_session,
        lambda: approve_allocation(hengyang_checker, to_leiyang["id"], "市里同意例外下达"),
        403,
        "forbidden",
    )
    assert ok(hengyang_checker.get(f"/api/v1/allocations/{to_leiyang['id']}"))["status"] == "draft"

    approved = ok(approve_allocation(province_checker, to_leiyang["id"], "省里同意例外下达"))
    assert approved["status"] == "approved"
    assert approved["evaluation_override_reason"] == "省里同意例外下达"


def test_a_region_whose_money_was_all_recalled_is_not_gated(api, db_session, fund_id):
    """BUG: 株洲市's whole 2017-DKTX was recalled, so it cannot file an evaluation (POST
    /evaluations answers 422 "本地区没有收到这笔专项资金，无需填报绩效评价"), yet
    ``evaluation_gate`` counts the ``recalled`` allocation as money received and refuses its
    2018-DKTX with evaluation_required ("尚无审定的 … 绩效评价"): a gate that nothing but an
    override can ever open."""
    recall_everything(api, db_session, fund_id("2017-DKTX"), "430200", "600000.00")
    response = api("zhuzhou_finance").post(
        "/api/v1/evaluations", json={"fund_id": fund_id("2017-DKTX")}
    )
    assert response.status_code == 422  # nothing to evaluate
    body = created(allocate(api("province_maker"), fund_id("2018-DKTX"), "430200"))
    approved = ok(approve_allocation(api("province_checker"), body["id"]))
    assert approved["status"] == "approved"
    assert approved["evaluation_override_reason"] is None


# --- 6. rankings ----------------------------------------------------------------------------


SJH_PREFECTURES = [
    ("430400", "衡阳市", "95.50", "优"), ("430100", "长沙市", "93.00", "优"),
    ("430200", "株洲市", "90.50", "优"), ("430300", "湘潭市", "88.00", "良"),
    ("430500", "邵阳市", "86.50", "良"), ("430600", "岳阳市", "84.00", "良"),
    ("430700", "常德市", "81.50", "良"), ("431000", "郴州市", "79.00", "中"),
    ("430900", "益阳市", "75.50", "中"), ("431100", "永州市", "72.00", "中"),
    ("431200", "怀化市", "66.50", "中"), ("430800", "张家界市", "56.00", "差"),
]  # fmt: skip
SJH_COUNTIES = [
    ("430481", "耒阳市", "91.00", "优"), ("430623", "华容县", "88.50", "良"),
    ("431028", "安仁县", "83.50", "良"), ("431126", "宁远县", "77.00", "中"),
    ("431128", "新田县", "69.00", "中"),
]  # fmt: skip


def ranked(level: dict) -> list[tuple]:
    return [(e["region"], e["region_name"], e["score"], e["grade"]) for e in level["items"]]


def test_the_ranking_lists_prefectures_and_counties_best_first(api, fund_id):
    sjh = fund_id("2017-SJH")
    body = ok(api("province_checker").get(f"/api/v1/rankings?fund_id={sjh}"))
    assert body["fund_id"] == sjh
    prefectures, counties = body["prefectures"], body["counties"]
    assert ranked(prefectures) == SJH_PREFECTURES
    assert [e["rank"] for e in prefectures["items"]] == list(range(1, 13))
    assert {e["level"] for e in prefectures["items"]} == {"prefecture"}
    assert (prefectures["best"], prefectures["worst"], prefectures["spread"]) == (
        "95.50", "56.00", "39.50",
    )  # fmt: skip
    assert ranked(counties) == SJH_COUNTIES
    assert [e["rank"] for e in counties["items"]] == list(range(1, 6))
    assert {e["level"] for e in counties["items"]} == {"county"}
    assert (counties["best"], counties["worst"], counties["spread"]) == ("91.00", "69.00", "22.00")


@pytest.mark.parametrize("username", ["anren_finance", "leiyang_finance", "hengyang_finance"])
def test_counties_and_prefectures_see_the_whole_ranking_too(api, fund_id, username):
    path = f"/api/v1/rankings?fund_id={fund_id('2017-SJH')}"
    assert ok(api(username).get(path)) == ok(api("auditor").get(path))


def test_only_approved_evaluations_are_ranked(api, fund_id):
    bx = fund_id("2017-BX")
    auditor = api("auditor")
    path = f"/api/v1/rankings?fund_id={bx}"

    def prefectures():
        return [
            (e["region"], e["score"], e["rank"])
            for e in ok(auditor.get(path))["prefectures"]["items"]
        ]

    before = [("430400", "90.00", 1), ("431100", "82.00", 2)]
    assert prefectures() == before
    assert [(e["region"], e["score"]) for e in ok(auditor.get(path))["counties"]["items"]] == [
        ("430481", "87.00")
    ]
    changsha = api("changsha_finance")
    checker = api("province_checker")
    body = open_evaluation(changsha, bx)
    assert prefectures() == before
    fill(changsha, body)
    ok(submit(changsha, body["id"]))
    assert prefectures() == before
    ok(send_back(checker, body["id"]))
    assert prefectures() == before
    ok(submit(changsha, body["id"]))
    ok(approve(checker, body["id"], "85"))
    assert prefectures() == [("430400", "90.00", 1), ("430100", "85.00", 2), ("431100", "82.00", 3)]
    assert ok(auditor.get(path))["prefectures"]["spread"] == "8.00"


def test_a_fund_without_approved_evaluations_ranks_nobody(api, fund_id):
    body = ok(api("auditor").get(f"/api/v1/rankings?fund_id={fund_id('2017-DKTX')}"))
    for level in ("prefectures", "counties"):
        assert body[level] == {"items": [], "best": None, "worst": None, "spread": None}


def test_the_ranking_of_an_invisible_or_missing_fund_is_refused(api, fund_id):
    anren = api("anren_finance")
    assert anren.get(f"/api/v1/rankings?fund_id={fund_id('2017-DKTX')}").status_code == 404
    assert anren.get("/api/v1/rankings?fund_id=999999").status_code == 404
    assert anren.get("/api/v1/rankings").status_code == 422


# --- 7. visibility and the list -------------------------------------------------------------


def test_a_county_cannot_see_another_countys_evaluation(api, db_session, fund_id):
    sjh = fund_id("2017-SJH")
    anren_id = demo_evaluation(db_session, sjh, "431028")
    leiyang_id = demo_evaluation(db_session, sjh, "430481")
    leiyang = api("leiyang_finance")
    response = leiyang.get(f"/api/v1/evaluations/{anren_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert leiyang.get(f"/api/v1/evaluations/{anren_id}/report.pdf").status_code == 404
    assert leiyang.get("/api/v1/evaluations/999999").status_code == 404
    assert ok(leiyang.get(f"/api/v1/evaluations/{leiyang_id}"))["region"] == "430481"

    listed = ok(leiyang.get("/api/v1/evaluations?per_page=200"))
    assert {item["region"] for item in listed["items"]} == {"430481"}
    assert listed["total"] == 2  # its 2017 三结合 and 综合保险

    # the other county's own region and the one above it see it; a sibling prefecture not
    for username, status in (
        ("anren_finance", 200),
        ("chenzhou_finance", 200),
        ("chenzhou_checker", 200),
        ("hengyang_finance", 404),
        ("hengyang_checker", 404),
    ):
        assert api(username).get(f"/api/v1/evaluations/{anren_id}").status_code == status


@pytest.mark.parametrize(
    "username, regions, total",
    [
        ("hengyang_finance", {"430400", "430481"}, 4),
        ("yongzhou_checker", {"431100", "431126", "431128"}, 4),
        ("anren_finance", {"431028"}, 1),
    ],
)
def test_the_list_holds_the_callers_subtree(api, username, regions, total):
    listed = ok(api(username).get("/api/v1/evaluations?per_page=200"))
    assert listed["total"] == total
    assert {item["region"] for item in listed["items"]} == regions


def test_the_auditor_sees_every_evaluation(api, db_session, fund_id):

    auditor = api("auditor")
    draft = open_evaluation(api("leiyang_finance"), fund_id("2017-DKTX"))
    ids = set(db_session.scalars(sa.select(Evaluation.id)))
    listed = ok(auditor.get("/api/v1/evaluations?per_page=200"))
    assert listed["total"] == 21  # the demo's 17 + 3, and the draft
    assert {item["id"] for item in listed["items"]} == ids
    assert ok(auditor.get(f"/api/v1/evaluations/{draft['id']}"))["status"] == "draft"
    for evaluation in ids:
        assert auditor.get(f"/api/v1/evaluations/{evaluation}").status_code == 200


def test_the_list_filters(api, fund_id):
    auditor = api("auditor")
    sjh, bx, dktx = fund_id("2017-SJH"), fund_id("2017-BX"), fund_id("2017-DKTX")
    draft = open_evaluation(api("changsha_finance"), dktx)

    def listed(query: str) -> dict:
        return ok(auditor.get(f"/api/v1/evaluations?per_page=200&{query}"))

    approved = listed("fiscal_year=2017&status=approved")
    assert approved["total"] == 20
    assert {(i["fiscal_year"], i["status"]) for i in approved["items"]} == {(2017, "approved")}
    assert listed("fiscal_year=2017")["total"] == 21
    assert [i["id"] for i in listed("status=draft")["items"]] == [draft["id"]]
    assert listed("fiscal_year=2017&status=submitted")["total"] == 0
    assert listed("fiscal_year=2018")["total"] == 0
    assert listed(f"fund_id={sjh}")["total"] == 17
    assert {i["fund_id"] for i in listed(f"fund_id={bx}")["items"]} == {bx}
    assert listed(f"fund_id={bx}")["total"] == 3
    assert {i["fund_id"] for i in listed("region=430481")["items"]} == {sjh, bx}
    assert listed(f"fund_id={dktx}&region=430100")["total"] == 1
    items = listed("")["items"]
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    for bad in ("status=lost", "fiscal_year=abc", "region=43"):
        response = auditor.get(f"/api/v1/evaluations?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["code"] == "validation_error"


# --- 8. overdue -----------------------------------------------------------------------------


def overdue(client, fund_code: str | None = None) -> set[tuple[str, str]]:
    items = ok(client.get("/api/v1/evaluations/overdue"))["items"]
    return {
        (item["fund_code"], item["region"])
        for item in items
        if fund_code is None or item["fund_code"] == fund_code
    }


def test_regions_that_received_money_and_filed_nothing_are_overdue(api):
    items = ok(api("province_checker").get("/api/v1/evaluations/overdue"))["items"]
    dktx = [item for item in items if item["fund_code"] == "2017-DKTX"]
    assert {item["region"] for item in dktx} == PREFECTURES_2017_DKTX | {"430481"}
    assert {item["due"] for item in dktx} == {"2018-03-31"}
    names = {item["region"]: item["region_name"] for item in dktx}
    assert names["430100"] == "长沙市" and names["430481"] == "耒阳市"
    # every 2017 三结合 receiver filed, and got approved
    assert not [item for item in items if item["fund_code"] == "2017-SJH"]
    # 综合保险: only 衡阳市, 永州市 and 耒阳市 filed
    assert {item["region"] for item in items if item["fund_code"] == "2017-BX"} == (
        {"430100", "430200", "430300", "430500", "430600", "430700", "430800", "430900",
         "431000", "431200", "431300", "431028"}
    )  # fmt: skip
    assert overdue(api("auditor")) == {(item["fund_code"], item["region"]) for item in items}


def test_the_overdue_list_is_paginated_by_year_fund_and_region(api):
    """A province with a year of evaluations outstanding has thousands: the list comes a
    page at a time like every large list, in a stable order, with the count of all."""
    auditor = api("auditor")
    everything = ok(auditor.get("/api/v1/evaluations/overdue?per_page=200"))
    assert set(everything) == {"items", "page", "per_page", "total"}
    pairs = [(item["due"], item["fund_code"], item["region"]) for item in everything["items"]]
    assert len(pairs) == everything["total"] > 14
    assert pairs == sorted(pairs)
    assert ok(auditor.get("/api/v1/evaluations/overdue"))["per_page"] == 50

    first = ok(auditor.get("/api/v1/evaluations/overdue?per_page=7"))
    second = ok(auditor.get("/api/v1/evaluations/overdue?per_page=7&page=2"))
    assert first["total"] == second["total"] == everything["total"]
    assert len(first["items"]) == len(second["items"]) == 7
    assert [(i["due"], i["fund_code"], i["region"]) for i in first["items"] + second["items"]] == (
        pairs[:14]
    )
    past = ok(auditor.get("/api/v1/evaluations/overdue?per_page=7&page=1000"))
    assert past["items"] == [] and past["total"] == everything["total"]

    for bad in ("per_page=0", "per_page=201", "page=0", "page=abc"):
        response = auditor.get(f"/api/v1/evaluations/overdue?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "username, regions",
    [
        ("hengyang_finance", {"430400", "430481"}),
        ("hengyang_checker", {"430400", "430481"}),
        ("leiyang_finance", {"430481"}),
        ("anren_finance", {"431028"}),
        ("changsha_finance", {"430100"}),
    ],
)
def test_the_overdue_list_covers_only_the_callers_subtree(api, username, regions):
    found = overdue(api(username))
    assert found
    assert {region for _, region in found} == regions
    if "430481" in regions:
        assert ("2017-DKTX", "430481") in found


def test_a_submitted_evaluation_is_no_longer_overdue(api, fund_id):
    changsha = api("changsha_finance")
    checker = api("province_checker")
    assert ("2017-DKTX", "430100") in overdue(checker)
    body = open_evaluation(changsha, fund_id("2017-DKTX"))
    fill(changsha, body)
    assert ("2017-DKTX", "430100") in overdue(checker)  # a draft is not filed
    ok(submit(changsha, body["id"]))
    assert ("2017-DKTX", "430100") not in overdue(checker)
    assert ("2017-DKTX", "430100") not in overdue(changsha)
    assert ("2017-DKTX", "430200") in overdue(checker)  # the others still are
    ok(send_back(checker, body["id"]))
    assert ("2017-DKTX", "430100") in overdue(checker)  # returned: to be filed again
    ok(submit(changsha, body["id"]))
    ok(approve(checker, body["id"], "70"))
    assert ("2017-DKTX", "430100") not in overdue(checker)


def test_a_region_whose_money_was_all_recalled_is_not_overdue(api, db_session, fund_id):
    """BUG: after the province recalls the whole of 株洲市's 2017-DKTX, 株洲市 may not file
    an evaluation (422 "本地区没有收到这笔专项资金，无需填报绩效评价"), but the overdue list,
    which counts ``recalled`` allocations as received, keeps it overdue for ever."""
    dktx = fund_id("2017-DKTX")
    assert ("2017-DKTX", "430200") in overdue(api("auditor"))
    recall_everything(api, db_session, dktx, "430200", "600000.00")
    response = api("zhuzhou_finance").post("/api/v1/evaluations", json={"fund_id": dktx})
    assert response.status_code == 422
    assert ("2017-DKTX", "430200") not in overdue(api("auditor"))
    assert ("2017-DKTX", "430100") in overdue(api("auditor"))


# --- 9. the PDF report ----------------------------------------------------------------------


def pdf_text(response) -> str:

    assert response.status_code == 200, response.get_data()[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", "", text)  # table cells wrap their text over lines


def test_the_report_is_a_pdf_of_the_evaluation(api, db_session, fund_id):
    evaluation = demo_evaluation(db_session, fund_id("2017-SJH"), "430481")
    text = pdf_text(api("leiyang_finance").get(f"/api/v1/evaluations/{evaluation}/report.pdf"))
    for expected in ("绩效自评报告", "三结合项目经费", "耒阳市", "2017-SJH", "91.00"):
        assert expected in text, expected
    for name, _ in SANJIEHE_LINES:
        assert name in text, name
    # a witness of the audit history, with the proof of the evaluation it is about
    head = api("auditor").get("/api/v1/audit/head").get_json()
    assert f"审计日志共封存{head['size']}笔交易" in text and head["root"] in text
    assert f"proof-evaluations_version-{evaluation}.json" in text


def test_the_report_of_a_fresh_draft(api, fund_id):
    changsha = api("changsha_finance")
    body = open_evaluation(changsha, fund_id("2017-DKTX"))
    text = pdf_text(changsha.get(f"/api/v1/evaluations/{body['id']}/report.pdf"))
    for expected in ("绩效自评报告", "计生家庭发展生产贷款贴息", "长沙市", "草稿"):
        assert expected in text, expected
    for name in ("贴息贷款户数", "贷款家庭满意度", "贷款项目持续经营率"):
        assert name in text, name
    assert (
        api("hengyang_finance").get(f"/api/v1/evaluations/{body['id']}/report.pdf").status_code
        == 404
    )


def test_the_reviewers_opinion_is_the_approvals_reason_and_its_review_comment(api, fund_id):
    evaluation = submitted_evaluation(api("changsha_finance"), fund_id("2017-DKTX"))
    checker = api("province_checker")
    body = ok(
        checker.post(
            f"/api/v1/evaluations/{evaluation}/approve",
            json={"final_score": "88", "reason": "同意，贴息资金使用规范"},
        )
    )
    assert body["review_comment"] == "同意，贴息资金使用规范"
    last = ok(api("auditor").get(f"/api/v1/history/evaluations/{evaluation}"))["items"][-1]
    assert last["reason"] == "同意，贴息资金使用规范"
    assert last["action"].startswith("审定绩效评价")
