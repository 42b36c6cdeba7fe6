"""Fixtures in the warehouse style: the schema is built once with ``alembic upgrade head``
(and the demo loaded once), then every test runs inside an outer transaction that is rolled
back, the app's own commits becoming savepoints. Fast, isolated, on the real database:
SQLite by default, PostgreSQL when ``DATABASE_URL`` names one (as ``.ci/run`` does).
"""

from __future__ import annotations

import os
import re
import uuid

import flask_migrate
import pytest
import sqlalchemy as sa

from fundtrack import create_app
from fundtrack.demo import load_demo
from fundtrack.extensions import db, limiter
from fundtrack.funds.models import Fund
from fundtrack.users.models import User

DEMO_PASSWORD = "test-Password-2018"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "fundtrack-test.sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


@pytest.fixture
def scratch_database_url(database_url, tmp_path):
    """An empty database of the same kind as the test database, dropped afterwards.

    For tests that need real commits (migrations, concurrency) outside the rolled-back
    transaction of ``db_session``.
    """
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    name = f"{url.database}_s_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            # generated on first use, as in development, but outside the checkout
            "AUDIT_SIGNING_KEY_FILE": str(tmp_path_factory.mktemp("keys") / "audit.pem"),
        }
    )
    yield app

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def _schema(app):
    """alembic upgrade head, then the demo data, once per session (committed)."""
    with app.app_context():
        flask_migrate.upgrade()
        load_demo(db.session, DEMO_PASSWORD)
        db.session.remove()
    yield


@pytest.fixture
def db_session(app, _schema):
    """The app's session, bound to one connection whose outer transaction is rolled back.

    No app context stays pushed during the test: each request of the test client gets its
    own, as in production (a shared one would share ``g`` between requests). Tests that
    call operations directly ask for ``app_ctx``.
    """
    with app.app_context():
        engine = db.engine
        limiter.reset()
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    # A plain SQLAlchemy session: Flask-SQLAlchemy's own picks the engine and would
    # escape the outer transaction. One scope for the whole test.
    db.session = sa.orm.scoped_session(
        sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=lambda: "test",
    )
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def app_ctx(app, db_session):
    """An app context for tests that call operations directly (not with the test client)."""
    with app.app_context():
        yield


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


@pytest.fixture
def user(db_session):
    """Look up a demo user by name."""

    def get(username: str) -> User:
        return db_session.scalar(sa.select(User).where(User.username == username))

    return get


@pytest.fixture
def fund(db_session):
    """Look up a demo fund by code (the object lives until the next request ends)."""

    def get(code: str) -> Fund:
        return db_session.scalar(sa.select(Fund).where(Fund.code == code))

    return get


@pytest.fixture
def fund_id(fund):
    """The id of a demo fund, safe to use across requests."""
    return lambda code: fund(code).id


class ApiClient:
    """The test client with a bearer token of one demo user."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kw)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def put(self, path, **kw):
        return self._call("put", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


@pytest.fixture
def api(client):
    """``api("leiyang_finance")`` gives an ApiClient logged in as that demo user."""

    def login(username: str) -> ApiClient:
        response = client.post(
            "/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return ApiClient(client, response.get_json()["token"])

    return login


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')  # fmt: skip


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def switch_language(client, language: str, next_path: str = "/"):
    """Choose the page language with the header's switch, from the page ``next_path`` (its
    CSRF token) and back to it; the switch always answers with a redirect."""
    page = client.get(next_path).get_data(as_text=True)
    response = client.post(
        "/preferences/language",
        data={"csrf_token": csrf_token(page), "language": language, "next": next_path},
    )
    assert response.status_code == 302
    return response


@pytest.fixture
def web_login(client):
    """Log the test client in through the real login form (with its CSRF token)."""

    def login(username: str, password: str = DEMO_PASSWORD):
        page = client.get("/login")
        return client.post(
            "/login",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "username": username,
                "password": password,
            },
        )

    return login
