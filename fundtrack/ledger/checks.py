"""The checks and locks of anything that moves money of a fund, and the batch that runs many
movements in one transaction (an import).

Locks as narrow as the money: a movement takes the fund's row *shared* (any number of
movements of one fund at once, none beside a year-end close, which takes it exclusively)
and then the balance rows of the regions it touches, in key order, until its commit; it
checks the kept balance under those locks. Two counties paying from one fund never wait
for each other; a county's import waits only for the regions in its sheet.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from fundtrack.core.errors import FundNotActive, InsufficientFunds
from fundtrack.core.i18n import _
from fundtrack.core.money import yuan_str
from fundtrack.funds.models import Fund
from fundtrack.ledger.models import AVAILABLE_SQL, FundBalance
from fundtrack.ledger.postings import ensure_rows
from fundtrack.regions.models import Region

BATCH_KEY = "fundtrack_batch"


@dataclass
class Batch:
    """Money movements of one batch (an import) in one transaction."""

    #: funds already locked (shared) by this transaction, with the status they had then
    funds: dict[int, str] = field(default_factory=dict)
    #: (fund id, region) balance rows already locked by this transaction
    locked: set[tuple[int, str]] = field(default_factory=set)
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
    """Hold every money movement of one fund still (an exclusive row lock on PostgreSQL)
    and refuse (``FundNotActive``) unless the fund is in ``status``: for a year-end close,
    which moves every region's money at once (its decision locks a fund that stands still,
    ``closing``)."""
    fund_status = session.scalar(sa.select(Fund.status).where(Fund.id == fund.id).with_for_update())
    if fund_status != status:
        raise FundNotActive(fund_status=fund_status)


def lock_balances(session, fund, region_codes, status: str = "active") -> None:
    """Lock the balance rows of ``region_codes`` of one fund until the commit, in key
    order (creating the rows that do not exist yet), after taking the fund's row shared and
    refusing (``FundNotActive``) unless the fund is in ``status``.

    Balances are checked after this lock and written in the same transaction, so two
    concurrent requests can never both spend the same available money; movements of other
    regions of the fund go on meanwhile. Inside ``batch`` each row is locked once.
    """
    current = session.info.get(BATCH_KEY)
    fund_status = current.funds.get(fund.id) if current is not None else None
    if fund_status is None:
        # the status as it stands once the row is held (a close may have just committed)
        fund_status = session.scalar(
            sa.select(Fund.status).where(Fund.id == fund.id).with_for_update(read=True)
        )
        if current is not None:
            current.funds[fund.id] = fund_status
    if fund_status != status:
        raise FundNotActive(fund_status=fund_status)
    wanted = {(fund.id, code) for code in region_codes}
    if current is not None:
        wanted -= current.locked
        current.locked |= wanted
    if not wanted:
        return
    ensure_rows(session, wanted)
    session.execute(
        sa.select(FundBalance.region_code)
        .where(
            FundBalance.fund_id == fund.id,
            FundBalance.region_code.in_(sorted(c for _f, c in wanted)),
        )
        .order_by(FundBalance.region_code)
        .with_for_update()
    )


def lock_batch(session, moves) -> None:
    """Inside ``batch``: lock every (fund, region) of ``moves`` at once, in key order, so
    that two imports touching the same regions in opposite orders never deadlock."""
    moves = list(moves)
    # a region that does not exist is the row's own error, not a lock
    known = set(
        session.scalars(sa.select(Region.code).where(Region.code.in_({c for _f, c in moves})))
    )
    by_fund: dict[int, tuple[Fund, set[str]]] = {}
    for fund, region_code in moves:
        if region_code in known:
            by_fund.setdefault(fund.id, (fund, set()))[1].add(region_code)
    for _fund_id, (fund, codes) in sorted(by_fund.items()):
        with contextlib.suppress(FundNotActive):  # each of its rows is refused, by name
            lock_balances(session, fund, sorted(codes))


def kept_available_fen(session, fund, region_code: str) -> int:
    """The region's available balance from its kept row (0 without one)."""
    available = session.scalar(
        sa.select(sa.literal_column(AVAILABLE_SQL))
        .select_from(FundBalance)
        .where(FundBalance.fund_id == fund.id, FundBalance.region_code == region_code)
    )
    return int(available or 0)


def require_available(session, fund, region_code: str, amount_fen: int) -> None:
    """Raise ``InsufficientFunds`` unless ``region_code`` has ``amount_fen`` available.

    Inside ``batch`` the money is also taken: the next row of the batch sees what is left.
    """
    current = session.info.get(BATCH_KEY)
    key = (fund.id, region_code)
    if current is not None and key in current.available:
        available = current.available[key]
    else:
        available = kept_available_fen(session, fund, region_code)
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
