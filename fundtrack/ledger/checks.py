"""The checks and locks of anything that moves money of a fund, and the batch that runs many
movements in one transaction (an import)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from fundtrack.core.errors import FundNotActive, InsufficientFunds
from fundtrack.core.i18n import _
from fundtrack.core.money import yuan_str
from fundtrack.funds.balances import region_balance
from fundtrack.funds.models import Fund

BATCH_KEY = "fundtrack_batch"


@dataclass
class Batch:
    """Money movements of one batch (an import) in one transaction."""

    #: funds already locked by this transaction
    locked: set[int] = field(default_factory=set)
    #: (fund id, region) -> available fen: read by SQL once, then less the batch's own rows
    available: dict[tuple[int, str], int] = field(default_factory=dict)
    #: lookups that no row of the batch changes (earmarks, benefit rules), by key
    lookups: dict = field(default_factory=dict)


def batch_cached(session, key, compute):
    """``compute()``, or inside ``batch`` the value it gave for ``key`` earlier in the batch.

    Only for reference data that the batch's own rows cannot change (is a category in a
    fund's earmark, which benefit rule is in force): a 100,000-row import then asks each
    question once instead of once per row. Outside a batch it always computes.
    """
    current = session.info.get(BATCH_KEY)
    if current is None:
        return compute()
    if key not in current.lookups:
        current.lookups[key] = compute()
    return current.lookups[key]


def batch_get(session, model, key):
    """``session.get(model, key)``, held for the rest of a batch: the identity map keeps
    no object alive by itself, so without this every row of an import reads its region
    and category again."""
    return batch_cached(session, (model, key), lambda: session.get(model, key))


@contextlib.contextmanager
def batch(session):
    """Run many creations as one batch: each fund is locked once (the lock holds until the
    commit, so nobody else moves its money meanwhile), each region's available balance is
    read by the same SQL aggregate once and then reduced by the batch's own rows, and the
    rows are written in one flush at the end instead of one flush each."""
    session.info[BATCH_KEY] = Batch()
    try:
        with session.no_autoflush:
            yield
        assign_ids(session)
        session.flush()
    finally:
        session.info.pop(BATCH_KEY, None)


def assign_ids(session) -> None:
    """Give the session's new rows their ids now, from their own table's sequence (one
    statement per table), in the order they were added: the ids the flush would have
    taken from the same sequence one ``RETURNING`` at a time. The flush then inserts the
    rows with one prepared statement instead of multi-row ``INSERT … RETURNING`` texts,
    which the driver has to parse anew for each page (most of the insert time of a large
    import). PostgreSQL only; elsewhere the flush assigns them as usual."""
    if session.get_bind().dialect.name != "postgresql":
        return
    waiting: dict = {}
    for obj in session.new:
        state = sa.inspect(obj)
        columns = state.mapper.primary_key
        if len(columns) != 1 or columns[0] is not columns[0].table.autoincrement_column:
            continue
        key = state.mapper.get_property_by_column(columns[0]).key
        if state.dict.get(key) is None:
            waiting.setdefault((columns[0].table, columns[0].name, key), []).append(state)
    quote = session.get_bind().dialect.identifier_preparer
    for (table, column, key), states in waiting.items():
        if len(states) < 2:
            continue
        sequence = sa.func.pg_get_serial_sequence(quote.format_table(table), column)
        with session.no_autoflush:
            ids = session.scalars(
                sa.select(sa.func.nextval(sequence)).select_from(
                    sa.func.generate_series(1, len(states))
                )
            ).all()
        if None in ids:  # pragma: no cover - no sequence of its own: the flush assigns it
            continue
        states.sort(key=lambda state: state.insert_order)
        for state, new_id in zip(states, sorted(ids), strict=True):
            setattr(state.obj(), key, new_id)


def flush_write(session) -> None:
    """Flush a write now, or, inside ``batch``, with the rest of the batch."""
    if BATCH_KEY not in session.info:
        session.flush()


def lock_fund(session, fund, status: str = "active") -> None:
    """Serialise every money movement of one fund (row lock on PostgreSQL), and refuse it
    (``FundNotActive``) unless the fund is in ``status`` (the decision of a year-end close
    locks a fund that stands still, ``closing``).

    Balances are checked after this lock and written in the same transaction, so two
    concurrent requests can never both spend the same available money.
    """
    current = session.info.get(BATCH_KEY)
    fund_status = fund.status
    if current is None or fund.id not in current.locked:
        # the status as it stands once the row is locked (a close may have just committed)
        fund_status = session.scalar(
            sa.select(Fund.status).where(Fund.id == fund.id).with_for_update()
        )
        if current is not None:
            current.locked.add(fund.id)
    if fund_status != status:
        raise FundNotActive(fund_status=fund_status)


def require_available(session, fund, region_code: str, amount_fen: int) -> None:
    """Raise ``InsufficientFunds`` unless ``region_code`` has ``amount_fen`` available.

    Inside ``batch`` the money is also taken: the next row of the batch sees what is left.
    """
    current = session.info.get(BATCH_KEY)
    key = (fund.id, region_code)
    if current is not None and key in current.available:
        available = current.available[key]
    else:
        available = region_balance(session, fund, region_code).available_fen
    if amount_fen > available:
        raise InsufficientFunds(
            _(
                "可用余额不足：可用 %(available)s 元，需要 %(needed)s 元",
                available=yuan_str(available),
                needed=yuan_str(amount_fen),
            ),
            available=yuan_str(available),
            requested=yuan_str(amount_fen),
        )
    if current is not None:
        current.available[key] = available - amount_fen
