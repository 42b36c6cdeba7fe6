"""The balance cache (``funds.balances``, keyed on the audit chain's head): a write shows at
once, in this app and in another app instance (another gunicorn worker) on the same
database; the figures are those of the uncached statement; a repeated view skips the
aggregate; nothing is cached where the head does not describe what the session sees."""

from __future__ import annotations

import contextlib
import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import versioning_manager

from fundtrack import create_app
from fundtrack.core.models import utcnow
from fundtrack.demo import load_demo
from fundtrack.disbursements.models import Disbursement
from fundtrack.extensions import db
from fundtrack.funds.balances import balance_rows, funds_balances, region_balance
from fundtrack.funds.models import Fund
from tests.conftest import DEMO_PASSWORD, ApiClient, csrf_token
from tests.query_count import count_queries

LEIYANG = "430481"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def other_app(database_url):
    """A second app on the same database: its own per-process cache, as a second worker."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        }
    )


def _login(client, username: str) -> ApiClient:
    response = client.post("/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return ApiClient(client, response.get_json()["token"])


def _fund_id(db_session, code: str) -> int:

    return db_session.scalar(sa.select(Fund.id).where(Fund.code == code))


def _balances(api: ApiClient, fund_id: int, **params) -> dict[str, dict]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.get(f"/api/v1/funds/{fund_id}/balances" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_json()
    return {b["region"]: b for b in response.get_json()["items"]}


def _pay(maker: ApiClient, fund_id: int, amount: str = "1234.56") -> int:
    n = next(_serial)
    response = maker.post(
        "/api/v1/disbursements",
        json={
            "fund_id": fund_id,
            "category": "project_support",
            "amount": amount,
            "paid_on": "2017-11-20",
            "payee_name": f"缓存测试户{n}",
            "voucher_no": f"缓存-{n}",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _cache(app):
    return app.extensions.get("fundtrack_caches", {}).get("balances")


@contextlib.contextmanager
def _cache_size(app, size: int):
    previous = app.config["BALANCE_CACHE_SIZE"]
    app.config["BALANCE_CACHE_SIZE"] = size
    try:
        yield
    finally:
        app.config["BALANCE_CACHE_SIZE"] = previous


def test_a_write_shows_at_once_through_the_api(client, db_session):
    fund_id = _fund_id(db_session, "2017-SJH")
    maker, checker = _login(client, "leiyang_finance"), _login(client, "leiyang_checker")
    before = _balances(maker, fund_id)
    assert _balances(maker, fund_id) == before  # the second one from the cache
    assert _cache(client.application).hits >= 1
    payment = _pay(maker, fund_id)
    after = _balances(maker, fund_id)
    assert float(after[LEIYANG]["disbursed"]) == pytest.approx(
        float(before[LEIYANG]["disbursed"]) + 1234.56
    )
    # pending: reserved, not yet spent
    assert after[LEIYANG]["execution_rate"] == before[LEIYANG]["execution_rate"]
    response = checker.post(f"/api/v1/disbursements/{payment}/approve", json={})
    assert response.status_code == 200, response.get_json()
    approved = _balances(maker, fund_id)
    assert Decimal(approved[LEIYANG]["execution_rate"]) > Decimal(
        before[LEIYANG]["execution_rate"] or 0
    )


def test_a_write_shows_at_once_on_the_pages(app, client, db_session):
    """The home page's figures (one cached statement over every visible fund) move with a
    payment made through the API."""
    fund_id = _fund_id(db_session, "2017-SJH")
    maker = _login(client, "leiyang_finance")
    page = app.test_client()
    form = page.get("/login").get_data(as_text=True)
    page.post(
        "/login",
        data={"csrf_token": csrf_token(form), "username": "leiyang_finance",
              "password": DEMO_PASSWORD},
    )  # fmt: skip
    assert page.get("/").status_code == 200
    assert page.get(f"/funds/{fund_id}").status_code == 200
    cache = _cache(app)
    misses = cache.misses
    assert page.get("/").status_code == 200 and page.get(f"/funds/{fund_id}").status_code == 200
    assert cache.misses == misses  # both from the cache
    _pay(maker, fund_id, "777.00")
    assert page.get("/").status_code == 200
    assert cache.misses == misses + 1  # a new head: computed again
    with app.app_context():
        funds = db_session.scalars(sa.select(Fund).order_by(Fund.id)).all()
        cached = funds_balances(db_session, funds)
        with _cache_size(app, 0):
            fresh = funds_balances(db_session, funds)
    assert cached == fresh


def test_two_app_instances_never_show_stale_figures(client, other_app, db_session):
    """Two apps (two gunicorn workers, each with its own cache) on one database: a write
    through either shows at once through the other."""
    fund_id = _fund_id(db_session, "2017-SJH")
    one = _login(client, "leiyang_finance")
    two = _login(other_app.test_client(), "leiyang_finance")
    start = _balances(one, fund_id)[LEIYANG]["disbursed"]
    assert _balances(two, fund_id)[LEIYANG]["disbursed"] == start
    assert _balances(two, fund_id)[LEIYANG]["disbursed"] == start  # cached in both now
    _pay(two, fund_id, "100.00")
    assert float(_balances(one, fund_id)[LEIYANG]["disbursed"]) == pytest.approx(float(start) + 100)
    _pay(one, fund_id, "10.00")
    assert float(_balances(two, fund_id)[LEIYANG]["disbursed"]) == pytest.approx(float(start) + 110)
    assert _cache(client.application) is not _cache(other_app)


def test_disabled_cache_gives_identical_figures(app, app_ctx, db_session):

    funds = db_session.scalars(sa.select(Fund).order_by(Fund.id)).all()
    past = datetime(2018, 6, 30)
    for as_of in (None, past):
        first = funds_balances(db_session, funds, as_of)
        hits = _cache(app).hits
        again = funds_balances(db_session, funds, as_of)
        assert _cache(app).hits == hits + 1
        with _cache_size(app, 0):
            plain = funds_balances(db_session, funds, as_of)
        assert first == again == plain
        for fund in funds:
            flows_cached, flows_plain = {}, {}
            cached = balance_rows(db_session, fund, "430000", as_of, flows=flows_cached)
            with _cache_size(app, 0):
                uncached = balance_rows(db_session, fund, "430000", as_of, flows=flows_plain)
            assert [(r.region_code, r.balance) for r in cached] == [
                (r.region_code, r.balance) for r in uncached
            ]
            assert flows_cached == flows_plain


def test_nothing_cached_where_the_head_does_not_say_what_is_seen(app, app_ctx, db_session):
    """Uncommitted writes of the session itself, a moment not yet past, one region's
    balance (the balance checks of writes) and versioning switched off all bypass the cache."""
    fund = db_session.scalar(sa.select(Fund).where(Fund.code == "2017-SJH"))
    funds_balances(db_session, [fund])  # cached for the current head
    cache = _cache(app)
    template = db_session.scalar(
        sa.select(Disbursement)
        .where(Disbursement.fund_id == fund.id, Disbursement.status == "approved")
        .limit(1)
    )
    before = funds_balances(db_session, [fund])[fund.id][template.region_code].disbursed_fen
    copy = {
        c.key: getattr(template, c.key)
        for c in sa.inspect(Disbursement).column_attrs
        if c.key not in ("id", "reverses_id")
    }
    copy["voucher_no"] = "缓存-未提交"
    db_session.add(Disbursement(**copy))
    db_session.flush()  # written, not committed: the head is still the old one
    counted = cache.hits, cache.misses
    seen = funds_balances(db_session, [fund])[fund.id][template.region_code].disbursed_fen
    assert seen == before + template.amount_fen
    assert (cache.hits, cache.misses) == counted  # not even looked up
    db_session.rollback()

    counted = cache.hits, cache.misses
    funds_balances(db_session, [fund], utcnow() + timedelta(days=1))
    region_balance(db_session, fund, template.region_code)
    versioning_manager.options["versioning"] = False
    try:
        funds_balances(db_session, [fund])
    finally:
        versioning_manager.options["versioning"] = True
    assert (cache.hits, cache.misses) == counted


def test_repeated_page_view_skips_the_aggregate(app, client, db_session):
    """With the cache on, the first view after a write runs the head lookup and the
    aggregate; a repeated one only the head lookup: fewer statements than the first, as many
    as with the cache off (where every view runs the aggregate)."""
    fund_id = _fund_id(db_session, "2017-SJH")
    form = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"csrf_token": csrf_token(form), "username": "auditor", "password": DEMO_PASSWORD},
    )
    for url in ("/", f"/funds/{fund_id}"):
        _pay(_login(app.test_client(), "leiyang_finance"), fund_id, "1.00")  # a new head
        with count_queries(app) as first:
            assert client.get(url).status_code == 200
        with count_queries(app) as repeated:
            assert client.get(url).status_code == 200
        with _cache_size(app, 0), count_queries(app) as uncached:
            assert client.get(url).status_code == 200

        def aggregates(counted):
            return sum("UNION ALL" in s for s in counted.statements)

        def heads(counted):
            return sum("FROM audit_seals" in s for s in counted.statements)

        assert (aggregates(first), heads(first)) == (1, 1), url
        assert (aggregates(repeated), heads(repeated)) == (0, 1), url
        assert (aggregates(uncached), heads(uncached)) == (1, 0), url
        assert repeated.count < first.count, url
        assert repeated.count == uncached.count, url


@pytest.fixture
def committed_app(scratch_database_url):
    """Demo data in a separate database, committed for real (PostgreSQL only)."""
    if not scratch_database_url.startswith("postgresql"):
        pytest.skip("real commits between two apps need PostgreSQL")

    def make():
        return create_app(
            {"SQLALCHEMY_DATABASE_URI": scratch_database_url, "SECRET_KEY": "x" * 40,
             "TESTING": True}
        )  # fmt: skip

    first = make()
    with first.app_context():
        flask_migrate.upgrade()
        load_demo(db.session, DEMO_PASSWORD)
        db.session.remove()
    second = make()
    yield first, second
    for each in (first, second):
        with each.app_context():
            db.engine.dispose()


def test_two_workers_with_real_commits(committed_app):
    """As above, with real commits on PostgreSQL: two apps, two engines, two caches."""
    first, second = committed_app
    with first.app_context():
        fund_id = db.session.scalar(sa.select(Fund.id).where(Fund.code == "2017-SJH"))
        db.session.remove()
    one = _login(first.test_client(), "leiyang_finance")
    two = _login(second.test_client(), "leiyang_finance")
    start = float(_balances(one, fund_id)[LEIYANG]["disbursed"])
    for _ in range(2):  # fill both caches
        assert float(_balances(two, fund_id)[LEIYANG]["disbursed"]) == start
        assert float(_balances(one, fund_id)[LEIYANG]["disbursed"]) == start
    _pay(two, fund_id, "100.00")
    assert float(_balances(one, fund_id)[LEIYANG]["disbursed"]) == pytest.approx(start + 100)
    _pay(one, fund_id, "10.00")
    assert float(_balances(two, fund_id)[LEIYANG]["disbursed"]) == pytest.approx(start + 110)
    assert float(_balances(one, fund_id)[LEIYANG]["disbursed"]) == pytest.approx(start + 110)
