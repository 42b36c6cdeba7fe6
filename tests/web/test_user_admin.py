"""User administration pages (/users/): administrators only; every refusal shown at its
field with what was typed kept; every change of an account in its history with its reason;
a deactivated account can neither log in nor use its tokens; nobody locks the others out."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.audit.models import AccessLog
from fundtrack.core.versioning import acting_as
from fundtrack.extensions import db
from fundtrack.users import operations
from fundtrack.users.errors import LastAdmin, SelfChange
from fundtrack.users.models import User
from tests.conftest import DEMO_PASSWORD, csrf_token

NEW_PASSWORD = "Wangfang-2019!"


def _versions(db_session, username: str) -> list[tuple]:
    """(operation type, role, active, action, reason) of every version of the user, oldest
    first: the program's sentence and the person's own words."""
    version = version_class(User)
    transaction = versioning_manager.transaction_cls
    return db_session.execute(
        sa.select(
            version.operation_type,
            version.role,
            version.active,
            transaction.action,
            transaction.reason,
        )
        .join(transaction, version.transaction_id == transaction.id)
        .where(version.username == username)
        .order_by(version.transaction_id)
    ).all()


def _form_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _edit(client, user_id: int, **changes):
    """Post the edit form of ``/users/<id>`` as the page shows it, with ``changes``."""
    html = _form_page(client, f"/users/{user_id}")
    data = {
        "csrf_token": csrf_token(html),
        "edit-display_name": re.search(r'name="edit-display_name"[^>]*value="([^"]*)"', html)[1],
        "edit-role": re.search(r'name="edit-role".*?<option selected value="(\w+)"', html, re.S)[1],
        "edit-region_code": re.search(
            r'name="edit-region_code".*?<option selected value="(\d+)"', html, re.S
        )[1],
        "edit-reason": "",
    }
    if re.search(r'<input[^>]*\bchecked\b[^>]*name="edit-active"', html):
        data["edit-active"] = "y"
    for name, value in changes.items():
        if value is None:
            data.pop(f"edit-{name}", None)
        else:
            data[f"edit-{name}"] = value
    return client.post(f"/users/{user_id}", data=data)


def _error_at(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', html)
    assert match, f"no error at {field_id}"
    return match[1]


def test_only_administrators_reach_the_user_pages(client, web_login, user):
    leiyang_id = user("leiyang_finance").id
    web_login("province_maker")
    home = client.get("/").get_data(as_text=True)
    assert "用户管理" not in home
    for url in ("/users/", "/users/new", f"/users/{leiyang_id}"):
        assert client.get(url).status_code == 403, url
    html = client.get("/").get_data(as_text=True)
    response = client.post(
        f"/users/{leiyang_id}",
        data={"csrf_token": csrf_token(html), "edit-display_name": "x", "edit-role": "admin",
              "edit-region_code": "430000", "edit-active": "y", "edit-reason": "提权"},
    )  # fmt: skip
    assert response.status_code == 403
    assert user("leiyang_finance").role == "maker"


def test_the_list_filters_searches_sorts_and_links_from_the_menu(client, web_login):
    web_login("admin")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/users/"' in home and "用户管理" in home
    html = _form_page(client, "/users/")
    assert "leiyang_finance" in html and "auditor" in html
    assert '<label for="q">' in html  # the search box has its label
    html = _form_page(client, "/users/?role=checker")
    assert "leiyang_checker" in html and "leiyang_finance" not in html
    html = _form_page(client, "/users/?q=leiyang")
    assert "leiyang_checker" in html and "hengyang_finance" not in html
    html = _form_page(client, "/users/?sort=username&dir=asc&role=maker")
    names = re.findall(r'<a href="/users/\d+">([a-z_]+)</a>', html)
    assert names == sorted(names) and "province_maker" in names and "admin" not in names
    assert 'aria-sort="ascending"' in html
    # a list of users knows no fund: the parameter is ignored, not an error
    assert "leiyang_checker" in _form_page(client, "/users/?fund_id=1")
    assert client.get("/users/?page=999").status_code == 200


def test_an_administrator_creates_a_user_who_can_log_in(client, web_login, db_session):
    web_login("admin")
    html = _form_page(client, "/users/new")
    for name in ("username", "display_name", "role", "region_code", "password"):
        assert f'<label for="{name}"' in html, name
    response = client.post(
        "/users/new",
        data={"csrf_token": csrf_token(html), "username": "ningxiang_finance",
              "display_name": "宁乡县财务", "role": "maker", "region_code": "430124",
              "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已创建用户 ningxiang_finance" in page
    assert "创建用户 ningxiang_finance" in page  # the history, with its reason
    assert _versions(db_session, "ningxiang_finance") == [
        (0, "maker", True, "创建用户 ningxiang_finance", None)
    ]
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert web_login("ningxiang_finance", NEW_PASSWORD).status_code == 302


def test_a_weak_password_is_refused_at_its_field_keeping_what_was_typed(
    client, web_login, db_session
):

    before = db_session.scalar(sa.select(sa.func.count()).select_from(User))
    web_login("admin")
    html = _form_page(client, "/users/new")
    response = client.post(
        "/users/new",
        data={"csrf_token": csrf_token(html), "username": "ningxiang_finance",
              "display_name": "宁乡县财务", "role": "checker", "region_code": "430124",
              "password": "short1", "password_confirm": "short1"},
    )  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "密码至少 10 个字符" in _error_at(html, "password")
    assert 'aria-invalid="true"' in html
    assert 'value="ningxiang_finance"' in html and 'value="宁乡县财务"' in html
    assert re.search(r'<option selected value="checker">', html)
    assert re.search(r'<option selected value="430124">', html)
    assert 'value="short1"' not in html  # a password is never sent back
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_a_taken_name_and_mismatched_passwords_are_refused_at_their_fields(client, web_login):
    web_login("admin")
    html = _form_page(client, "/users/new")
    response = client.post(
        "/users/new",
        data={"csrf_token": csrf_token(html), "username": "auditor", "display_name": "重复",
              "role": "auditor", "region_code": "430000", "password": NEW_PASSWORD,
              "password_confirm": NEW_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 409
    assert "用户名已存在" in _error_at(response.get_data(as_text=True), "username")
    response = client.post(
        "/users/new",
        data={"csrf_token": csrf_token(html), "username": "someone_new", "display_name": "某人",
              "role": "", "region_code": "", "password": NEW_PASSWORD,
              "password_confirm": NEW_PASSWORD + "x"},
    )  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "两次输入的密码不一致" in _error_at(html, "password_confirm")


def test_a_role_change_needs_a_reason_and_is_in_the_history(client, web_login, db_session, user):
    leiyang_id = user("leiyang_finance").id
    web_login("admin")
    response = _edit(client, leiyang_id, role="checker")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请填写原因" in _error_at(html, "edit-reason")
    assert re.search(r'<option selected value="checker">', html)  # what was chosen is kept
    assert user("leiyang_finance").role == "maker"

    response = _edit(client, leiyang_id, role="checker", reason="岗位调整：改任审批")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存用户 leiyang_finance 的修改" in html
    assert "岗位调整：改任审批" in html
    assert "角色：财务经办 → 财务审批" in html
    assert user("leiyang_finance").role == "checker"
    assert _versions(db_session, "leiyang_finance")[-1] == (
        1,
        "checker",
        True,
        "修改用户 leiyang_finance",
        "岗位调整：改任审批",
    )


def test_a_deactivated_user_can_neither_log_in_nor_use_a_token(
    client, web_login, api, db_session, user
):

    leiyang = api("leiyang_finance")
    assert leiyang.get("/api/v1/regions/430481").status_code == 200
    web_login("admin")
    response = _edit(client, user("leiyang_finance").id, active=None, reason="调离岗位")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已停用" in html and "该用户没有有效的 API 令牌" in html
    assert "状态：启用 → 已停用" in html
    assert leiyang.get("/api/v1/regions/430481").status_code == 401
    assert _versions(db_session, "leiyang_finance")[-1] == (
        1, "maker", False, "修改用户 leiyang_finance", "调离岗位"
    )  # fmt: skip
    assert db_session.scalar(
        sa.select(AccessLog.detail).where(AccessLog.event == "token_revoked")
        .order_by(AccessLog.id.desc()).limit(1)
    ) == "all tokens of leiyang_finance: account deactivated"  # fmt: skip

    client.post("/logout", data={"csrf_token": csrf_token(html)})
    response = web_login("leiyang_finance")
    assert response.status_code == 401
    response = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 401


def test_a_session_of_a_deactivated_user_ends_at_its_next_request(app, web_login, user):

    leiyang = app.test_client()
    page = leiyang.get("/login").get_data(as_text=True)
    leiyang.post("/login", data={"csrf_token": csrf_token(page), "username": "leiyang_finance",
                                 "password": DEMO_PASSWORD})  # fmt: skip
    assert leiyang.get("/").status_code == 200
    with app.app_context():
        target = user("leiyang_finance")
        with acting_as(None):
            operations.update_user(db.session, None, target, display_name=target.display_name,
                                   role=target.role, region_code=target.region_code,
                                   active=False, reason="调离岗位")  # fmt: skip
        db.session.commit()
    assert leiyang.get("/").status_code == 302


def test_an_administrator_cannot_lock_themselves_out(client, web_login, user):
    admin_id = user("admin").id
    web_login("admin")
    response = _edit(client, admin_id, active=None, reason="试试")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "不能停用自己的账户" in _error_at(html, "edit-active")
    assert "试试" in html  # the reason typed is kept
    response = _edit(client, admin_id, role="auditor", reason="试试")
    assert response.status_code == 409
    assert "不能停用自己的账户" in _error_at(response.get_data(as_text=True), "edit-role")
    assert user("admin").role == "admin" and user("admin").active
    # the administrator may still change their own name
    response = _edit(client, admin_id, display_name="系统管理员（张）", reason="写明姓名")
    assert response.status_code == 302


def test_the_last_active_administrator_cannot_be_demoted_or_deactivated(app_ctx, db_session, user):

    admin = user("admin")
    with acting_as(None):
        for change in ({"active": False}, {"role": "maker"}):
            values = {"display_name": admin.display_name, "role": admin.role,
                      "region_code": admin.region_code, "active": True, **change}  # fmt: skip
            with pytest.raises(LastAdmin) as refused:
                operations.update_user(db_session, None, admin, reason="测试", **values)
            assert refused.value.code == "last_admin" and refused.value.status == 409
            db_session.rollback()
            admin = user("admin")
        # with a second active administrator, one of them may go
        second = operations.create_user(db_session, username="admin_two", password=NEW_PASSWORD,
                                        role="admin", region_code="430000")  # fmt: skip
        operations.update_user(db_session, second, admin, display_name=admin.display_name,
                               role="auditor", region_code=admin.region_code, active=True,
                               reason="改任审计")  # fmt: skip
        assert admin.role == "auditor"
        with pytest.raises(SelfChange):
            operations.update_user(db_session, second, second, display_name="x", role="maker",
                                   region_code="430000", active=True, reason="测试")  # fmt: skip


def test_a_password_reset_refuses_weak_passwords_and_replaces_the_old(client, web_login, user):
    leiyang_id = user("leiyang_finance").id
    web_login("admin")
    html = _form_page(client, f"/users/{leiyang_id}")
    assert '<label for="password-password"' in html
    response = client.post(
        f"/users/{leiyang_id}/password",
        data={"csrf_token": csrf_token(html), "password-password": "leiyang_finance1",
              "password-password_confirm": "leiyang_finance1"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "密码不能包含用户名" in _error_at(response.get_data(as_text=True), "password-password")
    response = client.post(
        f"/users/{leiyang_id}/password",
        data={"csrf_token": csrf_token(html), "password-password": NEW_PASSWORD,
              "password-password_confirm": NEW_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已为 leiyang_finance 设置新密码" in page
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert web_login("leiyang_finance").status_code == 401
    assert web_login("leiyang_finance", NEW_PASSWORD).status_code == 302


def test_an_administrator_revokes_one_token_from_the_user_page(client, web_login, api, user):
    leiyang = api("leiyang_finance")
    web_login("admin")
    html = _form_page(client, f"/users/{user('leiyang_finance').id}")
    (action,) = re.findall(r'action="(/users/\d+/tokens/\d+/revoke)"', html)
    response = client.post(action, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已吊销令牌" in page and "该用户没有有效的 API 令牌" in page
    assert leiyang.get("/api/v1/regions/430481").status_code == 401
    # a token of someone else through this user's page: not found
    other = re.sub(r"/users/\d+/", f"/users/{user('auditor').id}/", action)
    assert client.post(other, data={"csrf_token": csrf_token(page)}).status_code == 404


def test_an_unknown_user_is_404(client, web_login):
    web_login("admin")
    assert client.get("/users/999999").status_code == 404
