"""Conservation under concurrent requests, on PostgreSQL with real commits."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from decimal import Decimal

import flask_migrate
import pytest
import sqlalchemy as sa

from fundtrack import create_app
from fundtrack.core.versioning import acting_as
from fundtrack.demo import load_demo
from fundtrack.exchange.contract import KINDS
from fundtrack.exchange.imports import run_import
from fundtrack.extensions import db
from fundtrack.funds.models import Fund, FundCarryOver
from fundtrack.funds.year_end import propose_year_end
from fundtrack.ledger.checks import batch, lock_balances, lock_batch
from fundtrack.ledger.verify import verify_balances
from fundtrack.users.models import User
from tests.conftest import DEMO_PASSWORD
from tests.helpers import id_number, payment_row, workbook

CONCURRENT_REQUESTS = 30


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


def _token(client, username: str) -> str:
    return client.post(
        "/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD}
    ).get_json()["token"]


@contextlib.contextmanager
def _held_open(app, username: str, work, end: str):
    """Run ``work(session, user)`` as ``username`` in another thread's transaction and hold
    that transaction open for the ``with`` block; then ``end`` it ("commit" or "rollback")."""
    done, release, failure = threading.Event(), threading.Event(), []

    def hold():
        try:
            with app.app_context():
                session = db.session
                user = session.scalar(sa.select(User).where(User.username == username))
                with acting_as(user):
                    work(session, user)
                done.set()
                release.wait(timeout=60)
                getattr(session, end)()
                session.remove()
        except Exception as exc:
            failure.append(exc)
            done.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert done.wait(timeout=60) and not failure, failure
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=60)
    assert not failure, failure


def test_concurrent_disbursements_never_overspend_one_balance(committed_app):

    client = committed_app.test_client()
    token = _token(client, "leiyang_finance")
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


def _pay_in_thread(app, token, fund_id, voucher, answers, amount="100.00"):
    def send():
        response = app.test_client().post(
            "/api/v1/disbursements",
            headers={"Authorization": f"Bearer {token}"},
            json={"fund_id": fund_id, "category": "project_support", "amount": amount,
                  "paid_on": "2017-12-01", "payee_name": "并发测试户", "voucher_no": voucher},
        )  # fmt: skip
        answers.append(response.status_code)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_a_payment_in_another_county_completes_while_an_import_is_open(committed_app):
    """耒阳市's import holds its transaction open (rows written, not yet committed): a
    payment at 安仁县 from the same fund completes meanwhile; one at 耒阳市 waits for it."""
    client = committed_app.test_client()
    tokens = {name: _token(client, name) for name in ("leiyang_finance", "anren_finance")}

    def open_import(session, maker):
        kind = KINDS["disbursements"]
        rows = [payment_row(凭证号=f"导入-{n}", **{"金额（元）": 10}) for n in range(50)]
        run_import(session, maker, kind, workbook(kind, rows), "open.xlsx")

    with committed_app.app_context():
        fund_id = db.session.scalar(sa.select(Fund.id).where(Fund.code == "2017-SJH"))
        db.session.remove()
    with _held_open(committed_app, "leiyang_finance", open_import, "rollback"):
        other, same = [], []
        elsewhere = _pay_in_thread(committed_app, tokens["anren_finance"], fund_id, "安仁-1", other)
        elsewhere.join(timeout=15)
        assert not elsewhere.is_alive(), "a payment in another county waited for the import"
        assert other == [201]
        blocked = _pay_in_thread(committed_app, tokens["leiyang_finance"], fund_id, "耒阳-1", same)
        blocked.join(timeout=2)
        assert blocked.is_alive(), "a payment in the importing county did not wait for it"
    blocked.join(timeout=30)
    assert same == [201]


def _lock_in_sheet_order(app, codes, started, failures):
    """As an import does: the whole sheet's rows first (``lock_batch``), then each row in
    sheet order, slowly, as rows are created."""
    try:
        with app.app_context():
            session = db.session
            fund = session.scalar(sa.select(Fund).where(Fund.code == "2017-SJH"))
            started.wait(timeout=30)
            with batch(session):
                lock_batch(session, [(fund, code) for code in codes])
                for code in codes:
                    lock_balances(session, fund, (code,))
                    time.sleep(0.5)
            session.rollback()
            session.remove()
    except Exception as exc:
        failures.append(exc)


def _two_imports_in_opposite_orders(app) -> list[Exception]:
    started, failures = threading.Barrier(2), []
    threads = [
        threading.Thread(target=_lock_in_sheet_order, args=(app, codes, started, failures))
        for codes in (("430481", "431028"), ("431028", "430481"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


def test_imports_touching_the_same_regions_in_opposite_orders_never_deadlock(
    committed_app, monkeypatch
):
    failures = _two_imports_in_opposite_orders(committed_app)
    assert failures == []
    # the control: without the whole sheet locked first, the same two imports deadlock
    # (PostgreSQL cancels one of them): this test can fail
    monkeypatch.setattr(sys.modules[__name__], "lock_batch", lambda session, moves: None)
    failures = _two_imports_in_opposite_orders(committed_app)
    assert any(isinstance(exc, sa.exc.OperationalError) for exc in failures), failures


def test_two_checkers_approving_one_draft_at_once_count_its_money_once(committed_app):
    client = committed_app.test_client()
    maker, checker = _token(client, "province_maker"), _token(client, "province_checker")
    with committed_app.app_context():
        fund_id = db.session.scalar(sa.select(Fund.id).where(Fund.code == "2018-SJH"))
        db.session.remove()
    before = _balance(client, checker, fund_id, "430400")["received"]
    draft = client.post(
        "/api/v1/allocations",
        headers={"Authorization": f"Bearer {maker}"},
        json={"fund_id": fund_id, "to_region": "430400", "amount": "1000.00",
              "document_no": "湘计生协〔2018〕并发号"},
    )  # fmt: skip
    assert draft.status_code == 201, draft.get_json()
    barrier, answers = threading.Barrier(6), []

    def approve():
        own = committed_app.test_client()
        barrier.wait(timeout=30)
        response = own.post(
            f"/api/v1/allocations/{draft.get_json()['id']}/approve",
            headers={"Authorization": f"Bearer {checker}"},
            json={"reason": "同意"},
        )
        answers.append((response.status_code, (response.get_json() or {}).get("error")))

    threads = [threading.Thread(target=approve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _ in answers) == [200, 409, 409, 409, 409, 409], answers
    assert {error["code"] for status, error in answers if status == 409} == {"invalid_transition"}
    after = _balance(client, checker, fund_id, "430400")["received"]
    assert Decimal(after) == Decimal(before) + Decimal("1000.00")
    with committed_app.app_context():
        assert verify_balances(db.session)[1] is None
        db.session.remove()


def test_two_counties_registering_one_person_at_once_get_one_registration(committed_app):
    """Both pass the look-up at the same moment: the lock on the ID number makes one a
    registration and the other a ``duplicate_beneficiary`` refusal (kept for both), never
    a unique-index error."""
    client = committed_app.test_client()
    tokens = {name: _token(client, name) for name in ("leiyang_finance", "anren_finance")}
    number = id_number(1, born="19600101")
    barrier = threading.Barrier(len(tokens))
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def register(token: str) -> None:
        own_client = committed_app.test_client()
        barrier.wait(timeout=60)
        response = own_client.post(
            "/api/v1/beneficiaries",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "同时登记", "id_number": number, "family_type": "special"},
        )
        body = response.get_json()
        with lock:
            answers.append((response.status_code, body.get("error", {}).get("code", "")))

    threads = [threading.Thread(target=register, args=(t,)) for t in tokens.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == [(201, ""), (409, "duplicate_beneficiary")], answers
    with committed_app.app_context():
        kept = db.session.execute(
            sa.text("SELECT count(*) FROM beneficiary_duplicates WHERE name = '同时登记'")
        ).scalar()
        assert kept == 1


def test_a_carry_over_never_lands_in_a_fund_whose_close_was_proposed_meanwhile(committed_app):
    """2017-BX's close carries into 2018-BX. While its approval runs, 2018-BX's own close is
    proposed in another transaction (which holds that fund still): the approval waits for it
    and then refuses, instead of moving money into a fund that must stand still."""
    client = committed_app.test_client()
    tokens = {name: _token(client, name) for name in ("province_maker", "province_checker")}
    with committed_app.app_context():
        funds = {f.code: f.id for f in db.session.scalars(sa.select(Fund))}
        db.session.get(Fund, funds["2017-BX"]).year_end_policy = "carry_over"
        db.session.commit()
        db.session.remove()
    proposal = client.post(
        f"/api/v1/funds/{funds['2017-BX']}/close",
        headers={"Authorization": f"Bearer {tokens['province_maker']}"},
        json={"reason": "2017年度结算，结转2018年"},
    )
    assert proposal.status_code == 201, proposal.get_json()
    before = _balance(client, tokens["province_checker"], funds["2018-BX"], "430000")

    def propose_next_year(session, maker):
        propose_year_end(session, maker, session.get(Fund, funds["2018-BX"]), "2018")

    answers = []

    def approve():
        answers.append(
            committed_app.test_client().post(
                f"/api/v1/year-end-closes/{proposal.get_json()['id']}/approve",
                headers={"Authorization": f"Bearer {tokens['province_checker']}"},
                json={"reason": "同意"},
            )
        )

    approver = threading.Thread(target=approve)
    with _held_open(committed_app, "province_maker", propose_next_year, "commit"):
        approver.start()
        approver.join(timeout=2)
        waited = approver.is_alive()
    approver.join(timeout=60)
    assert waited, "the approval did not wait for next year's fund"
    assert answers[0].status_code == 422, answers[0].get_json()
    assert answers[0].get_json()["error"]["code"] == "validation_error"
    assert _balance(client, tokens["province_checker"], funds["2018-BX"], "430000") == before
    with committed_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FundCarryOver)) == 0
