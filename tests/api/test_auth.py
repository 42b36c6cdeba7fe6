import subprocess
import sys
import textwrap
from datetime import timedelta

import sqlalchemy as sa

from fundtrack.users.models import ApiToken
from tests.conftest import DEMO_PASSWORD
from tests.helpers import created, pay


def test_token_gives_access_and_revocation_takes_it_away(client, api):
    leiyang = api("leiyang_finance")
    assert leiyang.get("/api/v1/regions/430481").status_code == 200

    assert leiyang.delete("/api/v1/tokens/current").status_code == 204

    response = leiyang.get("/api/v1/regions/430481")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_token_response_has_token_and_expiry(client):
    response = client.post(
        "/api/v1/tokens", json={"username": "auditor", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("ft_") and len(body["token"]) > 40
    assert body["expires_at"].endswith("+00:00")


def test_wrong_password_is_401_with_error_code(client):
    response = client.post(
        "/api/v1/tokens", json={"username": "auditor", "password": "wrong-password-1"}
    )
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "invalid_credentials"
    assert error["message"]


def test_repeated_failed_logins_answer_429_even_with_the_right_password(client):
    for _ in range(5):
        response = client.post(
            "/api/v1/tokens", json={"username": "province_maker", "password": "nope-nope-1"}
        )
        assert response.status_code == 401
    response = client.post(
        "/api/v1/tokens", json={"username": "province_maker", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"


def test_missing_or_malformed_token_is_401(client):
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer ft_not-a-real-token"}):  # fmt: skip
        response = client.get("/api/v1/funds", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_request_validation_error_format(client):
    response = client.post("/api/v1/tokens", json={"username": "auditor"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "password" in error["details"]["fields"]


def test_expired_token_is_refused(client, api, db_session):

    auditor = api("auditor")
    record = db_session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc())).first()
    record.expires_at = record.created_at - timedelta(seconds=1)
    db_session.commit()
    assert auditor.get("/api/v1/funds").status_code == 401


def test_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    for path in ("/api/v1/tokens", "/api/v1/tokens/current", "/api/v1/regions",
                 "/api/v1/categories", "/api/v1/funds", "/api/v1/funds/{fund_id}"):  # fmt: skip
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    fund = spec["components"]["schemas"]["Fund"]
    assert fund["properties"]["budget"]["type"] == "string"
    assert {"id", "code", "name", "kind", "fiscal_year", "source", "budget",
            "earmarked_categories", "status"} <= set(fund["properties"])  # fmt: skip


def test_admin_lists_and_revokes_any_token(api, client):
    leiyang = api("leiyang_finance")
    admin = api("admin")
    listing = admin.get("/api/v1/tokens/all?username=leiyang_finance&active=true").get_json()
    assert listing["total"] >= 1
    token_info = listing["items"][0]
    assert token_info["username"] == "leiyang_finance"
    assert "token" not in token_info and "token_hash" not in token_info
    response = admin.post(f"/api/v1/tokens/{token_info['id']}/revoke")
    assert response.status_code == 200 and response.get_json()["revoked_at"]
    assert leiyang.get("/api/v1/funds").status_code == 401
    log = admin.get("/api/v1/access-log?event=token_revoked").get_json()["items"]
    assert "leiyang_finance" in log[0]["detail"]


def test_only_admins_manage_tokens(api):
    for username in ("auditor", "province_checker", "leiyang_finance"):
        client_api = api(username)
        assert client_api.get("/api/v1/tokens/all").status_code == 403
        assert client_api.post("/api/v1/tokens/1/revoke").status_code == 403


def test_a_bearer_token_acts_as_its_user_whatever_session_cookie_comes_along(
    api, client, web_login, fund_id
):
    """A client logged in on the pages as a checker that calls the API with a maker's token
    acts as the maker: the token decides, the cookie is ignored."""
    web_login("hengyang_checker")
    payment = created(pay(api("leiyang_finance"), fund_id("2017-SJH")))
    history = api("auditor").get(f"/api/v1/history/disbursements/{payment['id']}").get_json()
    assert history["items"][0]["user"]["username"] == "leiyang_finance"


def test_tokens_are_issued_with_rate_limiting_switched_off(tmp_path):
    """``RATELIMIT_ENABLED=False`` (throttling left to a proxy) must not break logins. Its own
    process and database: the limiter is one object shared by every app of a process."""
    script = textwrap.dedent(f"""
        import flask_migrate
        from fundtrack import create_app
        from fundtrack.extensions import db
        from fundtrack.reference import load_reference_data
        from fundtrack.users.operations import create_user
        from fundtrack.core.versioning import set_reason

        app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path}/t.sqlite",
                          "SECRET_KEY": "x" * 40, "RATELIMIT_ENABLED": False}})
        with app.app_context():
            flask_migrate.upgrade()
            load_reference_data(db.session)
            set_reason(db.session, "test")
            create_user(db.session, username="someone", password="a-Password-2018",
                        role="maker", region_code="430000")
            db.session.commit()
        client = app.test_client()
        for _ in range(8):
            wrong = client.post("/api/v1/tokens", json={{"username": "someone",
                                                          "password": "wrong-password-1"}})
            assert wrong.status_code == 401, wrong.get_json()
        right = client.post("/api/v1/tokens", json={{"username": "someone",
                                                      "password": "a-Password-2018"}})
        assert right.status_code == 201, right.get_json()
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
