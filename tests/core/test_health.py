"""``GET /healthz``: public, checks the database, tells nothing about the deployment."""

import pytest

from fundtrack import create_app
from fundtrack.extensions import db

SECRET_KEY = "health-test-secret-key-0123456789-abcdefghij"


def test_ok_with_the_database_and_without_logging_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.fixture(
    params=[
        "sqlite:///{tmp}/no-such-directory/fundtrack.sqlite",
        # a closed port: refused at once; the password must not leak either
        "postgresql+psycopg://fundtrack:pw-Do-Not-Leak-42@127.0.0.1:1/fundtrack_nowhere",
    ],
    ids=["sqlite-missing-directory", "postgresql-closed-port"],
)
def unreachable_app(request, tmp_path):

    url = request.param.format(tmp=tmp_path)
    options = {"connect_args": {"connect_timeout": 3}} if url.startswith("postgresql") else {}
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "SECRET_KEY": SECRET_KEY,
        }
    )
    app.config["_url"] = url
    yield app
    with app.app_context():
        db.engine.dispose()


def test_503_when_the_database_is_unreachable(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    url = unreachable_app.config["_url"]
    for secret in (
        url,
        "no-such-directory",
        "pw-Do-Not-Leak-42",
        "127.0.0.1",
        "fundtrack_nowhere",
        SECRET_KEY,
        "Traceback",
        "sqlite",
        "psycopg",
    ):
        assert secret not in body, secret


def test_a_logged_in_browser_gets_no_new_session_cookie(client, web_login):
    assert web_login("auditor").status_code == 302
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
