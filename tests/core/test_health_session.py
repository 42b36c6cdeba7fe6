"""``GET /healthz`` from a logged-in browser while the database is down: still a 503 (the
check never loads the session's user, which would need the database), not a 500."""

import pytest

from fundtrack import create_app
from fundtrack.extensions import db

SECRET_KEY = "health-test-secret-key-0123456789-abcdefghij"


@pytest.fixture
def down_app(tmp_path):

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no-such-directory/x.sqlite",
            "SECRET_KEY": SECRET_KEY,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_503_with_a_session_cookie_when_the_database_is_down(down_app):
    client = down_app.test_client()
    with down_app.test_request_context(environ_base=client.environ_base):
        identifier = down_app.login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        # what login_user() leaves in a browser's session (with the "strong" protection id)
        session["_user_id"] = "1"
        session["_fresh"] = True
        session["_id"] = identifier
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    assert "Set-Cookie" not in response.headers
