"""Conservation under concurrent requests, on PostgreSQL with real commits."""

from __future__ import annotations

import threading

import flask_migrate
import pytest
import sqlalchemy as sa

from fundtrack import create_app
from fundtrack.demo import load_demo
from fundtrack.extensions import db
from fundtrack.funds.models import Fund
from tests.conftest import DEMO_PASSWORD

CONCURRENT_REQUESTS = 24


@pytest.fixture
def committed_app(scratch_database_url):
    """A separate database with the demo loaded and committed: no outer transaction."""
    if not scratch_database_url.startswith("postgresql"):
        pytest.skip("concurrency needs PostgreSQL (run with DATABASE_URL=postgresql+psycopg://…)")

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": scratch_database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": CONCURRENT_REQUESTS + 2},
            "SECRET_KEY": "x" * 40,
            "TESTING": True,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_demo(db.session, DEMO_PASSWORD)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _balance(client, token, fund_id, region):
    response = client.get(
        f"/api/v1/funds/{fund_id}/balances", headers={"Authorization": f"Bearer {token}"}
    )
    return next(b for b in response.get_json()["items"] if b["region"] == region)


def test_concurrent_disbursements_never_overspend_one_balance(committed_app):

    client = committed_app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"username": "leiyang_finance", "password": DEMO_PASSWORD}
    ).get_json()["token"]
    with committed_app.app_context():
        fund_id = db.session.scalar(sa.select(Fund.id).where(Fund.code == "2017-SJH"))
    before = _balance(client, token, fund_id, "430481")
    assert before["available"] == "107000.00"

    barrier = threading.Barrier(CONCURRENT_REQUESTS)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def pay(n: int) -> None:
        own_client = committed_app.test_client()
        barrier.wait(timeout=60)
        response = own_client.post(
            "/api/v1/disbursements",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "fund_id": fund_id,
                "category": "project_support",
                "amount": "10000.00",
                "paid_on": "2017-12-01",
                "payee_name": f"并发测试户{n}",
                "voucher_no": f"并发-{n}",
            },
        )
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(CONCURRENT_REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == CONCURRENT_REQUESTS
    created = [body for status, body in answers if status == 201]
    refused = [body for status, body in answers if status != 201]
    # 107,000.00 available: room for exactly ten payments of 10,000.00
    assert len(created) == 10
    assert {body["error"]["code"] for body in refused} == {"insufficient_funds"}
    after = _balance(client, token, fund_id, "430481")
    assert after["available"] == "7000.00"
    assert after["disbursed"] == "193000.00"
