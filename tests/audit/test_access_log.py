"""Logins, failed logins and tokens land in an access log that auditors read and filter."""

import pytest

from fundtrack.audit.errors import DeleteRefused
from tests.conftest import DEMO_PASSWORD, csrf_token


def _log(api_client, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api_client.get("/api/v1/access-log" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_logins_failures_tokens_and_logouts_are_logged(client, api, web_login):
    client.post("/api/v1/tokens", json={"username": "anren_finance", "password": "wrong-pass-1"},
                environ_base={"REMOTE_ADDR": "10.9.9.9"})  # fmt: skip
    anren = api("anren_finance")
    anren.delete("/api/v1/tokens/current")
    web_login("changsha_finance", "also-wrong-2")
    web_login("changsha_finance")
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})

    auditor = api("auditor")
    events = [(e["event"], e["username"]) for e in _log(auditor, per_page=20)["items"]]
    for expected in (
        ("login_failed", "anren_finance"),
        ("token_created", "anren_finance"),
        ("token_revoked", "anren_finance"),
        ("login_failed", "changsha_finance"),
        ("login", "changsha_finance"),
        ("logout", "changsha_finance"),
    ):
        assert expected in events, expected
    failed = _log(auditor, event="login_failed", username="anren_finance")["items"]
    assert failed[0]["remote_addr"] == "10.9.9.9"
    assert "invalid_credentials" in failed[0]["detail"]


def test_unknown_user_names_are_logged_as_typed(client, api):
    client.post("/api/v1/tokens", json={"username": "nobody", "password": "x"})
    items = _log(api("auditor"), username="nobody")["items"]
    assert items and items[0]["event"] == "login_failed" and items[0]["user_id"] is None


@pytest.mark.parametrize("username", ["province_maker", "leiyang_checker", "hengyang_finance"])
def test_only_auditors_and_admins_read_the_access_log(api, username):
    response = api(username).get("/api/v1/access-log")
    assert response.status_code == 403
    assert api("admin").get("/api/v1/access-log").status_code == 200


def test_access_log_page_filters(client, web_login):
    client.post("/api/v1/tokens", json={"username": "leiyang_finance", "password": "nope-nope-1"})
    web_login("auditor")
    html = client.get("/audit/access-log?event=login_failed&username=leiyang_finance").get_data(
        as_text=True
    )
    assert "登录失败" in html and "leiyang_finance" in html
    html = client.get("/audit/access-log?since=bad-date").get_data(as_text=True)
    assert "日期格式不正确" in html


def test_access_log_page_is_refused_to_finance_staff(client, web_login):
    web_login("leiyang_finance")
    assert client.get("/audit/access-log").status_code == 403


def test_the_auditor_reads_everything_and_changes_nothing(api, fund_id):
    auditor = api("auditor")
    assert len(auditor.get("/api/v1/funds").get_json()["items"]) == 6
    for path, payload in (
        ("/api/v1/funds", {"code": "A-1", "name": "x", "kind": "other", "fiscal_year": 2018,
                           "budget": "1.00", "earmarked_categories": ["hardship_relief"]}),
        ("/api/v1/allocations", {"fund_id": fund_id("2018-SJH"), "to_region": "430100",
                                 "amount": "1.00", "document_no": "A"}),
        ("/api/v1/disbursements", {"fund_id": fund_id("2018-SJH"), "category": "project_support",
                                   "amount": "1.00", "paid_on": "2018-05-01",
                                   "payee_name": "x", "voucher_no": "A"}),
    ):  # fmt: skip
        response = auditor.post(path, json=payload)
        assert response.status_code == 403, path
    pending = auditor.get("/api/v1/disbursements?status=pending").get_json()["items"][0]
    assert auditor.post(f"/api/v1/disbursements/{pending['id']}/approve").status_code == 403


def test_no_financial_record_can_be_hard_deleted(db_session, fund):

    db_session.delete(fund("2018-SJH"))
    with pytest.raises(DeleteRefused):
        db_session.flush()


def test_the_api_offers_no_delete_of_any_record(app):
    deletes = [
        rule.rule for rule in app.url_map.iter_rules() if "DELETE" in (rule.methods or set())
    ]
    assert deletes == ["/api/v1/tokens/current"]


def test_demo_password_is_what_the_fixtures_use():
    assert len(DEMO_PASSWORD) >= 10
