"""``flask audit verify`` passes on honest data and names the culprit after each tampering."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from fundtrack.funds.models import BudgetLine
from tests.helpers import disable_chain_triggers

SQL = sa.text


def _verify(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def _is_postgres(db_session) -> bool:
    return db_session.connection().dialect.name == "postgresql"


def _last_tx_of(db_session, version_table: str) -> int:
    return db_session.execute(SQL(f"SELECT max(transaction_id) FROM {version_table}")).scalar()


def test_honest_data_verifies(runner, api, fund_id):
    # some fresh history on top of the demo
    response = api("leiyang_finance").post(
        "/api/v1/disbursements",
        json={"fund_id": fund_id("2017-SJH"), "category": "project_support",
              "amount": "300.00", "paid_on": "2017-12-01", "payee_name": "核验测试",
              "voucher_no": "核验-1"},
    )  # fmt: skip
    assert response.status_code == 201
    code, output = _verify(runner)
    assert code == 0, output
    assert "audit verify OK" in output


def test_every_commit_extends_the_chain_and_head_prints_it(runner, api, fund_id):
    before = runner.invoke(args=["audit", "head"]).output.split()
    api("province_maker").post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-DKTX"), "to_region": "430100", "amount": "10.00",
              "document_no": "湘计生协〔2018〕99号"},
    )  # fmt: skip
    after = runner.invoke(args=["audit", "head"]).output.split()
    assert int(after[0]) == int(before[0]) + 1  # positions are contiguous
    assert len(after[1]) == 64 and after[1] != before[1]


def test_a_changed_version_row_is_named(runner, db_session):
    tx = _last_tx_of(db_session, "disbursements_version")
    db_session.execute(
        SQL("UPDATE disbursements_version SET amount_fen = amount_fen + 100 "
            "WHERE transaction_id = :tx"), {"tx": tx}
    )  # fmt: skip
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {tx}" in output


def test_a_deleted_version_row_is_named(runner, db_session):
    tx = _last_tx_of(db_session, "allocations_version")
    db_session.execute(
        SQL("DELETE FROM allocations_version WHERE transaction_id = :tx"), {"tx": tx}
    )
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {tx}" in output


def test_a_changed_transaction_reason_is_named(runner, db_session):
    tx = _last_tx_of(db_session, "funds_version")
    db_session.execute(SQL('UPDATE "transaction" SET reason = :r WHERE id = :tx'),
                       {"r": "另一个原因", "tx": tx})  # fmt: skip
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {tx}" in output


def test_the_chain_table_refuses_update_and_delete(db_session):

    for statement in ("UPDATE audit_seals SET hash = hash", "DELETE FROM audit_seals"):
        nested = db_session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db_session.execute(SQL(statement))
        nested.rollback()


def test_an_altered_chain_row_is_named(runner, db_session):
    disable_chain_triggers(db_session)
    link = db_session.execute(
        SQL("SELECT id, transaction_id FROM audit_seals ORDER BY id LIMIT 1 OFFSET 5")
    ).one()
    db_session.execute(
        SQL("UPDATE audit_seals SET hash = :h WHERE id = :id"), {"h": "f" * 64, "id": link.id}
    )
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {link.transaction_id}" in output


def test_a_deleted_chain_row_is_named(runner, db_session):
    disable_chain_triggers(db_session)
    link = db_session.execute(
        SQL("SELECT id, transaction_id FROM audit_seals ORDER BY id LIMIT 1 OFFSET 7")
    ).one()
    db_session.execute(SQL("DELETE FROM audit_seals WHERE id = :id"), {"id": link.id})
    code, output = _verify(runner)
    assert code == 1
    assert "chain" in output


def test_a_live_row_written_around_the_orm_is_named(runner, db_session):
    target = db_session.execute(
        SQL("SELECT id FROM disbursements WHERE status = 'approved' ORDER BY id LIMIT 1")
    ).scalar()
    db_session.execute(SQL("UPDATE disbursements SET amount_fen = 1 WHERE id = :id"),
                       {"id": target})  # fmt: skip
    code, output = _verify(runner)
    assert code == 1
    assert f"disbursements {target}" in output
    assert "amount_fen" in output


def test_a_live_row_inserted_around_the_orm_is_named(runner, db_session, fund_id):
    db_session.execute(
        SQL("INSERT INTO budget_lines (fiscal_year, region_code, name, total_fen, source, note) "
            "VALUES (2019, '430000', '暗中加入的预算', 100, '', '')")
    )  # fmt: skip
    code, output = _verify(runner)
    assert code == 1
    assert "budget_lines" in output and "no current version" in output


def test_a_live_row_deleted_around_the_orm_is_named(runner, db_session):
    db_session.execute(SQL("DELETE FROM benefit_rules WHERE code = 'nursing_subsidy_2018'"))
    code, output = _verify(runner)
    assert code == 1
    assert "benefit_rules nursing_subsidy_2018" in output


def test_a_commit_of_changes_never_flushed_is_sealed(app_ctx, db_session, runner):
    before = db_session.execute(SQL("SELECT count(*) FROM audit_seals")).scalar()
    db_session.add(
        BudgetLine(fiscal_year=2019, region_code="430000", name="未先写入的预算", total_fen=100,
                   source="", note="")
    )  # fmt: skip
    db_session.commit()  # no flush before: the commit's own flush writes the versions
    after = db_session.execute(SQL("SELECT count(*) FROM audit_seals")).scalar()
    assert after == before + 1
    code, output = _verify(runner)
    assert code == 0, output
