"""Every route, walked: login required except the few public ones, no 500 for any role, and
the read-only auditor changes nothing through any write endpoint."""

import re

import pytest
import sqlalchemy as sa

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
            return converter.split("(")[1].split(",")[0].strip(" )")
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
    from sqlalchemy_continuum import versioning_manager

    from fundtrack.models import Allocation, Disbursement, Evaluation, Fund

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
    from fundtrack.models import Allocation, Beneficiary, Disbursement, Evaluation

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
