"""Balances of a fund per region, computed by SQL aggregates over the records.

For every region and fund:
- received       = the budget (at the fund's own region) + approved allocations in
                   − approved recalls of them + money carried over into this fund (结转)
- allocated_out  = allocations out, draft and approved (a draft reserves its money)
                   − approved recalls of them + draft recalls of allocations in (reserved
                   at the receiver until approved or cancelled)
- disbursed      = disbursements, pending and approved (pending reserves), net of reversals
- carried_over   = unspent money moved at year-end into next year's fund of the same kind
- available      = received − allocated_out − disbursed − carried_over; never below zero
- spent          = approved disbursements net of reversals, of the region and everything below it
- execution_rate = spent / received

The same queries run over the live tables or, for ``as_of``, over the version tables as
they stood at that moment. One set of queries covers the whole province, and any number of
funds at once (``funds_balances``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.core.money import ratio
from fundtrack.regions.operations import ancestors

#: allocation statuses whose money has reached the receiving region
RECEIVED_STATUSES = ("approved", "recalled")
#: allocation statuses whose money has left (or is reserved at) the giving region
OUTGOING_STATUSES = ("draft", "approved", "recalled")
#: disbursement statuses that use money (pending reserves it)
DISBURSED_STATUSES = ("pending", "approved", "reversed")
#: disbursement statuses that count as spent
SPENT_STATUSES = ("approved", "reversed")


@dataclass
class Balance:
    region_code: str
    received_fen: int = 0
    allocated_out_fen: int = 0
    disbursed_fen: int = 0
    carried_over_fen: int = 0
    spent_fen: int = 0  # of the region and its subtree

    @property
    def available_fen(self) -> int:
        return (
            self.received_fen - self.allocated_out_fen - self.disbursed_fen - self.carried_over_fen
        )

    @property
    def execution_rate(self) -> Decimal | None:
        return ratio(self.spent_fen, self.received_fen)


def as_of_table(model, moment: datetime):
    """The rows of ``model``'s table as they stood at ``moment`` (naive UTC), rebuilt from
    its version table: the version written at or before the moment and not yet superseded
    then, unless that version is a deletion."""
    version = version_class(model).__table__
    transaction = versioning_manager.transaction_cls.__table__
    started = transaction.alias("started")
    ended = transaction.alias("ended")
    columns = [version.c[column.name] for column in model.__table__.c]
    return (
        sa.select(*columns)
        .join(started, started.c.id == version.c.transaction_id)
        .outerjoin(ended, ended.c.id == version.c.end_transaction_id)
        .where(
            started.c.issued_at <= moment,
            sa.or_(ended.c.id.is_(None), ended.c.issued_at > moment),
            version.c.operation_type != 2,
        )
        .subquery(f"{model.__tablename__}_as_of")
    )


def _tables(as_of: datetime | None):
    from fundtrack.allocations.models import Allocation, AllocationRecall
    from fundtrack.disbursements.models import Disbursement
    from fundtrack.funds.models import FundCarryOver

    models = (Allocation, AllocationRecall, Disbursement, FundCarryOver)
    if as_of is None:
        return tuple(model.__table__ for model in models)
    return tuple(as_of_table(model, as_of) for model in models)


def fund_budget_fen(session, fund, as_of: datetime | None = None) -> int:
    return funds_budget_fen(session, [fund], as_of)[fund.id]


def funds_budget_fen(session, funds, as_of: datetime | None = None) -> dict[int, int]:
    """fund id -> budget in fen, now or as it stood at ``as_of`` (one query for all funds)."""
    if as_of is None:
        return {fund.id: fund.budget_fen for fund in funds}
    from fundtrack.funds.models import Fund

    budgets = dict.fromkeys((fund.id for fund in funds), 0)
    if not budgets:
        return budgets
    table = as_of_table(Fund, as_of)
    rows = session.execute(
        sa.select(table.c.id, table.c.budget_fen).where(table.c.id.in_(list(budgets)))
    )
    for fund_id, budget in rows:
        budgets[fund_id] = int(budget or 0)
    return budgets


def fund_balances(session, fund, as_of: datetime | None = None) -> dict[str, Balance]:
    """Balances of every region that holds, gives, receives or pays money of ``fund``,
    now or as the records stood at ``as_of`` (naive UTC)."""
    return funds_balances(session, [fund], as_of)[fund.id]


def funds_balances(
    session, funds, as_of: datetime | None = None, region_code: str | None = None
) -> dict[int, dict[str, Balance]]:
    """``fund_balances`` of several funds at once, by fund id: the same grouped queries
    (four, five with ``as_of``) however many funds there are.

    With ``region_code`` the queries read only the rows that touch that region (and, for
    what was spent, its subtree): its own balance is exact, the others are partial.
    """
    from fundtrack.regions.operations import subtree_codes

    funds = list(funds)
    result: dict[int, dict[str, Balance]] = {fund.id: {} for fund in funds}
    if not funds:
        return result
    ids = list(result)
    allocations, recalls, disbursements, carry_overs = _tables(as_of)

    def at(fund_id: int, code: str) -> Balance:
        balances = result[fund_id]
        if code not in balances:
            balances[code] = Balance(code)
        return balances[code]

    budgets = funds_budget_fen(session, funds, as_of)
    for fund in funds:
        if budgets[fund.id]:
            at(fund.id, fund.region_code).received_fen += budgets[fund.id]

    a = allocations.c
    touching = (
        [sa.or_(a.from_region_code == region_code, a.to_region_code == region_code)]
        if region_code
        else []
    )
    rows = session.execute(
        sa.select(
            a.fund_id,
            a.from_region_code,
            a.to_region_code,
            sa.func.sum(sa.case((a.status.in_(RECEIVED_STATUSES), a.amount_fen), else_=0)),
            sa.func.sum(sa.case((a.status.in_(OUTGOING_STATUSES), a.amount_fen), else_=0)),
        )
        .where(a.fund_id.in_(ids), *touching)
        .group_by(a.fund_id, a.from_region_code, a.to_region_code)
    )
    for fund_id, giver, receiver, received, outgoing in rows:
        at(fund_id, receiver).received_fen += int(received or 0)
        at(fund_id, giver).allocated_out_fen += int(outgoing or 0)

    r = recalls.c
    rows = session.execute(
        sa.select(
            a.fund_id,
            a.from_region_code,
            a.to_region_code,
            sa.func.sum(sa.case((r.status == "approved", r.amount_fen), else_=0)),
            sa.func.sum(sa.case((r.status == "draft", r.amount_fen), else_=0)),
        )
        .join(allocations, r.allocation_id == a.id)
        .where(a.fund_id.in_(ids), *touching)
        .group_by(a.fund_id, a.from_region_code, a.to_region_code)
    )
    for fund_id, giver, receiver, approved, draft in rows:
        at(fund_id, giver).allocated_out_fen -= int(approved or 0)
        at(fund_id, receiver).received_fen -= int(approved or 0)
        at(fund_id, receiver).allocated_out_fen += int(draft or 0)

    c = carry_overs.c
    rows = session.execute(
        sa.select(c.from_fund_id, c.to_fund_id, c.region_code, sa.func.sum(c.amount_fen))
        .where(
            sa.or_(c.from_fund_id.in_(ids), c.to_fund_id.in_(ids)),
            *([c.region_code == region_code] if region_code else []),
        )
        .group_by(c.from_fund_id, c.to_fund_id, c.region_code)
    )
    for from_fund_id, to_fund_id, code, amount in rows:
        if from_fund_id in result:
            at(from_fund_id, code).carried_over_fen += int(amount or 0)
        if to_fund_id in result:
            at(to_fund_id, code).received_fen += int(amount or 0)

    d = disbursements.c
    spent_own: dict[tuple[int, str], int] = defaultdict(int)
    rows = session.execute(
        sa.select(
            d.fund_id,
            d.region_code,
            sa.func.sum(sa.case((d.status.in_(DISBURSED_STATUSES), d.amount_fen), else_=0)),
            sa.func.sum(sa.case((d.status.in_(SPENT_STATUSES), d.amount_fen), else_=0)),
        )
        .where(
            d.fund_id.in_(ids),
            *([d.region_code.in_(subtree_codes(session, region_code))] if region_code else []),
        )
        .group_by(d.fund_id, d.region_code)
    )
    for fund_id, code, disbursed, spent in rows:
        at(fund_id, code).disbursed_fen += int(disbursed or 0)
        spent_own[fund_id, code] += int(spent or 0)

    # roll what was spent up the tree, so a prefecture's rate covers its counties
    for (fund_id, code), spent in spent_own.items():
        balances = result[fund_id]
        at(fund_id, code).spent_fen += spent
        for above in ancestors(session, code):
            if above in balances:
                balances[above].spent_fen += spent
    return result


def region_balance(session, fund, region_code: str) -> Balance:
    """One region's balance, reading only the rows that touch it (a payment's or an
    allocation's balance check does not add up the whole fund)."""
    balances = funds_balances(session, [fund], region_code=region_code)[fund.id]
    return balances.get(region_code, Balance(region_code))


@dataclass
class BalanceRow:
    """A balance with its region, for tables and the API (tree order: parents first)."""

    region_code: str
    region_name: str
    level: str
    parent: str | None
    depth: int
    balance: Balance

    def __getattr__(self, name):
        return getattr(self.balance, name)


def balance_rows(session, fund, root_code: str, as_of: datetime | None = None) -> list[BalanceRow]:
    """The balances of ``root_code``'s subtree, in tree order (a region before its children)."""
    from fundtrack.regions.models import LEVEL_DEPTH, Region
    from fundtrack.regions.operations import is_within

    balances = fund_balances(session, fund, as_of)
    codes = [code for code in balances if is_within(session, code, root_code)]
    regions = {r.code: r for r in session.scalars(sa.select(Region).where(Region.code.in_(codes)))}

    def path(code: str) -> tuple[str, ...]:
        return (*reversed(ancestors(session, code)), code)

    return [
        BalanceRow(
            region_code=code,
            region_name=regions[code].name,
            level=regions[code].level,
            parent=regions[code].parent_code,
            depth=LEVEL_DEPTH[regions[code].level],
            balance=balances[code],
        )
        for code in sorted(codes, key=path)
    ]
