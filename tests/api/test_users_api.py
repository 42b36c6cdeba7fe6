"""``/api/v1/users``: user administration for administrators, with the rules of the pages
(one set of operations) and stable error codes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.users.models import User
from tests.conftest import DEMO_PASSWORD, ApiClient

NEW_PASSWORD = "Ningxiang-2018!"
NEW_USER = {
    "username": "ningxiang_finance",
    "password": NEW_PASSWORD,
    "role": "maker",
    "region": "430124",
    "display_name": "宁乡县财务",
}


def _patch(client, path: str, body: dict):
    return client.client.patch(path, json=body, headers=client.headers)


def _error(response) -> dict:
    return response.get_json()["error"]


def test_only_administrators_manage_users(api, user):
    leiyang_id = user("leiyang_finance").id
    for username in ("province_maker", "auditor", "province_checker"):
        caller = api(username)
        for response in (
            caller.get("/api/v1/users"),
            caller.get(f"/api/v1/users/{leiyang_id}"),
            caller.post("/api/v1/users", json=NEW_USER),
            _patch(caller, f"/api/v1/users/{leiyang_id}", {"role": "admin", "reason": "提权"}),
            caller.post(f"/api/v1/users/{leiyang_id}/password", json={"password": NEW_PASSWORD}),
        ):
            assert response.status_code == 403, (username, response.request.path)
            assert _error(response)["code"] == "forbidden"
    assert user("leiyang_finance").role == "maker"


def test_the_list_filters_and_pages(api):
    admin = api("admin")
    body = admin.get("/api/v1/users?per_page=200").get_json()
    names = [item["username"] for item in body["items"]]
    assert names == sorted(names) and {"admin", "auditor", "leiyang_finance"} <= set(names)
    assert body["total"] == len(names)
    leiyang = next(item for item in body["items"] if item["username"] == "leiyang_finance")
    assert leiyang["role"] == "maker" and leiyang["role_label"] == "财务经办"
    assert leiyang["region"] == "430481" and leiyang["region_name"] == "耒阳市"
    assert leiyang["active"] is True
    checkers = admin.get("/api/v1/users?role=checker").get_json()["items"]
    assert checkers and {item["role"] for item in checkers} == {"checker"}
    found = admin.get("/api/v1/users?q=leiyang").get_json()["items"]
    assert {item["username"] for item in found} == {"leiyang_finance", "leiyang_checker"}
    response = admin.get("/api/v1/users?role=superuser")
    assert response.status_code == 422 and "role" in _error(response)["details"]["fields"]


def test_create_a_user_who_then_gets_a_token(api, client):
    admin = api("admin")
    response = admin.post("/api/v1/users", json=NEW_USER)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["username"] == "ningxiang_finance" and body["region"] == "430124"
    assert body["last_login_at"] is None
    assert admin.get(f"/api/v1/users/{body['id']}").get_json() == body
    token = client.post(
        "/api/v1/tokens", json={"username": "ningxiang_finance", "password": NEW_PASSWORD}
    )
    assert token.status_code == 201


def test_create_refusals_have_stable_codes_and_name_the_field(api, db_session):

    admin = api("admin")
    before = db_session.scalar(sa.select(sa.func.count()).select_from(User))
    cases = [
        ({"password": "short1"}, 422, "validation_error", "password"),
        ({"password": "ningxiang_finance-1"}, 422, "validation_error", "password"),
        ({"region": "999999"}, 422, "validation_error", "region"),
        ({"region": "4301"}, 422, "validation_error", "region"),
        ({"role": "superuser"}, 422, "validation_error", "role"),
        ({"username": "Bad Name"}, 422, "validation_error", "username"),
        ({"username": "auditor"}, 409, "username_taken", "username"),
    ]
    for change, status, code, field in cases:
        response = admin.post("/api/v1/users", json={**NEW_USER, **change})
        assert response.status_code == status, (change, response.get_json())
        error = _error(response)
        assert error["code"] == code, (change, error)
        assert field in error["details"]["fields"], (change, error)
        assert error["message"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_a_change_needs_a_reason_which_the_history_keeps(api, db_session, user):

    admin = api("admin")
    leiyang_id = user("leiyang_finance").id
    path = f"/api/v1/users/{leiyang_id}"
    response = _patch(admin, path, {"role": "checker"})
    assert response.status_code == 422
    assert "reason" in _error(response)["details"]["fields"]
    response = _patch(admin, path, {"role": "checker", "reason": "   "})
    assert response.status_code == 422
    assert _error(response)["code"] == "reason_required"

    response = _patch(admin, path, {"role": "checker", "region": "430400", "reason": "调任衡阳"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["role"], body["region"], body["display_name"]) == (
        "checker",
        "430400",
        "耒阳市计生协财务",
    )

    version = version_class(User)
    transaction = versioning_manager.transaction_cls
    newest = db_session.execute(
        sa.select(version.role, version.region_code, transaction.reason, transaction.user_id)
        .join(transaction, version.transaction_id == transaction.id)
        .where(version.id == leiyang_id)
        .order_by(version.transaction_id.desc())
        .limit(1)
    ).one()
    assert tuple(newest) == ("checker", "430400", "调任衡阳", user("admin").id)


def test_deactivating_revokes_tokens_and_refuses_logins(api, client, user):
    admin, leiyang = api("admin"), api("leiyang_finance")
    path = f"/api/v1/users/{user('leiyang_finance').id}"
    response = _patch(admin, path, {"active": False, "reason": "离职"})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert leiyang.get("/api/v1/regions/430481").status_code == 401
    login = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 401
    # reactivated, the account logs in again; the old token stays revoked
    assert _patch(admin, path, {"active": True, "reason": "返聘"}).status_code == 200
    assert leiyang.get("/api/v1/regions/430481").status_code == 401
    login = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 201


def test_administrators_cannot_lock_themselves_or_everyone_out(api, user):
    admin = api("admin")
    own = f"/api/v1/users/{user('admin').id}"
    for change in ({"active": False}, {"role": "maker"}):
        response = _patch(admin, own, {**change, "reason": "测试"})
        assert response.status_code == 409
        error = _error(response)
        assert error["code"] == "self_change"
        assert set(error["details"]["fields"]) == set(change)
    # a second administrator may demote the first, but not then themselves
    second = admin.post(
        "/api/v1/users",
        json={**NEW_USER, "username": "admin_two", "role": "admin", "region": "430000"},
    ).get_json()
    renamed = _patch(
        admin, f"/api/v1/users/{second['id']}", {"display_name": "第二", "reason": "x"}
    )
    assert renamed.status_code == 200
    token = admin.client.post(
        "/api/v1/tokens", json={"username": "admin_two", "password": NEW_PASSWORD}
    ).get_json()["token"]
    two = ApiClient(admin.client, token)
    assert _patch(two, own, {"role": "auditor", "reason": "改任审计"}).status_code == 200
    response = _patch(two, f"/api/v1/users/{second['id']}", {"active": False, "reason": "x"})
    assert response.status_code == 409 and _error(response)["code"] == "self_change"


def test_a_password_reset(api, client, user):
    admin = api("admin")
    path = f"/api/v1/users/{user('leiyang_finance').id}/password"
    response = admin.post(path, json={"password": "12345678901"})
    assert response.status_code == 422
    assert _error(response)["details"]["fields"]["password"] == ["密码须同时包含字母和数字或符号"]
    assert admin.post(path, json={"password": NEW_PASSWORD}).status_code == 200
    old = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": DEMO_PASSWORD}
    )
    assert old.status_code == 401
    new = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": NEW_PASSWORD}
    )
    assert new.status_code == 201


def test_an_unknown_user_is_404(api):
    admin = api("admin")
    for response in (
        admin.get("/api/v1/users/999999"),
        _patch(admin, "/api/v1/users/999999", {"reason": "x"}),
        admin.post("/api/v1/users/999999/password", json={"password": NEW_PASSWORD}),
    ):
        assert response.status_code == 404
        assert _error(response)["code"] == "not_found"
