"""The streaming verification of the chain checks what sealing hashed: every version row,
encoded (by the database on PostgreSQL) exactly as ``canonical_json`` encodes it, and the
first failing link in chain order is the one named; live rows are compared in SQL."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy_continuum import version_class

from fundtrack.audit.chain import (
    _transaction_rows,
    _version_rows,
    check_hashes,
    link_hash,
    verify_chain,
    verify_live_rows,
)
from fundtrack.models import Disbursement, Evaluation
from tests.helpers import disable_chain_triggers

SQL = sa.text
AWKWARD = 'quote " backslash \\ newline \n tab \t bell \x07 unit \x1f del \x7f / é 中 \u2028 '


def _verify(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def _seals(db_session) -> list[tuple]:
    rows = db_session.execute(
        SQL("SELECT id, transaction_id, prev_hash, hash FROM audit_seals ORDER BY id")
    )
    return [tuple(row) for row in rows]


def _sealed_like_seal_does(connection, position: int, tx: int, prev_hash: str) -> tuple:
    """A link for ``tx`` hashed the way ``seal`` hashes (the rows as they are now)."""
    transaction = _transaction_rows(connection, [tx]).get(tx)
    digest = link_hash(prev_hash, transaction, _version_rows(connection, [tx])[tx])
    return (position, tx, prev_hash, digest)


def test_awkward_values_are_encoded_as_sealing_encodes_them(db_session):
    """Strings needing escapes, microseconds with trailing zeros and none, dates, NULLs,
    decimals keeping their scale: the streamed encoding (SQL on PostgreSQL) hashes the same."""
    connection = db_session.connection()
    tx = db_session.execute(SQL("SELECT max(transaction_id) FROM disbursements_version")).scalar()
    payments = version_class(Disbursement).__table__
    db_session.execute(
        sa.update(payments)
        .where(payments.c.transaction_id == tx)
        .values(
            purpose=AWKWARD,
            payee_name="张三\r\n'单引号'",
            created_at=datetime(2018, 3, 4, 5, 6, 7, 120000),
            approved_at=datetime(2018, 3, 4, 5, 6, 7),
            paid_on=date(2018, 12, 31),
            project_name=None,
        )
    )
    evaluations = version_class(Evaluation).__table__
    for i, score in enumerate([Decimal("1.50"), Decimal("0.00"), Decimal("100.00"), None]):
        db_session.execute(
            sa.insert(evaluations).values(
                id=900_000 + i,
                transaction_id=tx,
                operation_type=0,
                final_score=score,
                summary=AWKWARD[i:],
                created_at=datetime(2019, 1, 1, 0, 0, i, i),
            )
        )
    link = _sealed_like_seal_does(connection, 1, tx, "a" * 64)
    assert check_hashes(connection, [link]) is None
    # and the same rows with one character changed do not hash the same
    db_session.execute(
        SQL("UPDATE evaluations_version SET summary = :t WHERE id = 900000"),
        {"t": AWKWARD.replace("中", "申")},
    )
    assert check_hashes(connection, [link]) == (1, "hash")


def test_a_range_rehashes_only_its_transactions(db_session):
    connection = db_session.connection()
    seals = _seals(db_session)
    middle = sorted(s[1] for s in seals)[len(seals) // 2]
    tampered = db_session.execute(
        SQL("SELECT max(transaction_id) FROM disbursements_version WHERE transaction_id > :m"),
        {"m": middle},
    ).scalar()
    db_session.execute(
        SQL("UPDATE disbursements_version SET amount_fen = amount_fen + 1 "
            "WHERE transaction_id = :tx"), {"tx": tampered},
    )  # fmt: skip
    position = next(s[0] for s in seals if s[1] == tampered)
    assert check_hashes(connection, seals, high=middle) is None
    assert check_hashes(connection, seals, low=middle + 1) == (position, "hash")
    assert check_hashes(connection, seals) == (position, "hash")


def test_the_first_failing_link_in_chain_order_is_named(runner, db_session):
    """Rows are streamed in transaction order; the finding is still the earliest link."""
    seals = _seals(db_session)
    with_versions = {
        row[0]
        for row in db_session.execute(SQL("SELECT DISTINCT transaction_id FROM funds_version"))
    }
    early, late = [s for s in seals if s[1] in with_versions][:2]
    db_session.execute(
        SQL('UPDATE "transaction" SET reason = COALESCE(reason, :x) || :x WHERE id IN (:a, :b)'),
        {"x": "！", "a": early[1], "b": late[1]},
    )
    # chain order need not be transaction order (ids are taken at the start, links at the
    # commit): with the two links' positions swapped, the later transaction is the first
    connection = db_session.connection()
    swapped = [(early[0], late[1], late[2], late[3]), (late[0], early[1], early[2], early[3])]
    assert check_hashes(connection, swapped) == (early[0], "hash")
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {early[1]} (link {early[0]})" in output


def test_a_changed_row_before_a_broken_link_is_named_first(runner, db_session):

    disable_chain_triggers(db_session)
    seals = _seals(db_session)
    tx = db_session.execute(SQL("SELECT min(transaction_id) FROM funds_version")).scalar()
    position = next(s[0] for s in seals if s[1] == tx)
    db_session.execute(SQL("DELETE FROM audit_seals WHERE id = :id"), {"id": len(seals)})
    db_session.execute(
        SQL("UPDATE audit_seals SET prev_hash = :h WHERE id = :id"),
        {"h": "e" * 64, "id": len(seals) - 1},
    )
    assert position < len(seals) - 1
    connection = db_session.connection()
    links, finding = verify_chain(connection)
    assert links == len(seals) - 2
    assert str(finding).startswith(f"chain: link {len(seals) - 1} ")
    db_session.execute(
        SQL("UPDATE funds_version SET name = name || '!' WHERE transaction_id = :tx"), {"tx": tx}
    )
    links, finding = verify_chain(connection)
    assert links == position - 1
    assert str(finding).startswith(f"transaction: transaction {tx} (link {position}) differs")
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {tx} (link {position}) differs" in output


def test_a_seal_whose_transaction_row_is_gone_is_named(runner, db_session):
    seals = _seals(db_session)
    position, tx, _, _ = seals[-1]
    db_session.execute(SQL('UPDATE "transaction" SET id = -id WHERE id = :tx'), {"tx": tx})
    code, output = _verify(runner)
    assert code == 1
    assert f"transaction {tx} (link {position}) is missing" in output


def test_a_live_value_set_to_null_is_named(runner, db_session):
    target = db_session.execute(
        SQL("SELECT min(id) FROM disbursements WHERE approved_at IS NOT NULL")
    ).scalar()
    db_session.execute(SQL("UPDATE disbursements SET approved_at = NULL WHERE id = :id"),
                       {"id": target})  # fmt: skip
    code, output = _verify(runner)
    assert code == 1
    assert f"disbursements {target}: approved_at is None" in output


def test_the_live_rows_are_compared_by_the_database(db_session):
    """Without a chain to fail first: a deletion as newest version, and a live row gone."""
    connection = db_session.connection()
    target = db_session.execute(SQL("SELECT min(id) FROM funds")).scalar()
    db_session.execute(
        SQL("UPDATE funds_version SET operation_type = 2 "
            "WHERE id = :id AND end_transaction_id IS NULL"), {"id": target}
    )  # fmt: skip
    _, finding = verify_live_rows(connection)
    assert str(finding) == (
        f"record: funds {target} has no current version: written around the application"
    )
