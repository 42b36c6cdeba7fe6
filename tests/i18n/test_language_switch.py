"""The page language: Chinese by default, English by a switch kept on the user's account."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import DEMO_PASSWORD, csrf_token, switch_language

BRAND_ZH = "专项资金管理系统"
BRAND_EN = "Special Fund Management System"


def _versions_and_transactions(db_session) -> tuple[int, int]:
    versions = db_session.execute(sa.text("SELECT count(*) FROM users_version")).scalar_one()
    transactions = db_session.execute(sa.text('SELECT count(*) FROM "transaction"')).scalar_one()
    return versions, transactions


def test_pages_are_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert BRAND_ZH in html and BRAND_EN not in html


def test_before_login_the_choice_is_kept_in_the_session(client):
    response = switch_language(client, "en", "/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert BRAND_EN in html and BRAND_ZH not in html
    # the switch offers the way back, in Chinese
    assert 'value="zh" class="link" lang="zh-CN"' in html and "简体中文" in html


def test_a_users_choice_is_kept_on_the_account_and_not_versioned(
    app, client, web_login, user, db_session
):
    web_login("leiyang_finance")
    before = _versions_and_transactions(db_session)
    switch_language(client, "en", "/disbursements/")
    assert user("leiyang_finance").language == "en"
    # a preference, not a change an auditor reviews: no version, no audit transaction
    assert _versions_and_transactions(db_session) == before
    html = client.get("/disbursements/").get_data(as_text=True)
    assert ">Payments<" in html

    # a new browser, a new session: still English after logging in again
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    assert BRAND_ZH in page
    other.post("/login", data={"csrf_token": csrf_token(page), "username": "leiyang_finance",
                               "password": DEMO_PASSWORD})  # fmt: skip
    assert BRAND_EN in other.get("/").get_data(as_text=True)

    # someone else's pages stay Chinese
    third = app.test_client()
    page = third.get("/login").get_data(as_text=True)
    third.post("/login", data={"csrf_token": csrf_token(page), "username": "anren_finance",
                               "password": DEMO_PASSWORD})  # fmt: skip
    assert BRAND_ZH in third.get("/").get_data(as_text=True)


def test_an_unknown_language_or_a_missing_token_changes_nothing(client, web_login, user):
    web_login("leiyang_finance")
    response = switch_language(client, "fr", "/")
    assert response.status_code == 302
    assert user("leiyang_finance").language == "zh"
    response = client.post("/preferences/language", data={"language": "en", "next": "/"})
    assert user("leiyang_finance").language == "zh"
    assert BRAND_ZH in client.get("/").get_data(as_text=True)


def test_the_switch_only_goes_back_to_this_site(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/preferences/language",
        data={"csrf_token": csrf_token(page), "language": "en", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
