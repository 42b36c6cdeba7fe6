"""My account (/account): every signed-in user sees their name, role, region, last login and
page language, and changes their own password with the current one. A refusal is shown at
its field and no password is ever sent back; a change keeps the session, revokes the user's
API tokens and is in the access log, as is an administrator's reset."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import sqlalchemy as sa

from fundtrack.audit.models import AccessLog
from fundtrack.users.models import User
from tests.conftest import DEMO_PASSWORD, csrf_token, switch_language
from tests.helpers import rolled_back

NEW_PASSWORD = "Neue-Kennwort-2019"
PAGE = "/account"
ACTION = "/account/password"


def _error_at(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', html)
    assert match, f"no error at {field_id}"
    return match[1]


def _change(client, current: str, new: str, confirm: str | None = None):
    html = client.get(PAGE).get_data(as_text=True)
    return client.post(
        ACTION,
        data={
            "csrf_token": csrf_token(html),
            "password-current_password": current,
            "password-password": new,
            "password-password_confirm": new if confirm is None else confirm,
        },
    )


def _log(db_session, event: str) -> list[tuple]:

    return db_session.execute(
        sa.select(AccessLog.username, AccessLog.detail, AccessLog.remote_addr)
        .where(AccessLog.event == event)
        .order_by(AccessLog.id)
    ).all()


def _password_hash(db_session, username: str) -> str:

    return db_session.scalar(sa.select(User.password_hash).where(User.username == username))


def test_the_account_page_is_linked_from_the_name_in_the_header(client, web_login):
    assert client.get(PAGE).status_code == 302  # login first
    web_login("leiyang_finance")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/account"[^>]*>耒阳市计生协财务（财务经办 · 耒阳市）</a>', home)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>我的账户</h1>" in html
    for fact in ("<dd>耒阳市计生协财务</dd>", "<dd>leiyang_finance</dd>", "<dd>财务经办</dd>",
                 "<dd>430481 耒阳市</dd>"):  # fmt: skip
        assert fact in html, fact
    assert re.search(r"<dt>最近登录</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）</dd>", html)
    assert '<option value="zh" lang="zh-CN" selected>简体中文</option>' in html
    for name in ("current_password", "password", "password_confirm"):
        assert f'name="password-{name}"' in html and f'<label for="password-{name}"' in html


def test_the_language_can_be_chosen_on_the_account_page(client, web_login, user):
    web_login("leiyang_finance")
    response = switch_language(client, "en", PAGE)
    assert response.headers["Location"] == PAGE
    assert user("leiyang_finance").language == "en"
    assert '<html lang="en">' in client.get(PAGE).get_data(as_text=True)


def test_a_wrong_current_password_is_refused_at_its_field(client, web_login, db_session):
    web_login("leiyang_finance")
    before = _password_hash(db_session, "leiyang_finance")
    response = _change(client, "not-the-password-1", NEW_PASSWORD)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _error_at(html, "password-current_password") == "当前密码不正确"
    assert 'id="password-password-error"' not in html
    assert NEW_PASSWORD not in html and "not-the-password-1" not in html
    assert _password_hash(db_session, "leiyang_finance") == before
    assert _log(db_session, "password_changed") == []


def test_weak_or_mismatched_new_passwords_are_refused_and_never_sent_back(
    client, web_login, db_session
):
    web_login("leiyang_finance")
    before = _password_hash(db_session, "leiyang_finance")
    for new, confirm, field, message in (
        ("short1", None, "password-password", "密码至少 10 个字符"),
        ("onlyletterslong", None, "password-password", "密码须同时包含字母和数字或符号"),
        ("leiyang_finance-2019", None, "password-password", "密码不能包含用户名"),
        (DEMO_PASSWORD, None, "password-password", "新密码不能与当前密码相同"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "password-password_confirm", "两次输入的密码不一致"),
    ):
        response = _change(client, DEMO_PASSWORD, new, confirm)
        assert response.status_code == 422, new
        html = response.get_data(as_text=True)
        assert message in _error_at(html, field), new
        # what was typed in a password field is never sent back; the rest of the page stays
        assert 'value="' + new not in html and 'value="' + DEMO_PASSWORD not in html
        assert "<dd>leiyang_finance</dd>" in html
    assert _password_hash(db_session, "leiyang_finance") == before
    assert _log(db_session, "password_changed") == []


def test_a_change_keeps_the_session_revokes_tokens_and_is_logged(
    client, web_login, api, db_session
):
    token = api("leiyang_finance")
    assert token.get("/api/v1/funds").status_code == 200
    web_login("leiyang_finance")
    response = _change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    page = client.get(PAGE)  # the session stays valid
    assert page.status_code == 200
    assert "密码已修改；您的 1 个 API 令牌已同时吊销" in page.get_data(as_text=True)
    assert token.get("/api/v1/funds").status_code == 401
    [(username, detail, address)] = _log(db_session, "password_changed")
    assert username == "leiyang_finance" and address == "127.0.0.1"
    assert re.fullmatch(r"本人修改密码，同时吊销 API 令牌 #\d+", detail)

    html = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    assert web_login("leiyang_finance").status_code == 401  # the old password no longer works
    assert web_login("leiyang_finance", NEW_PASSWORD).status_code == 302
    response = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": NEW_PASSWORD}
    )
    assert response.status_code == 201


def test_wrong_current_passwords_count_as_failed_logins(client, web_login):
    """The form cannot be used to guess the password: past the failed-login limit even the
    right one is refused for a while."""
    web_login("anren_finance")
    for _attempt in range(5):
        assert _change(client, "guess-password-0", NEW_PASSWORD).status_code == 422
    response = _change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert _error_at(html, "password-current_password") == "登录失败次数过多，请稍后再试"


def test_hostile_values_in_the_password_fields(client, web_login, db_session):
    """Markup, NUL, a lone surrogate, 10,000 characters, in either field: never a 5xx, never
    echoed; a refusal says why in Chinese and changes nothing; what no column could hold (a
    NUL) or what is too long is refused. (The page forms' sweep, tests/security/
    test_hostile_input.py, checks that accepted text is shown back escaped: a password is
    never shown, so this form is swept here.)"""
    web_login("leiyang_finance")
    before = _password_hash(db_session, "leiyang_finance")
    always_refused = ("零\x00字节-1", "长1" * 5_000)
    for value in (*always_refused, "孤\ud800代理-1", '"><img src=x onerror=alert(1)>'):
        for name in ("current_password", "password"):
            html = client.get(PAGE).get_data(as_text=True)
            data = {"csrf_token": csrf_token(html), "password-current_password": DEMO_PASSWORD,
                    "password-password": NEW_PASSWORD, "password-password_confirm": NEW_PASSWORD,
                    f"password-{name}": value}  # fmt: skip
            if name == "password":
                data["password-password_confirm"] = value
            body = urlencode(data, encoding="utf-8", errors="surrogatepass")
            with rolled_back(db_session):
                response = client.post(
                    ACTION, data=body, content_type="application/x-www-form-urlencoded"
                )
                status, text = response.status_code, response.get_data(as_text=True)
                assert status in (302, 422), (name, value[:12], status)
                assert "<img src=x" not in text
                if status == 302:
                    assert name == "password" and value not in always_refused, value[:12]
                    assert "<img src=x" not in client.get(PAGE).get_data(as_text=True)
                else:
                    assert re.search(r'role="alert">[^<]*[\u4e00-\u9fff]', text), (name, value[:12])
                    assert _password_hash(db_session, "leiyang_finance") == before
            if status == 302:
                # the change was rolled back, so this session's password fingerprint is stale
                web_login("leiyang_finance")


def _reset(client, user_id: int, password: str):
    """An administrator's reset on the user's page."""
    html = client.get(f"/users/{user_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "password-password": password,
            "password-password_confirm": password}  # fmt: skip
    return client.post(f"/users/{user_id}/password", data=data)


def test_an_administrators_reset_is_in_the_access_log(client, web_login, api, user, db_session):
    leiyang_id, changsha_id = user("leiyang_finance").id, user("changsha_finance").id
    web_login("admin")
    assert _reset(client, leiyang_id, NEW_PASSWORD).status_code == 302
    response = api("admin").post(
        f"/api/v1/users/{changsha_id}/password", json={"password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert [(u, d) for u, d, _a in _log(db_session, "password_reset")] == [
        ("admin", "重置用户 leiyang_finance 的密码"),
        ("admin", "重置用户 changsha_finance 的密码"),
    ]
    # a refused reset logs nothing
    assert _reset(client, leiyang_id, "short1").status_code == 422
    assert len(_log(db_session, "password_reset")) == 2
    # the auditor reads both events, with their labels
    web_login("auditor")
    page = client.get("/audit/access-log?event=password_reset").get_data(as_text=True)
    assert "管理员重置密码" in page and "重置用户 changsha_finance 的密码" in page


def test_an_english_user_reads_the_account_page_in_english(client, web_login, user):
    """Needs the translations of ``i18n-pending/account.json`` merged into the catalogue
    (``scripts/i18n.py update --merge i18n-pending/account.json``)."""
    web_login("leiyang_finance")
    switch_language(client, "en", PAGE)
    html = client.get(PAGE).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<h1>My account</h1>" in html
    assert '<h2 id="password-heading">Change password</h2>' in html
    for text in (">Current password</label>", ">New password</label>",
                 ">Repeat the password</label>", "<dt>Last login</dt>", "<dt>Region</dt>",
                 "This login stays valid; all your API tokens are revoked"):  # fmt: skip
        assert text in html, text
    assert 'title="My account"' in html
    response = _change(client, "not-the-password-1", NEW_PASSWORD)
    assert _error_at(response.get_data(as_text=True), "password-current_password") == (
        "The current password is not correct"
    )
    response = _change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert "Password changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert user("leiyang_finance").language == "en"


def _browser(app, username: str, password: str = DEMO_PASSWORD):
    """Another browser (its own cookies), logged in through the form."""
    other = app.test_client()
    html = other.get("/login").get_data(as_text=True)
    response = other.post(
        "/login",
        data={"csrf_token": csrf_token(html), "username": username, "password": password},
    )
    assert response.status_code == 302
    return other


def test_a_password_change_ends_the_users_other_sessions(app, client, web_login):
    """The phone left logged in is logged out by the change made at the desk; the desk
    carries on."""
    phone = _browser(app, "leiyang_finance")
    assert phone.get(PAGE).status_code == 200
    web_login("leiyang_finance")
    assert _change(client, DEMO_PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get(PAGE).status_code == 200
    answer = phone.get(PAGE)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_an_administrators_reset_ends_the_users_sessions(app, client, web_login, user):
    leiyang_id = user("leiyang_finance").id
    desk = _browser(app, "leiyang_finance")
    anren = _browser(app, "anren_finance")
    web_login("admin")
    assert _reset(client, leiyang_id, NEW_PASSWORD).status_code == 302
    assert desk.get(PAGE).status_code == 302
    assert anren.get(PAGE).status_code == 200  # nobody else is touched
    assert client.get("/users/").status_code == 200  # nor the administrator
