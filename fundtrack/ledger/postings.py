"""Balances kept in the same transaction as the records: every flush posts what it moved.

Every record that moves money (an allocation, a recall, a payment or reversal, a carry-over,
a fund's budget) contributes to one or two balance rows by its status and amount, by the
same rules as the aggregate that recomputes them (``ledger.balances``). After each flush,
``post_flush`` takes each such record's contribution before the flush and after it and adds
the difference to the rows (``post``: rows created where missing, then one ``UPDATE`` each), so
the balances change in the transaction that changed the records, by whatever operation, and
nothing else writes them. The rows' ``CHECK`` refuses a flush that would leave a region with
less than nothing (``InsufficientFunds``): the operations check first, with a message that
names the amount; this is the database's own refusal underneath. Before each flush
``refuse_stale`` makes sure a changed record still holds, under a row lock, what the change
started from: a difference posted from a stale start would count the same money twice.

Why a flush hook rather than database triggers: one implementation for PostgreSQL and
SQLite, the rules in Python next to the aggregate they must agree with, and the same net
under every operation, import and command as the two-person guard (``core.controls``).
Rows written around the ORM (the benchmark generator's bulk rows) are rebuilt with
``rebuild_balances``; anything else that bypasses it is what ``flask audit verify`` finds.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.core.db_setup import listen_on_sessions
from fundtrack.core.errors import InsufficientFunds, InvalidTransition
from fundtrack.core.i18n import _
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.models import FUNDED_STATUSES, Fund, FundCarryOver
from fundtrack.ledger.models import FundBalance

#: allocation statuses whose money has reached the receiving region
RECEIVED_STATUSES = ("approved", "recalled")
#: allocation statuses whose money has left (or is reserved at) the giving region
OUTGOING_STATUSES = ("draft", "approved", "recalled")
#: disbursement statuses that use money (pending reserves it; a pending reversal, with its
#: negative amount, gives nothing back until approved)
DISBURSED_STATUSES = ("pending", "approved", "reversed")
#: disbursement statuses that count as spent
SPENT_STATUSES = ("approved", "reversed")

#: the kept components, as FundBalance's columns
COMPONENTS = ("received_fen", "allocated_out_fen", "disbursed_fen", "carried_over_fen", "spent_fen")

#: (fund id, region code) -> component -> fen
Postings = dict[tuple[int, str], dict[str, int]]


def _allocation(session, get, add) -> None:
    fund, giver, receiver = get("fund_id"), get("from_region_code"), get("to_region_code")
    status, amount = get("status"), get("amount_fen") or 0
    add(fund, receiver, "received_fen", amount if status in RECEIVED_STATUSES else 0)
    add(fund, giver, "allocated_out_fen", amount if status in OUTGOING_STATUSES else 0)


def _recall(session, get, add) -> None:
    # the allocation's fund and regions never change (frozen once it is effective, and a
    # recall exists only of an approved one): in the identity map, or one read by key
    allocation = session.get(Allocation, get("allocation_id"))
    fund, giver, receiver = (
        allocation.fund_id,
        allocation.from_region_code,
        allocation.to_region_code,
    )
    status, amount = get("status"), get("amount_fen") or 0
    # an approved recall goes back up; a draft one is reserved at the receiver
    add(fund, receiver, "received_fen", -amount if status == "approved" else 0)
    add(fund, receiver, "allocated_out_fen", amount if status == "draft" else 0)
    add(fund, giver, "allocated_out_fen", -amount if status == "approved" else 0)


def _disbursement(session, get, add) -> None:
    status, amount = get("status"), get("amount_fen") or 0
    uses = status in DISBURSED_STATUSES and (status != "pending" or amount > 0)
    fund, region = get("fund_id"), get("region_code")
    add(fund, region, "disbursed_fen", amount if uses else 0)
    add(fund, region, "spent_fen", amount if status in SPENT_STATUSES else 0)


def _carry_over(session, get, add) -> None:
    amount, region = get("amount_fen") or 0, get("region_code")
    add(get("from_fund_id"), region, "carried_over_fen", amount)
    add(get("to_fund_id"), region, "received_fen", amount)


def _fund(session, get, add) -> None:
    # only a budget that reached the region makes the row (a draft fund has no balance yet)
    budget = get("budget_fen") or 0
    if budget and get("status") in FUNDED_STATUSES:
        add(get("id"), get("region_code"), "received_fen", budget)


#: model -> (its contribution, the attributes it reads)
RULES = {
    Allocation: (
        _allocation,
        ("fund_id", "from_region_code", "to_region_code", "status", "amount_fen"),
    ),
    AllocationRecall: (_recall, ("allocation_id", "status", "amount_fen")),
    Disbursement: (_disbursement, ("fund_id", "region_code", "status", "amount_fen")),
    FundCarryOver: (_carry_over, ("from_fund_id", "to_fund_id", "region_code", "amount_fen")),
    Fund: (_fund, ("id", "region_code", "status", "budget_fen")),
}


def contribution(session, model, get, sign: int, postings: Postings) -> None:
    """Add ``sign`` × what a record of ``model`` (its attributes read by ``get``)
    contributes to the balances into ``postings``. Every region a record touches gets a
    row, with zeros where its status counts nothing (as the aggregate lists it)."""
    rule, _attributes = RULES[model]

    def add(fund_id, region_code, component, fen):
        row = postings[(fund_id, region_code)]
        row[component] = row.get(component, 0) + sign * fen

    rule(session, get, add)


def _before(state, key):
    """An attribute's value before this flush (the history is kept until the flush ends;
    ``active_history`` below makes sure the old value was loaded when it was replaced)."""
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return state.attrs[key].value


def flush_postings(session) -> Postings:
    """What this flush moves: for each money record new, changed or deleted in it, its
    contribution after the flush less its contribution before."""
    postings: Postings = defaultdict(dict)
    # each of session.new, .dirty and .deleted builds a new set when read: once each
    new, dirty, deleted = session.new, session.dirty, session.deleted
    for obj in (*new, *dirty, *deleted):
        model = type(obj)
        if model not in RULES:
            continue
        state = sa.inspect(obj)
        _rule, attributes = RULES[model]
        if obj not in new:
            if obj in dirty and not any(
                state.attrs[key].history.has_changes() for key in attributes
            ):
                continue
            contribution(session, model, lambda key, s=state: _before(s, key), -1, postings)
        if obj not in deleted:
            contribution(session, model, lambda key, o=obj: getattr(o, key), +1, postings)
    return postings


def _dialect_insert(connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def ensure_rows(session, keys) -> None:
    """Create the balance rows of ``keys`` ((fund id, region) pairs) that do not exist yet,
    all components zero. (Not by an upsert that adds the amounts: the database checks the
    row an ``INSERT`` proposes before it sees the conflict, so a payment's proposed row of
    "disbursed, nothing received" would fail the CHECK.)"""
    keys = sorted(set(keys))
    if not keys:
        return
    connection = session.connection()
    table = FundBalance.__table__
    zeros = dict.fromkeys(COMPONENTS, 0)
    statement = _dialect_insert(connection)(table).on_conflict_do_nothing(
        index_elements=[table.c.fund_id, table.c.region_code]
    )
    connection.execute(
        statement, [{"fund_id": fund_id, "region_code": code} | zeros for fund_id, code in keys]
    )


def post(session, postings: Postings) -> None:
    """Add ``postings`` to the kept balance rows (creating rows that do not exist yet), in
    key order; raise ``InsufficientFunds`` when the database refuses a row below zero."""
    if not postings:
        return
    ensure_rows(session, postings)
    table = FundBalance.__table__
    statement = (
        sa.update(table)
        .where(
            table.c.fund_id == sa.bindparam("key_fund_id"),
            table.c.region_code == sa.bindparam("key_region_code"),
        )
        .values({name: table.c[name] + sa.bindparam(f"add_{name}") for name in COMPONENTS})
    )
    rows = [
        {"key_fund_id": fund_id, "key_region_code": region_code}
        | {f"add_{name}": deltas.get(name, 0) for name in COMPONENTS}
        for (fund_id, region_code), deltas in sorted(postings.items())
        if any(deltas.values())
    ]
    if not rows:
        return
    try:
        session.connection().execute(statement, rows)
    except sa.exc.IntegrityError as exc:
        if "available_not_negative" not in str(exc.orig):
            raise
        raise InsufficientFunds(
            _("可用余额不足：这笔资金变动会使地区的可用余额小于零"),
            regions=sorted({code for _fund_id, code in postings}),
        ) from exc


def refuse_stale(session, flush_context=None, instances=None) -> None:
    """``before_flush``: refuse a change of a money record whose row no longer holds what
    this session read (another request decided it meanwhile: a double click on 批准, two
    checkers at once). Each such row is read again ``FOR UPDATE`` (waiting for the other
    transaction to end) and compared with the values the change started from; a posting
    from a stale start would count the same money twice. Raises ``InvalidTransition``."""
    stale_start: dict = {}
    for obj in session.dirty:
        model = type(obj)
        if model not in RULES:
            continue
        state = sa.inspect(obj)
        columns = [key for key in RULES[model][1] if key in state.mapper.columns]
        if state.key is None or not any(state.attrs[k].history.has_changes() for k in columns):
            continue
        stale_start.setdefault(model, {})[state.identity[0]] = (
            obj,
            {key: _before(state, key) for key in columns},
        )
    for model, started in stale_start.items():
        table = model.__table__
        key = table.primary_key.columns[0]
        names = list(next(iter(started.values()))[1])
        with session.no_autoflush:
            rows = session.execute(
                sa.select(key, *(table.c[name] for name in names))
                .where(key.in_(list(started)))
                .order_by(key)
                .with_for_update()
            ).all()
        for row in rows:
            obj, expected = started[row[0]]
            found = dict(zip(names, row[1:], strict=True))
            if found != expected:
                raise InvalidTransition(
                    _("该记录已被他人处理，请刷新页面后重试"),
                    record=model.__name__,
                    id=row[0],
                    status=found.get("status"),
                )


def post_flush(session, flush_context) -> None:
    """``after_flush``: post what the flush moved (foreign keys are set by now, and the
    attribute history still tells what each record was before)."""
    post(session, flush_postings(session))


def _keep_old_values(target, value, oldvalue, initiator) -> None:
    """Nothing to do: listening with ``active_history`` is what loads the old value."""


def install() -> None:
    """Post every flush of every session (the app's, the CLI's, the tests'), with the old
    value of every attribute a contribution reads loaded before it is replaced."""
    for model, (_rule, attributes) in RULES.items():
        for key in attributes:
            attribute = getattr(model, key)
            if not sa.event.contains(attribute, "set", _keep_old_values):
                sa.event.listen(attribute, "set", _keep_old_values, active_history=True)
    listen_on_sessions(("before_flush", refuse_stale), ("after_flush", post_flush))
