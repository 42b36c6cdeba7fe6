"""The tamper-evident hash chain over continuum's transactions, and its verification.

Sealing happens inside the committing transaction, after its last flush, under a lock held
until the commit (a PostgreSQL advisory lock; SQLite has a single writer anyway): the chain
order is the commit order, and no transaction commits unsealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.audit import tree
from fundtrack.audit.merkle import chain_link
from fundtrack.audit.models import GENESIS_HASH, AuditSeal

#: arbitrary constant key of the advisory lock that serialises sealing
CHAIN_LOCK_KEY = 0x66756E64  # "fund"
#: continuum rewrites this column of older versions when a newer one arrives
EXCLUDED_VERSION_COLUMNS = {"end_transaction_id"}
#: transaction columns added after the chain began: part of a link's payload only when set,
#: so that the links sealed before a column existed still hash as they were sealed
LATER_TRANSACTION_COLUMNS = frozenset({"action"})
#: version-table columns added after the chain began, per table: part of a version row's
#: payload only when set, so that the rows sealed before a column existed (NULL in it since)
#: still hash as they were sealed
LATER_VERSION_COLUMNS = {
    "beneficiaries_version": frozenset(
        {
            "household",
            "phone",
            "bank_account",
            "evidence",
            "evidence_document_no",
            "status",
            "exit_reason",
            "exit_on",
            "created_by_id",
            "reviewed_by_id",
            "reviewed_at",
            "exit_proposed_by_id",
            "exit_decided_by_id",
            "exit_decided_at",
        }
    ),
    "expenditure_categories_version": frozenset({"requires_publicity"}),
}


def version_row_payload(table_name: str, row: dict) -> dict:
    """A version row as it enters a link's hash (``LATER_VERSION_COLUMNS`` left out while
    NULL); keys keep their order."""
    later = LATER_VERSION_COLUMNS.get(table_name)
    if not later:
        return row
    return {key: value for key, value in row.items() if value is not None or key not in later}


def transaction_payload(row: dict) -> dict:
    """A transaction row as it enters a link's hash (``LATER_TRANSACTION_COLUMNS`` left out
    while NULL)."""
    return {
        key: value
        for key, value in row.items()
        if value is not None or key not in LATER_TRANSACTION_COLUMNS
    }


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


def _version_rows(
    connection, transaction_ids: list[int], tables: list[sa.Table] | None = None
) -> dict[int, list[dict]]:
    """transaction id -> its version rows, each ``{"table", "row"}``, in a stable order.
    ``tables``: the version tables as the database has them (a migration reflects them: the
    models may know columns a later revision adds); by default the models'."""
    found: dict[int, list[dict]] = {tx: [] for tx in transaction_ids}
    if tables is None:
        tables = [version_class(model).__table__ for model in versioned_models()]
    for table in tables:
        columns = [c for c in table.c if c.name not in EXCLUDED_VERSION_COLUMNS]
        key = [c for c in table.primary_key.columns]
        rows = connection.execute(
            sa.select(*columns).where(table.c.transaction_id.in_(transaction_ids)).order_by(*key)
        ).mappings()
        for row in rows:
            values = {k: _plain(v) for k, v in row.items()}
            found[row["transaction_id"]].append(
                {"table": table.name, "row": version_row_payload(table.name, values)}
            )
    return found


def _transaction_rows(connection, transaction_ids: list[int]) -> dict[int, dict]:
    table = _transaction_table()
    rows = connection.execute(sa.select(table).where(table.c.id.in_(transaction_ids))).mappings()
    return {row["id"]: transaction_payload({k: _plain(v) for k, v in row.items()}) for row in rows}


def link_hash(prev_hash: str, transaction: dict | None, versions: list[dict]) -> str:
    payload = {"transaction": transaction, "versions": versions}
    return chain_link(prev_hash, canonical_json(payload))


def sealed_payload(connection, transaction_id: int, tables: list[sa.Table] | None = None) -> bytes:
    """What the link of a transaction hashes after its ``prev_hash``, as it stands today
    (``tables``: as ``_version_rows``)."""
    transaction = _transaction_rows(connection, [transaction_id]).get(transaction_id)
    versions = _version_rows(connection, [transaction_id], tables)[transaction_id]
    return canonical_json({"transaction": transaction, "versions": versions})


def head(connection) -> tuple[int, str] | None:
    """(position, hash) of the newest link, or None for an empty chain: one primary-key
    lookup. ``connection`` is a connection or a session (the balance cache keys on it)."""
    row = connection.execute(
        sa.select(AuditSeal.id, AuditSeal.hash).order_by(AuditSeal.id.desc()).limit(1)
    ).first()
    return (row.id, row.hash) if row else None


def seal(connection, transaction_id: int, tables: list[sa.Table] | None = None) -> int:
    """Append the link of one transaction; call inside that transaction, after its last flush.
    Returns the link's position: the size of the tree with it.

    The payload (the transaction row and its version rows: a query per version table) is
    read before the chain's lock is taken — only this transaction writes those rows — so
    the lock covers just the head, one hash and the insert, until the commit. Measured with
    4 writers in 4 counties, the writers' sessions spent 94 % of their time waiting for it
    while the payload was read under it (BENCHMARKS.md). ``tables``: as ``_version_rows``."""
    payload = sealed_payload(connection, transaction_id, tables)
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
    current = head(connection)
    position, prev_hash = current if current else (0, GENESIS_HASH)
    digest = chain_link(prev_hash, payload)
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
    tree.keep_completed_nodes(connection, position + 1)
    return position + 1


def seal_before_commit(session) -> None:
    """Session hook: seal the continuum transaction this session is about to commit."""
    # flush first: changes never flushed before commit() make their unit of work only now
    # (looked up before, such a commit went unsealed)
    session.flush()
    uow = versioning_manager.units_of_work.get(session.connection())
    if uow is None:
        return
    transaction = uow.current_transaction
    if transaction is None or transaction.id is None:
        return
    session.info["sealed"] = seal(session.connection(), transaction.id, _written_tables(uow))


def _written_tables(uow) -> list[sa.Table]:
    """The version tables this unit of work wrote rows to, in the payload's table order:
    the seal reads those instead of a query per versioned model (a payment touches two of
    the 21; the other queries were half of a payment's commit). Continuum writes every
    version row of a transaction through ``version_objs``; ``audit verify`` reads every
    table, so a row written anywhere else would be a finding, not a silent gap."""
    written = {version_cls for version_cls, _key in uow.version_objs}
    return [
        version_class(model).__table__
        for model in versioned_models()
        if version_class(model) in written
    ]


# ---------------------------------------------------------------------------------------
# verification


@dataclass
class Finding:
    """The first thing that does not agree, for ``audit verify`` to name."""

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


#: rows fetched per round trip when verification streams a table (a server-side cursor on
#: PostgreSQL)
FETCH = 10_000


def _stream(connection, stmt):
    # per statement: Connection.execution_options() would change the connection itself
    return connection.execute(stmt.execution_options(yield_per=FETCH))


def _groups(result, position: int) -> Iterator[tuple[int, list]]:
    """(transaction id, its rows) from a result ordered by the column at ``position``."""
    rows: list = []
    current = None
    for partition in result.partitions(FETCH):
        for row in partition:
            tx = row[position]
            if tx != current:
                if rows:
                    yield current, rows
                rows, current = [], tx
            rows.append(row)
    if rows:
        yield current, rows


def _json_value_sql(column, quote) -> str | None:
    """SQL for the JSON text of ``column`` (of alias ``v``) exactly as ``canonical_json``
    writes the value psycopg reads, NULL for NULL; None for a column type not covered."""
    kind, name = column.type, f"v.{quote(column.name)}"
    if isinstance(kind, sa.Integer | sa.Boolean):  # 12, true
        return f"{name}::text"
    if isinstance(kind, sa.String):  # Text, Unicode, …; json.dumps and to_json escape alike
        return f"to_json({name})::text"
    if isinstance(kind, sa.DateTime):
        if kind.timezone:
            return None
        # datetime.isoformat(): the microseconds only when there are any
        return (
            f"""'"' || CASE WHEN {name} = date_trunc('second', {name}) """
            f"""THEN to_char({name}, 'YYYY-MM-DD"T"HH24:MI:SS') """
            f"""ELSE to_char({name}, 'YYYY-MM-DD"T"HH24:MI:SS.US') END || '"'"""
        )
    if isinstance(kind, sa.Date):
        return f"""'"' || to_char({name}, 'YYYY-MM-DD') || '"'"""
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float) and kind.asdecimal:
        return f"""'"' || {name}::text || '"'"""  # format(Decimal, "f") keeps the scale too
    return None


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _VersionStream:
    """One version table's rows, ordered by transaction and then as ``_version_rows`` orders
    them, each as the text of its ``{"row": …, "table": …}`` entry in the canonical JSON.

    On PostgreSQL the database writes each entry (the columns in sorted order, each value as
    the JSON text Python would write: ``to_json`` for strings, dates formatted as
    ``isoformat()`` does); elsewhere, or for a column type not covered, Python builds the
    dicts with their keys in sorted order, so that the JSON needs no key sorting either."""

    def __init__(self, connection, model, low: int, high: int):
        table = version_class(model).__table__
        self.name = table.name
        columns = sorted(
            (c for c in table.c if c.name not in EXCLUDED_VERSION_COLUMNS), key=lambda c: c.name
        )
        self.names = [c.name for c in columns]
        self.suffix = ',"table":' + json.dumps(table.name, ensure_ascii=False) + "}"
        values = None
        if connection.dialect.name == "postgresql":
            quote = connection.dialect.identifier_preparer.quote
            values = [_json_value_sql(c, quote) for c in columns]
        if values is not None and None not in values:
            # the whole {"row": {…}, "table": …} entry, written by the database: every
            # column with a leading comma, the first comma cut off (a later column may be
            # left out, the first one too)
            later = LATER_VERSION_COLUMNS.get(table.name, frozenset())
            entries = []
            for column, value in zip(columns, values, strict=True):
                key = _sql_literal("," + json.dumps(column.name, ensure_ascii=False) + ":")
                if column.name in later:
                    name = f"v.{quote(column.name)}"
                    entries.append(f"(CASE WHEN {name} IS NULL THEN '' ELSE {key} || {value} END)")
                else:
                    entries.append(f"{key} || COALESCE({value}, 'null')")
            parts = [
                _sql_literal('{"row":{'),
                f"substr({' || '.join(entries)}, 2)",
                _sql_literal("}" + self.suffix),
            ]
            order = ", ".join(f"v.{quote(c.name)}" for c in table.primary_key.columns)
            stmt = sa.text(
                f"SELECT v.transaction_id, {' || '.join(parts)} "
                f"FROM {quote(table.name)} AS v "
                "WHERE v.transaction_id BETWEEN :low AND :high "
                f"ORDER BY v.transaction_id, {order}"
            ).bindparams(
                sa.bindparam("low", low, type_=sa.BigInteger),
                sa.bindparam("high", high, type_=sa.BigInteger),
            )
            self.result = _stream(connection, stmt)
            self.groups = _groups(self.result, 0)
            self.entries = self._database_json
        else:
            stmt = (
                sa.select(*columns)
                .where(table.c.transaction_id.between(low, high))
                .order_by(table.c.transaction_id, *table.primary_key.columns)
            )
            self.result = _stream(connection, stmt)
            self.groups = _groups(self.result, self.names.index("transaction_id"))
            self.entries = self._python_json
        self.tx, self.rows = next(self.groups, (None, None))

    @staticmethod
    def _database_json(rows) -> list[str]:
        return [row[1] for row in rows]

    def _python_json(self, rows) -> list[str]:
        names, name = self.names, self.name
        return [
            _encode_presorted(
                {
                    "row": version_row_payload(name, dict(zip(names, row, strict=True))),
                    "table": name,
                }
            )
            for row in rows
        ]

    def take(self, tx: int, into: list[str]) -> None:
        """Append the version entries of transaction ``tx``; skip those of earlier ones."""
        while self.tx is not None and self.tx < tx:
            self.tx, self.rows = next(self.groups, (None, None))
        if self.tx == tx:
            into.extend(self.entries(self.rows))
            self.tx, self.rows = next(self.groups, (None, None))

    def close(self) -> None:
        self.result.close()


def _encode_presorted(payload) -> str:
    """``canonical_json`` (as text) of a payload whose dicts have their keys in sorted order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_plain)


def check_links(seals: list) -> tuple[int, Finding | None]:
    """Positions 1, 2, 3, … and each ``prev_hash`` the hash of the link before.

    ``seals`` are ``(id, transaction_id, prev_hash, hash)`` ordered by id. (links that follow
    the ones before them, the first finding)"""
    prev_hash = GENESIS_HASH
    for checked, (link_id, tx, link_prev, link_hash_) in enumerate(seals):
        if link_id != checked + 1 or link_prev != prev_hash:
            return checked, Finding(
                "chain",
                f"link {link_id} (transaction {tx}) does not follow the "
                "link before it: a chain row was altered, inserted or deleted",
            )
        prev_hash = link_hash_
    return len(seals), None


def check_hashes(
    connection, seals: list, *, low: int | None = None, high: int | None = None
) -> tuple[int, str] | None:
    """Rehash every sealed transaction with a transaction id in ``low`` … ``high`` (all when
    None) from its own row and version rows and the ``prev_hash`` stored in its link.

    The rows are streamed, every table ordered by transaction id, and merged; ``seals`` are
    ``(id, transaction_id, prev_hash, hash)``. Returns (position, kind) of the earliest link
    in chain order whose transaction is missing (``"missing"``) or differs (``"hash"``), or
    None. Together with ``check_links`` this is what walking the chain checks.
    """
    by_tx = sorted(
        (s for s in seals if (low is None or s[1] >= low) and (high is None or s[1] <= high)),
        key=lambda s: s[1],
    )
    if not by_tx:
        return None
    low, high = by_tx[0][1], by_tx[-1][1]
    table = _transaction_table()
    tx_names = sorted(c.name for c in table.c)
    transaction_rows = _stream(
        connection,
        sa.select(*(table.c[n] for n in tx_names))
        .where(table.c.id >= low, table.c.id <= high)
        .order_by(table.c.id),
    )
    transactions = _groups(transaction_rows, tx_names.index("id"))
    streams = [_VersionStream(connection, m, low, high) for m in versioned_models()]
    worst: tuple[int, str] | None = None
    try:
        tx_id, tx_rows = next(transactions, (None, None))
        for position, tx, prev_hash, sealed_hash in by_tx:
            while tx_id is not None and tx_id < tx:
                tx_id, tx_rows = next(transactions, (None, None))
            versions: list[str] = []
            for stream in streams:
                stream.take(tx, versions)
            if worst is not None and worst[0] < position:
                continue  # an earlier link already fails
            if tx_id != tx:
                worst = (position, "missing")
                continue
            transaction = _encode_presorted(
                transaction_payload(dict(zip(tx_names, tx_rows[-1], strict=True)))
            )
            # = canonical_json({"transaction": …, "versions": […]}), keys in sorted order
            payload = '{"transaction":' + transaction + ',"versions":[' + ",".join(versions) + "]}"
            if chain_link(prev_hash, payload.encode("utf-8")) != sealed_hash:
                worst = (position, "hash")
    finally:
        transaction_rows.close()
        for stream in streams:
            stream.close()
    return worst


def verify_chain(connection) -> tuple[int, Finding | None]:
    """Walk the chain: links, hashes, and every transaction sealed. (links checked, finding)"""
    seals = [
        tuple(row)
        for row in connection.execute(
            sa.select(
                AuditSeal.id, AuditSeal.transaction_id, AuditSeal.prev_hash, AuditSeal.hash
            ).order_by(AuditSeal.id)
        )
    ]
    linked, finding = check_links(seals)
    # a broken link at position p is reported unless an earlier transaction already fails
    broken = check_hashes(connection, seals[:linked] if finding else seals)
    if broken is not None:
        position, kind = broken
        _, tx, _, _ = seals[position - 1]
        if kind == "missing":
            message = f"transaction {tx} (link {position}) is missing"
        else:
            message = (
                f"transaction {tx} (link {position}) differs from what was "
                "sealed: its transaction row or version rows were changed, added or deleted"
            )
        return position - 1, Finding("transaction", message)
    if finding is not None:
        return linked, finding
    table = _transaction_table()
    unsealed = connection.execute(
        sa.select(table.c.id)
        .outerjoin(AuditSeal.__table__, AuditSeal.transaction_id == table.c.id)
        .where(AuditSeal.id.is_(None))
        .order_by(table.c.id)
        .limit(1)
    ).scalar()
    if unsealed is not None:
        return linked, Finding(
            "transaction",
            f"transaction {unsealed} is not sealed: written around the application, "
            "or its seal was deleted",
        )
    return linked, None


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
    """One table, compared by the database: the first live row (in key order) without an
    equal newest version, then the first newest version without its live row."""
    live = model.__table__
    version = version_class(model).__table__
    names = [c.name for c in live.c if c.name in version.c]
    key_names = [c.name for c in live.primary_key.columns]
    live_key = [live.c[k] for k in key_names]
    newest = sa.and_(
        *(version.c[k] == live.c[k] for k in key_names), version.c.end_transaction_id.is_(None)
    )
    differs = sa.or_(
        version.c.transaction_id.is_(None),  # no newest version at all
        version.c.operation_type == 2,
        *(live.c[n].is_distinct_from(version.c[n]) for n in names if n not in key_names),
    )
    bad = connection.execute(
        sa.select(*live_key)
        .select_from(live.outerjoin(version, newest))
        .where(differs)
        .order_by(*live_key)
        .limit(1)
    ).first()
    if bad is not None:
        return 0, _live_row_finding(connection, live, version, names, key_names, tuple(bad))
    orphan = connection.execute(
        sa.select(*(version.c[k] for k in key_names))
        .where(
            version.c.end_transaction_id.is_(None),
            version.c.operation_type != 2,
            ~sa.exists().where(*(live.c[k] == version.c[k] for k in key_names)),
        )
        .order_by(*(version.c[k] for k in key_names))
        .limit(1)
    ).first()
    compared = connection.execute(sa.select(sa.func.count()).select_from(live)).scalar()
    if orphan is not None:
        return compared, Finding(
            "record",
            f"{live.name} {', '.join(map(str, orphan))} exists in its versions but not in "
            "the table: deleted around the application",
        )
    return compared, None


def _live_row_finding(connection, live, version, names, key_names, key) -> Finding:
    """Name the column of one live row that differs from its newest version."""
    label = f"{live.name} {', '.join(map(str, key))}"
    row = (
        connection.execute(
            sa.select(*(live.c[n] for n in names)).where(
                *(live.c[k] == v for k, v in zip(key_names, key, strict=True))
            )
        )
        .mappings()
        .one()
    )
    newest = (
        connection.execute(
            sa.select(*(version.c[n] for n in names), version.c.operation_type)
            .where(
                *(version.c[k] == v for k, v in zip(key_names, key, strict=True)),
                version.c.end_transaction_id.is_(None),
            )
            .order_by(version.c.transaction_id)
        )
        .mappings()
        .all()
    )
    if not newest or any(v["operation_type"] == 2 for v in newest):
        return Finding("record", f"{label} has no current version: written around the application")
    for version_row in newest:
        for name in names:
            if row[name] != version_row[name]:
                return Finding(
                    "record",
                    f"{label}: {name} is {row[name]!r} but its newest version says "
                    f"{version_row[name]!r}: changed around the application",
                )
    return Finding(
        "record", f"{label} differs from its newest version: changed around the application"
    )
