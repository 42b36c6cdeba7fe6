"""Every route, walked: login required except the few public ones, no 500 for any role, and
the read-only auditor changes nothing through any write endpoint."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import versioning_manager

from fundtrack.models import Allocation, Beneficiary, Disbursement, Evaluation, Fund

#: (rule, method) reachable without logging in
PUBLIC = {
    ("/login", "GET"),
    ("/login", "POST"),
    ("/static/<path:filename>", "GET"),
    ("/api/v1/openapi.json", "GET"),
    ("/api/v1/tokens", "POST"),
    ("/healthz", "GET"),
}
ROLES = ["admin", "province_maker", "province_checker", "auditor", "hengyang_finance",
         "leiyang_finance", "leiyang_checker", "anren_finance"]  # fmt: skip


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule) -> str:
    """The rule with an existing-looking value for each argument."""

    def value(match):
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any"):
            return converter.split("(")[1].split(",")[0].strip(" )'\"")
        if converter == "int":
            return "1"
        if name == "filename":
            return "app.css"
        return "430481"

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", value, rule.rule)


def _call(client, method, url, headers=None):
    response = client.open(url, method=method, json={} if method != "GET" else None,
                           headers=headers or {})  # fmt: skip
    response.close()  # static files are streamed: close them, the status is what counts
    return response


def test_every_route_requires_login_except_the_public_ones(app, client):
    checked = 0
    for rule, method in _routes(app):
        if (rule.rule, method) in PUBLIC:
            continue
        response = _call(client, method, _url(rule))
        checked += 1
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, (rule.rule, method, response.status_code)
        elif method == "GET":
            assert response.status_code == 302, (rule.rule, method)
            assert "/login" in response.headers["Location"], rule.rule
        else:  # page forms: refused before anything runs (CSRF, then login)
            assert response.status_code in (400, 302), (rule.rule, method)
    assert checked > 40


@pytest.mark.parametrize("username", ROLES)
def test_no_route_answers_500_for_any_role(app, client, api, web_login, username):
    token = api(username).headers
    web_login(username)
    for rule, method in _routes(app):
        if rule.rule in ("/logout",):
            continue
        headers = token if rule.rule.startswith("/api/") else None
        response = _call(client, method, _url(rule), headers)
        assert response.status_code < 500, (username, rule.rule, method, response.status_code)


def test_the_auditor_changes_nothing_through_any_api_write(app, api, db_session):

    auditor = api("auditor")
    ids = {
        "funds": db_session.scalar(sa.select(Fund.id).limit(1)),
        "allocations": db_session.scalar(sa.select(Allocation.id).limit(1)),
        "disbursements": db_session.scalar(
            sa.select(Disbursement.id).where(Disbursement.status == "pending").limit(1)
        ),
        "evaluations": db_session.scalar(sa.select(Evaluation.id).limit(1)),
    }
    transactions = versioning_manager.transaction_cls
    before = db_session.scalar(sa.select(sa.func.count()).select_from(transactions))
    refused = 0
    for rule, method in _routes(app):
        if method == "GET" or not rule.rule.startswith("/api/") or "tokens" in rule.rule:
            continue
        if rule.rule.endswith("/reveal-id"):
            continue  # a read, made a POST to be deliberate and logged; auditors may do it
        kind = rule.rule.split("/")[3]
        url = re.sub(r"<int:[a-z_]+>", str(ids.get(kind) or 1), rule.rule)
        payloads = ({}, {"reason": "x", "comment": "x", "final_score": "90", "amount": "1.00",
                         "fund_id": ids["funds"], "to_region": "430100", "document_no": "X",
                         "category": "project_support", "paid_on": "2017-12-01",
                         "payee_name": "x", "voucher_no": "x", "code": "X-1", "name": "x",
                         "kind": "other", "fiscal_year": 2018, "budget": "1.00",
                         "earmarked_categories": ["hardship_relief"], "id_number": "x",
                         "family_type": "special"})  # fmt: skip
        for payload in payloads:
            response = auditor.client.open(url, method=method, json=payload,
                                           headers=auditor.headers)  # fmt: skip
            assert response.status_code >= 400, (rule.rule, method, payload)
        refused += 1
    assert refused > 15
    after = db_session.scalar(sa.select(sa.func.count()).select_from(transactions))
    assert after == before


def test_a_county_cannot_reach_another_countys_records_by_any_id(api, db_session):

    anren = api("anren_finance")
    foreign = {
        "allocations": db_session.scalar(
            sa.select(Allocation.id).where(Allocation.to_region_code == "430481").limit(1)
        ),
        "disbursements": db_session.scalar(
            sa.select(Disbursement.id).where(Disbursement.region_code == "430481").limit(1)
        ),
        "evaluations": db_session.scalar(
            sa.select(Evaluation.id).where(Evaluation.region_code == "430481").limit(1)
        ),
        "beneficiaries": db_session.scalar(
            sa.select(Beneficiary.id).where(Beneficiary.region_code == "430481").limit(1)
        ),
    }
    for kind, record_id in foreign.items():
        assert anren.get(f"/api/v1/{kind}/{record_id}").status_code == 404, kind
        assert anren.get(f"/api/v1/history/{kind}/{record_id}").status_code == 404, kind
    for path, body in ((f"/api/v1/allocations/{foreign['allocations']}/approve", {}),
                       (f"/api/v1/disbursements/{foreign['disbursements']}/reverse",
                        {"reason": "x"}),
                       (f"/api/v1/evaluations/{foreign['evaluations']}/submit", None)):  # fmt: skip
        assert anren.post(path, json=body).status_code == 404, path
    items = anren.get("/api/v1/disbursements?per_page=200").get_json()["items"]
    assert {item["region"] for item in items} <= {"431028"}


#: URL argument -> the record kind it names (for ``record_id``: the rule's own ``kind``)
RECORD_ARGUMENTS = {
    "allocation_id": "allocations",
    "recall_id": "recalls",
    "disbursement_id": "disbursements",
    "evaluation_id": "evaluations",
    "beneficiary_id": "beneficiaries",
    "batch_id": "bank_batches",
}


def _foreign_records(api, db_session) -> dict[str, int]:
    """One record of each kind belonging to 耒阳市 (430481), which 安仁县 must not reach."""

    def first(stmt):
        return db_session.scalar(stmt.limit(1))

    allocation = first(sa.select(Allocation.id).where(Allocation.to_region_code == "430481",
                                                      Allocation.status == "approved"))  # fmt: skip
    recall = api("hengyang_finance").post(
        f"/api/v1/allocations/{allocation}/recall", json={"amount": "1.00", "reason": "核对"}
    )
    assert recall.status_code == 201, recall.get_json()
    payment = first(
        sa.select(Disbursement.id).where(
            Disbursement.region_code == "430481", Disbursement.status == "approved"
        )
    )
    batch = api("leiyang_finance").post(
        "/api/v1/bank-files", json={"paid_from": "2017-01-01", "paid_to": "2017-12-31"}
    )
    if batch.status_code == 422:  # no demo payment of 耒阳 has a bank account: make one
        fund = first(sa.select(Disbursement.fund_id).where(Disbursement.id == payment))
        made = api("leiyang_finance").post("/api/v1/disbursements", json={
            "fund_id": fund, "category": "project_support", "amount": "1.00",
            "paid_on": "2017-12-01", "payee_name": "核对", "voucher_no": "耒-RT-1",
            "payee_account": "6217000000000000001"})  # fmt: skip
        assert made.status_code == 201, made.get_json()
        approved = api("leiyang_checker").post(
            f"/api/v1/disbursements/{made.get_json()['id']}/approve"
        )
        assert approved.status_code == 200
        batch = api("leiyang_finance").post(
            "/api/v1/bank-files", json={"paid_from": "2017-01-01", "paid_to": "2017-12-31"}
        )
    assert batch.status_code == 201, batch.get_json()
    return {
        "allocations": allocation,
        "recalls": recall.get_json()["id"],
        "disbursements": payment,
        "evaluations": first(sa.select(Evaluation.id).where(Evaluation.region_code == "430481")),
        "beneficiaries": first(
            sa.select(Beneficiary.id).where(Beneficiary.region_code == "430481")
        ),
        "bank_batches": batch.get_json()["id"],
    }


def test_every_route_naming_a_record_hides_another_countys_record(
    app, client, api, web_login, db_session
):
    """Every GET rule of the URL map whose path names a record, pages and API alike, called
    by 安仁县's finance officer with a record of 耒阳市: 404, so that neither the record nor
    its existence leaks. A new route without a region check fails here."""
    foreign = _foreign_records(api, db_session)
    anren = api("anren_finance")
    web_login("anren_finance")
    walked = []
    for rule, method in _routes(app):
        if method != "GET" or not (set(rule.arguments) & (set(RECORD_ARGUMENTS) | {"record_id"})):
            continue

        def value(match, rule=rule):
            converter, name = match.group(1) or "", match.group(2)
            if name == "kind":
                return "disbursements"
            if name == "fmt":
                return "csv"
            if name == "record_id":
                return str(foreign["disbursements"])
            if name in RECORD_ARGUMENTS:
                return str(foreign[RECORD_ARGUMENTS[name]])
            return (
                converter.split("(")[1].split(",")[0].strip(" )'\"")
                if converter.startswith("any")
                else "1"
            )

        url = re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", value, rule.rule)
        if url.endswith("/state"):
            url += "?as_of=2030-01-01"  # its one required parameter
        response = anren.get(url) if url.startswith("/api/") else client.get(url)
        response.close()
        assert response.status_code == 404, (url, response.status_code)
        walked.append(url)
    assert len(walked) >= 20, walked  # the walk found the record routes
