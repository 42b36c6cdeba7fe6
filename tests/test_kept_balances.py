"""The balances the database keeps (``ledger``): moved in the transaction of every movement,
refused by the database itself below zero, and checked against the records by
``flask audit verify``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from fundtrack.allocations import operations as allocations
from fundtrack.core.errors import InsufficientFunds, InvalidTransition
from fundtrack.core.versioning import acting_as
from fundtrack.disbursements import operations as disbursements
from fundtrack.ledger import checks
from fundtrack.ledger.balances import recomputed_balances, region_balance
from fundtrack.ledger.models import FundBalance
from fundtrack.ledger.verify import rebuild_balances, verify_balances
from tests.helpers import created, ok, pay

LEIYANG = "430481"


def _row(db_session, fund_id: int, region_code: str) -> dict[str, int]:
    """The kept row's figures as they are now (read fresh after each request)."""
    table = FundBalance.__table__
    row = db_session.execute(
        sa.select(table).where(table.c.fund_id == fund_id, table.c.region_code == region_code)
    ).one()
    return dict(row._mapping)


def test_every_step_of_a_payment_moves_its_row_in_its_own_transaction(api, db_session, fund_id):
    sjh = fund_id("2017-SJH")
    before = _row(db_session, sjh, LEIYANG)
    disbursed, spent = before["disbursed_fen"], before["spent_fen"]

    payment = created(pay(api("leiyang_finance"), sjh, "1234.56"))
    row = _row(db_session, sjh, LEIYANG)
    assert (row["disbursed_fen"], row["spent_fen"]) == (disbursed + 123456, spent)  # reserved

    ok(api("leiyang_checker").post(f"/api/v1/disbursements/{payment['id']}/approve", json={}))
    row = _row(db_session, sjh, LEIYANG)
    assert (row["disbursed_fen"], row["spent_fen"]) == (disbursed + 123456, spent + 123456)

    balances = {b["region"]: b for b in ok(api("auditor").get(f"/api/v1/funds/{sjh}/balances"))[
        "items"
    ]}  # fmt: skip
    available = (
        row["received_fen"] - row["allocated_out_fen"] - row["disbursed_fen"]
        - row["carried_over_fen"]
    )  # fmt: skip
    assert Decimal(balances[LEIYANG]["available"]) == Decimal(available) / 100
    assert verify_balances(db_session)[1] is None


def _pay_directly(db_session, maker, fund, amount_fen: int, voucher: str):
    return disbursements.create_disbursement(
        db_session,
        maker,
        fund=fund,
        region_code=LEIYANG,
        category_code="project_support",
        amount_fen=amount_fen,
        paid_on=date(2017, 12, 1),
        payee_name="越权测试户",
        voucher_no=voucher,
    )


def test_the_database_refuses_an_overspend_that_slipped_past_the_code(
    app_ctx, db_session, user, fund, monkeypatch
):
    """With the operation's own balance check switched off, the CHECK of the kept row is
    what refuses: the same error, and nothing written."""
    sjh, maker = fund("2017-SJH"), user("leiyang_finance")
    available = region_balance(db_session, sjh, LEIYANG).available_fen
    count = db_session.scalar(sa.select(sa.func.count()).select_from(disbursements.Disbursement))
    monkeypatch.setattr(disbursements, "require_available", lambda *args: None)
    with pytest.raises(InsufficientFunds), acting_as(maker):
        _pay_directly(db_session, maker, sjh, available + 1, "越权-1")
    db_session.rollback()
    assert region_balance(db_session, sjh, LEIYANG).available_fen == available
    assert (
        db_session.scalar(sa.select(sa.func.count()).select_from(disbursements.Disbursement))
        == count
    )
    # and exactly the available money still passes
    with acting_as(maker):
        _pay_directly(db_session, maker, sjh, available, "越权-2")
    assert region_balance(db_session, sjh, LEIYANG).available_fen == 0


def test_audit_verify_names_a_balance_row_changed_around_the_application(
    runner, db_session, fund_id
):
    sjh = fund_id("2017-SJH")
    db_session.execute(
        sa.text(
            "UPDATE fund_balances SET received_fen = received_fen + 100 "
            "WHERE fund_id = :fund AND region_code = :region"
        ),
        {"fund": sjh, "region": LEIYANG},
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "balance of fund 2017-SJH at region 430481" in result.output
    assert "received kept" in result.output


def test_audit_verify_names_a_deleted_balance_row(runner, db_session, fund_id):
    sjh = fund_id("2017-SJH")
    db_session.execute(
        sa.text("DELETE FROM fund_balances WHERE fund_id = :fund AND region_code = :region"),
        {"fund": sjh, "region": LEIYANG},
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "region 430481" in result.output


def test_rebuild_gives_back_the_rows_the_postings_kept(app_ctx, db_session, fund):
    funds = [fund("2017-SJH"), fund("2018-SJH")]
    kept = {
        (row.fund_id, row.region_code): row.received_fen - row.disbursed_fen
        for row in db_session.scalars(sa.select(FundBalance))
    }
    assert rebuild_balances(db_session) >= len(kept) - 5  # zero rows may differ, no others
    db_session.expire_all()
    rebuilt = {
        (row.fund_id, row.region_code): row.received_fen - row.disbursed_fen
        for row in db_session.scalars(sa.select(FundBalance))
    }
    assert {k: v for k, v in rebuilt.items() if v} == {k: v for k, v in kept.items() if v}
    assert verify_balances(db_session)[1] is None
    recomputed = recomputed_balances(db_session, funds)
    for each in funds:
        for code, balance in recomputed[each.id].items():
            assert region_balance(db_session, each, code).available_fen == balance.available_fen


def test_an_import_locks_its_regions_once_in_key_order(app_ctx, db_session, fund, monkeypatch):
    """Inside a batch every (fund, region) row is locked once, the rows of one call in key
    order, whatever order the sheet names them in."""
    sjh = fund("2017-SJH")
    locked: list[list[str]] = []
    original = checks.ensure_rows

    def spy(session, keys):
        locked.append([code for _fund, code in sorted(keys)])
        return original(session, keys)

    monkeypatch.setattr(checks, "ensure_rows", spy)
    with checks.batch(db_session):
        checks.lock_batch(db_session, [(sjh, "430481"), (sjh, "430400"), (sjh, "430481")])
        checks.lock_balances(db_session, sjh, ("430481", "430400"))
    assert locked == [["430400", "430481"]]


def test_a_decision_taken_meanwhile_by_someone_else_is_not_posted_twice(
    app_ctx, db_session, user, fund
):
    """The session read a draft; another request approved it meanwhile (written here
    around this session, as a committed row would be). Approving it again from the stale
    draft is refused, and the receiver's balance does not count the money."""
    sjh, maker, checker = fund("2017-SJH"), user("province_maker"), user("province_checker")
    with acting_as(maker):
        allocation = allocations.create_allocation(
            db_session,
            maker,
            fund=sjh,
            from_region_code="430000",
            to_region_code="430400",
            amount_fen=100_000,
            document_no="湘计生协〔2017〕并发1号",
            reason="重复审批测试",
        )
    received = region_balance(db_session, sjh, "430400").received_fen
    db_session.execute(
        sa.text("UPDATE allocations SET status = 'cancelled' WHERE id = :id"),
        {"id": allocation.id},
    )
    assert allocation.status == "draft"  # what this session still believes
    with pytest.raises(InvalidTransition), acting_as(checker):
        allocations.approve_allocation(db_session, checker, allocation, reason="同意")
    db_session.rollback()
    assert region_balance(db_session, sjh, "430400").received_fen == received
