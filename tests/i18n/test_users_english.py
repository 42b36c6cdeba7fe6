"""The login and user administration in English: the choice made on the login page (kept in
the session), a refused login, the user list and a refusal of the user page; Chinese stays
Chinese.

Needs the English catalogue with ``i18n-pending/users.json`` (and the shared strings of the
other areas) merged and compiled (``scripts/i18n.py update --merge …``).
"""

from __future__ import annotations

import re

from tests.conftest import csrf_token, switch_language


def test_the_login_page_in_english_after_choosing_english_on_it(client, app):
    switch_language(client, "en", "/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<title>Login · fundtrack</title>" in html
    assert ">User name</label>" in html and ">Password</label>" in html
    assert "用户名" not in html and "密码" not in html

    chinese = app.test_client().get("/login").get_data(as_text=True)
    assert ">用户名</label>" in chinese and ">密码</label>" in chinese


def test_a_refused_login_in_english(client, app, web_login):
    switch_language(client, "en", "/login")
    response = web_login("auditor", "wrong-password-9")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Incorrect user name or password" in html
    assert "用户名或密码不正确" not in html

    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    response = other.post("/login", data={"csrf_token": csrf_token(page), "username": "auditor",
                                          "password": "wrong-password-9"})  # fmt: skip
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_the_user_list_and_its_refusals_in_english(client, web_login, user, db_session):
    web_login("admin")
    switch_language(client, "en", "/users/")
    html = client.get("/users/").get_data(as_text=True)
    assert "<h1>User administration</h1>" in html
    assert 'href="/users/">User administration</a>' in html  # the menu
    for heading in ("User name", "Name", "Role", "Region", "Status", "Last login"):
        assert re.search(rf">{heading}(<span|</a>)", html), heading
    assert "Finance maker" in html and "System administrator" in html
    assert "用户管理" not in html and ">财务经办<" not in html

    # a refusal of the user page: the administrator deactivating themselves
    admin_id = user("admin").id
    page = client.get(f"/users/{admin_id}").get_data(as_text=True)
    response = client.post(
        f"/users/{admin_id}",
        data={"csrf_token": csrf_token(page), "edit-display_name": "系统管理员",
              "edit-role": "admin", "edit-region_code": "430000", "edit-reason": "test"},
    )  # fmt: skip
    assert response.status_code == 409
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)

    user("admin").language = "zh"
    db_session.commit()
    html = client.get("/users/").get_data(as_text=True)
    assert "<h1>用户管理</h1>" in html and "财务经办" in html
