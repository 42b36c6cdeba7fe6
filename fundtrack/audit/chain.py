"""The tamper-evident hash chain over continuum's transactions, and its verification.

Sealing happens inside the committing transaction, after its last flush, under a lock held
until the commit (a PostgreSQL advisory lock; SQLite has a single writer anyway): the chain
order is the commit order, and no transaction commits unsealed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.audit.models import GENESIS_HASH, AuditSeal

#: arbitrary constant key of the advisory lock that serialises sealing
CHAIN_LOCK_KEY = 0x66756E64  # "fund"
#: continuum rewrites this column of older versions when a newer one arrives
EXCLUDED_VERSION_COLUMNS = {"end_transaction_id"}
BATCH = 500


def versioned_models() -> list:
    """Every versioned model, in a stable order (by table name)."""
    return sorted(versioning_manager.version_class_map, key=lambda m: m.__tablename__)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def canonical_json(payload) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode("utf-8")


def _transaction_table():
    return versioning_manager.transaction_cls.__table__


def _version_rows(connection, transaction_ids: list[int]) -> dict[int, list[dict]]:
    """transaction id -> its version rows, each ``{"table", "row"}``, in a stable order."""
    found: dict[int, list[dict]] = {tx: [] for tx in transaction_ids}
    for model in versioned_models():
        table = version_class(model).__table__
        columns = [c for c in table.c if c.name not in EXCLUDED_VERSION_COLUMNS]
        key = [c for c in table.primary_key.columns]
        rows = connection.execute(
            sa.select(*columns).where(table.c.transaction_id.in_(transaction_ids)).order_by(*key)
        ).mappings()
        for row in rows:
            found[row["transaction_id"]].append(
                {"table": table.name, "row": {k: _plain(v) for k, v in row.items()}}
            )
    return found


def _transaction_rows(connection, transaction_ids: list[int]) -> dict[int, dict]:
    table = _transaction_table()
    rows = connection.execute(sa.select(table).where(table.c.id.in_(transaction_ids))).mappings()
    return {row["id"]: {k: _plain(v) for k, v in row.items()} for row in rows}


def link_hash(prev_hash: str, transaction: dict | None, versions: list[dict]) -> str:
    payload = {"transaction": transaction, "versions": versions}
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(payload)).hexdigest()


def head(connection) -> tuple[int, str] | None:
    """(position, hash) of the newest link, or None for an empty chain."""
    row = connection.execute(
        sa.select(AuditSeal.id, AuditSeal.hash).order_by(AuditSeal.id.desc()).limit(1)
    ).first()
    return (row.id, row.hash) if row else None


def seal(connection, transaction_id: int) -> str:
    """Append the link of one transaction; call inside that transaction, after its last flush."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
    current = head(connection)
    position, prev_hash = current if current else (0, GENESIS_HASH)
    transaction = _transaction_rows(connection, [transaction_id]).get(transaction_id)
    versions = _version_rows(connection, [transaction_id])[transaction_id]
    digest = link_hash(prev_hash, transaction, versions)
    connection.execute(
        sa.insert(AuditSeal.__table__).values(
            # contiguous positions (not a sequence, which skips numbers on rollback), so a
            # missing link shows as a gap
            id=position + 1,
            transaction_id=transaction_id,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return digest


def seal_before_commit(session) -> None:
    """Session hook: seal the continuum transaction this session is about to commit."""
    uow = versioning_manager.units_of_work.get(session.connection())
    if uow is None or uow.current_transaction is None:
        return
    session.flush()  # the last version rows, before the chain lock is taken
    transaction = uow.current_transaction
    if transaction is None or transaction.id is None:
        return
    seal(session.connection(), transaction.id)


# ---------------------------------------------------------------------------------------
# verification


@dataclass
class Finding:
    """The first thing that does not agree, for ``audit verify`` to name."""

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def _seal_batches(connection) -> Iterator[list]:
    last = 0
    while True:
        batch = connection.execute(
            sa.select(AuditSeal).where(AuditSeal.id > last).order_by(AuditSeal.id).limit(BATCH)
        ).all()
        if not batch:
            return
        yield batch
        last = batch[-1].id


def verify_chain(connection) -> tuple[int, Finding | None]:
    """Walk the chain: links, hashes, and every transaction sealed. (links checked, finding)"""
    prev_hash, checked = GENESIS_HASH, 0
    for batch in _seal_batches(connection):
        ids = [link.transaction_id for link in batch]
        transactions = _transaction_rows(connection, ids)
        versions = _version_rows(connection, ids)
        for link in batch:
            if link.id != checked + 1 or link.prev_hash != prev_hash:
                return checked, Finding(
                    "chain",
                    f"link {link.id} (transaction {link.transaction_id}) does not follow the "
                    "link before it: a chain row was altered, inserted or deleted",
                )
            transaction = transactions.get(link.transaction_id)
            if transaction is None:
                return checked, Finding(
                    "transaction",
                    f"transaction {link.transaction_id} (link {link.id}) is missing",
                )
            expected = link_hash(prev_hash, transaction, versions[link.transaction_id])
            if expected != link.hash:
                return checked, Finding(
                    "transaction",
                    f"transaction {link.transaction_id} (link {link.id}) differs from what was "
                    "sealed: its transaction row or version rows were changed, added or deleted",
                )
            prev_hash = link.hash
            checked += 1
    table = _transaction_table()
    unsealed = connection.execute(
        sa.select(table.c.id)
        .outerjoin(AuditSeal.__table__, AuditSeal.transaction_id == table.c.id)
        .where(AuditSeal.id.is_(None))
        .order_by(table.c.id)
        .limit(1)
    ).scalar()
    if unsealed is not None:
        return checked, Finding(
            "transaction",
            f"transaction {unsealed} is not sealed: written around the application, "
            "or its seal was deleted",
        )
    return checked, None


def _ordered(connection, columns, key, where=None):
    stmt = sa.select(*columns).order_by(*key)
    if where is not None:
        stmt = stmt.where(where)
    # per statement: Connection.execution_options() would change the connection itself
    return connection.execute(stmt.execution_options(yield_per=1000))


def verify_live_rows(connection) -> tuple[int, Finding | None]:
    """Every live row of every versioned table equals its newest version, and vice versa."""
    compared = 0
    for model in versioned_models():
        found, finding = _verify_table(connection, model)
        compared += found
        if finding is not None:
            return compared, finding
    return compared, None


def _verify_table(connection, model) -> tuple[int, Finding | None]:
    live = model.__table__
    version = version_class(model).__table__
    names = [c.name for c in live.c if c.name in version.c]
    key_names = [c.name for c in live.primary_key.columns]
    with _ordered(
        connection,
        [version.c[n] for n in names] + [version.c.operation_type],
        [version.c[n] for n in key_names],
        version.c.end_transaction_id.is_(None),
    ) as newest:
        current = {tuple(row._mapping[k] for k in key_names): row._mapping for row in newest}
    compared = 0
    with _ordered(
        connection, [live.c[n] for n in names], [live.c[n] for n in key_names]
    ) as live_rows:
        for row in live_rows:
            mapping = row._mapping
            key = tuple(mapping[k] for k in key_names)
            label = f"{live.name} {', '.join(map(str, key))}"
            version_row = current.pop(key, None)
            if version_row is None or version_row["operation_type"] == 2:
                return compared, Finding(
                    "record", f"{label} has no current version: written around the application"
                )
            for name in names:
                if _plain(mapping[name]) != _plain(version_row[name]):
                    return compared, Finding(
                        "record",
                        f"{label}: {name} is {mapping[name]!r} but its newest version says "
                        f"{version_row[name]!r}: changed around the application",
                    )
            compared += 1
    for key, version_row in current.items():
        if version_row["operation_type"] != 2:
            return compared, Finding(
                "record",
                f"{live.name} {', '.join(map(str, key))} exists in its versions but not in "
                "the table: deleted around the application",
            )
    return compared, None
