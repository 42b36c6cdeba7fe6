"""The API against its own OpenAPI document (``/api/v1/openapi.json``), fuzzed with
schemathesis: for every operation, as a provincial finance maker and as an auditor, no
answer is ever a 5xx, every status code is one the document lists for that operation (not
merely the catch-all ``default``), and every body matches the schema documented for it.

Deterministic (fixed seed, derandomized Hypothesis, no example database) and bounded: the
coverage phase walks each parameter's boundaries and wrong types, the fuzzing phase adds a
few random valid and invalid requests.

The database: one connection and one outer transaction for the whole module, rolled back at
its end (as ``db_session`` does for one test); the two bearer tokens are issued once, through
the token endpoint, inside it; each operation's examples run inside a savepoint rolled back
after them, so no operation sees what another wrote (a revoked token, a closed fund).
"""

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fundtrack import create_app
from fundtrack.extensions import db, limiter
from tests.conftest import DEMO_PASSWORD

ROLES = ["province_maker", "auditor"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20180101,
        "generation": {
            "mode": "all",
            "max-examples": 4,
            "deterministic": True,
            "database": "none",
        },
        "phases": {
            "stateful": {"enabled": False},
            # methods an operation does not have answer 405 from routing, not from us
            "coverage": {"unexpected-methods": []},
        },
        "operations": [
            {
                # PDFs and ZIPs are rendered for real (WeasyPrint, a second each): a couple of
                # random ids, not the coverage phase's every boundary of every parameter
                "include-path-regex": r"\.pdf$|/packets/",
                "phases": {"coverage": {"enabled": False}},
                "generation": {"max-examples": 2},
            }
        ],
    }
)


#: Undocumented answers found in code this change may not touch (being written by someone
#: else); the reason names the fix. The operation xfails (not strictly) until it is made.
NOT_YET_DOCUMENTED: dict[tuple[str, int], str] = {}


def status_code_documented_explicitly(ctx, response, case):
    """schemathesis' own ``status_code_conformance`` accepts any status when the operation
    has a ``default`` response, and flask-smorest gives every operation one: require the
    status among those the operation lists itself."""
    documented = {str(code) for code in case.operation.responses.status_codes} - {"default"}
    if str(response.status_code) in documented:
        return
    known = NOT_YET_DOCUMENTED.get((case.operation.label, response.status_code))
    if known:
        pytest.xfail(known)
    raise AssertionError(f"{response.status_code} is not among the documented {sorted(documented)}")


def still_authenticated(ctx, response, case):
    """A request that carried the role's token (schemathesis leaves it out on purpose in
    some negative cases) must not be a 401: that would mean an earlier operation's write (a
    revoked token) was not rolled back and the run has gone hollow. Only the token endpoints
    answer 401 by design: wrong credentials, a token this very operation revoked."""
    if case.operation.label in ("POST /api/v1/tokens", "DELETE /api/v1/tokens/current"):
        return
    if response.request.headers.get("Authorization", "").startswith("Bearer ft_"):
        assert response.status_code != 401, "the bearer token no longer works"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    status_code_documented_explicitly,
    content_type_conformance,
    response_schema_conformance,
    still_authenticated,
]


def _openapi_schema():
    """The document as the app serves it; collection needs it before any fixture exists, so
    it comes from an app of its own that never touches a database."""
    document_app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "openapi-document-only-0123456789abcdef",
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", document_app, config=CONFIG)


schema = _openapi_schema()


@pytest.fixture(scope="module")
def module_connection(app, _schema):
    """``db_session`` for the whole module: the app's session bound to one connection whose
    outer transaction is rolled back at the end."""
    with app.app_context():
        engine = db.engine
        limiter.reset()
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = sa.orm.scoped_session(
        sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=lambda: "openapi-fuzz",
    )
    try:
        yield connection
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()
        with app.app_context():
            limiter.reset()


@pytest.fixture(scope="module")
def bearer_headers(app, module_connection):
    """A bearer token per role, from the token endpoint (argon2: once per module)."""
    client = app.test_client()
    headers = {}
    for username in ROLES:
        response = client.post(
            "/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        headers[username] = {"Authorization": f"Bearer {response.get_json()['token']}"}
    return headers


@pytest.fixture
def savepoint(module_connection):
    """Whatever one operation's examples write is rolled back after them."""
    db.session.remove()
    nested = module_connection.begin_nested()
    try:
        yield
    finally:
        db.session.remove()
        nested.rollback()


@pytest.mark.parametrize("username", ROLES)
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_is_documented_and_no_5xx(case, app, bearer_headers, savepoint, username):
    # function-scoped fixtures are shared by the examples of one operation on purpose: they
    # only hold the savepoint that is rolled back after all of them
    case.call_and_validate(app=app, headers=bearer_headers[username], checks=CHECKS)
