"""Balances of a fund per region: the kept rows (``ledger.models.FundBalance``) for now, the
SQL aggregate over the records for any moment in the past and for verification.

For every region and fund:
- received       = the approved budget (at the fund's own region) + approved allocations in
                   − approved recalls of them + money carried over into this fund (结转)
- allocated_out  = allocations out, draft and approved (a draft reserves its money)
                   − approved recalls of them + draft recalls of allocations in (reserved
                   at the receiver until approved or cancelled)
- disbursed      = disbursements, pending and approved (pending reserves), net of approved
                   reversals (a proposed reversal changes nothing until it is approved)
- carried_over   = unspent money moved at year-end into next year's fund of the same kind
- available      = received − allocated_out − disbursed − carried_over; never below zero
- spent          = approved disbursements net of reversals, of the region and everything below it
- execution_rate = spent / received

Now: the rows ``ledger.postings`` keeps in the same transaction as every movement, read by
primary key (one fund's rows, or one region's). Nothing is cached: a read costs what a
cache lookup would, and a payment in one fund never makes another fund's page slower.

``as_of`` and ``recomputed_balances``: one statement (a ``UNION ALL`` of every kind of row,
grouped by fund and region) over the live tables or, for ``as_of``, over the version tables
as they stood at that moment, for any number of funds at once; ``flask audit verify``
compares it with the kept rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.core.money import ratio
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.models import FUNDED_STATUSES, Fund, FundCarryOver
from fundtrack.ledger.models import FundBalance
from fundtrack.ledger.postings import (
    DISBURSED_STATUSES,
    OUTGOING_STATUSES,
    RECEIVED_STATUSES,
    SPENT_STATUSES,
)
from fundtrack.regions.models import LEVEL_DEPTH, Region
from fundtrack.regions.operations import ancestors, in_subtree, subtree_codes

__all__ = [
    "DISBURSED_STATUSES",
    "OUTGOING_STATUSES",
    "RECEIVED_STATUSES",
    "SPENT_STATUSES",
]


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

    models = (Allocation, AllocationRecall, Disbursement, FundCarryOver)
    if as_of is None:
        return tuple(model.__table__ for model in models)
    return tuple(as_of_table(model, as_of) for model in models)


def fund_budget_fen(session, fund, as_of: datetime | None = None) -> int:
    return funds_budget_fen(session, [fund], as_of)[fund.id]


def funds_budget_fen(session, funds, as_of: datetime | None = None) -> dict[int, int]:
    """fund id -> the budget that has reached the fund's region (0 while the fund awaits its
    approval, or after it was cancelled), now or as it stood at ``as_of`` (one query for
    all funds)."""
    if as_of is None:
        return {fund.id: fund.budget_fen if fund.status in FUNDED_STATUSES else 0 for fund in funds}

    budgets = dict.fromkeys((fund.id for fund in funds), 0)
    if not budgets:
        return budgets
    table = as_of_table(Fund, as_of)
    rows = session.execute(
        sa.select(table.c.id, table.c.budget_fen).where(
            table.c.id.in_(list(budgets)), table.c.status.in_(FUNDED_STATUSES)
        )
    )
    for fund_id, budget in rows:
        budgets[fund_id] = int(budget or 0)
    return budgets


#: (giver, receiver) -> money that reached the receiver by approved allocations, net of
#: approved recalls, in fen: the edges of a fund's money flow (charts)
Flows = dict[tuple[str, str], int]


def fund_balances(
    session, fund, as_of: datetime | None = None, flows: Flows | None = None
) -> dict[str, Balance]:
    """Balances of every region that holds, gives, receives or pays money of ``fund``,
    now or as the records stood at ``as_of`` (naive UTC). A ``flows`` dict passed in is
    filled with the fund's allocation edges (``Flows``) by the same statement."""
    edges = {fund.id: flows} if flows is not None else None
    return funds_balances(session, [fund], as_of, flows=edges)[fund.id]


def funds_balances(
    session,
    funds,
    as_of: datetime | None = None,
    region_code: str | None = None,
    flows: dict[int, Flows] | None = None,
) -> dict[int, dict[str, Balance]]:
    """``fund_balances`` of several funds at once, by fund id: now, the kept rows (one
    statement by primary key for all of them); at ``as_of``, recomputed from the version
    tables. With ``region_code`` only that region's balance, what its subtree spent summed by
    the database (the aggregate's, for ``as_of``: exact for that region)."""
    if as_of is not None:
        return recomputed_balances(session, funds, as_of, region_code, flows)
    funds = list(funds)
    result: dict[int, dict[str, Balance]] = {fund.id: {} for fund in funds}
    if not funds:
        return result
    b = FundBalance.__table__.c
    columns = (b.fund_id, b.region_code, b.received_fen, b.allocated_out_fen, b.disbursed_fen,
               b.carried_over_fen)  # fmt: skip
    if region_code is not None:
        # the region's own row, and what its subtree spent summed by the database
        subtree = subtree_codes(session, region_code)
        below = FundBalance.__table__.alias("below").c
        spent = sa.select(sa.func.sum(below.spent_fen)).where(
            below.fund_id == b.fund_id, below.region_code.in_(subtree)
        )
        statement = sa.select(*columns, spent.scalar_subquery()).where(
            b.fund_id.in_(list(result)), b.region_code == region_code
        )
        for fund_id, code, received, out, disbursed, carried, spent_fen in session.execute(
            statement
        ):
            result[fund_id][code] = Balance(code, received, out, disbursed, carried, spent_fen or 0)
        return result
    statement = sa.select(*columns, b.spent_fen).where(b.fund_id.in_(list(result)))
    own_region = {fund.id: fund.region_code for fund in funds}
    spent_own: dict[tuple[int, str], int] = {}
    # a fund's own region first (as the aggregate lists it), then by code
    rows = sorted(session.execute(statement), key=lambda r: (r[1] != own_region[r[0]], r[1]))
    for fund_id, code, received, out, disbursed, carried, spent_fen in rows:
        result[fund_id][code] = Balance(code, received, out, disbursed, carried)
        if spent_fen:
            spent_own[(fund_id, code)] = spent_fen
    _roll_up_spent(session, result, spent_own)
    if flows is not None:
        charted = [fund for fund in funds if fund.id in flows]
        for fund_id, edges in allocation_flows(session, charted).items():
            flows[fund_id].update(edges)
    return result


def _roll_up_spent(session, result, spent_own: dict[tuple[int, str], int]) -> None:
    """Add what each region spent to itself and every region above it that holds money of
    the fund, so a prefecture's rate covers its counties."""
    above_of: dict[str, list[str]] = {}
    for (fund_id, code), spent in spent_own.items():
        balances = result[fund_id]
        balances[code].spent_fen += spent
        if code not in above_of:
            above_of[code] = ancestors(session, code)
        for above in above_of[code]:
            if above in balances:
                balances[above].spent_fen += spent


def allocation_flows(session, funds) -> dict[int, Flows]:
    """fund id -> the fund's allocation edges (``Flows``): approved allocations less
    approved recalls of them, from the allocation tables alone (one statement)."""
    ids = [fund.id for fund in funds]
    result: dict[int, Flows] = {fund_id: {} for fund_id in ids}
    if not ids:
        return result
    a, r = Allocation.__table__.c, AllocationRecall.__table__.c
    received = sa.case((a.status.in_(RECEIVED_STATUSES), a.amount_fen), else_=0)
    recalled = sa.func.coalesce(
        sa.select(sa.func.sum(r.amount_fen))
        .where(r.allocation_id == a.id, r.status == "approved")
        .scalar_subquery(),
        0,
    )
    rows = session.execute(
        sa.select(a.fund_id, a.from_region_code, a.to_region_code, sa.func.sum(received - recalled))
        .where(a.fund_id.in_(ids))
        .group_by(a.fund_id, a.from_region_code, a.to_region_code)
    )
    for fund_id, giver, receiver, amount in rows:
        result[fund_id][(giver, receiver)] = int(amount or 0)
    return result


def recomputed_balances(
    session,
    funds,
    as_of: datetime | None = None,
    region_code: str | None = None,
    flows: dict[int, Flows] | None = None,
    roll_up: bool = True,
) -> dict[int, dict[str, Balance]]:
    """The balances of several funds recomputed from the records, by fund id: one
    ``UNION ALL`` aggregate statement (allocations in and out, recalls, carry-overs, payments
    and, for ``as_of``, the budgets), grouped by fund and region, however many funds there
    are.

    With ``region_code`` the statement reads only the rows that touch that region (and, for
    what was spent, its subtree): its own balance is exact, the others are partial. Without
    ``roll_up`` each region's ``spent_fen`` is its own, as its kept row holds it.
    """
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

    zero = sa.literal_column("0")

    def amount_if(condition, amount):
        return sa.case((condition, amount), else_=zero)

    def leg(
        fund_id,
        region,
        received=zero,
        out=zero,
        disbursed=zero,
        carried=zero,
        spent=zero,
        giver=None,
    ):
        """One kind of row as (fund, region, received, allocated out, disbursed, carried over,
        spent, giver); every row makes its region appear, whatever its status (as before).
        ``giver`` is the region an allocation's money came from (the edges of ``flows``)."""
        return sa.select(
            fund_id.label("fund_id"),
            region.label("region"),
            received.label("received"),
            out.label("out"),
            disbursed.label("disbursed"),
            carried.label("carried"),
            spent.label("spent"),
            (sa.cast(sa.null(), sa.String) if giver is None else giver).label("giver"),
        )

    a, r, c, d = allocations.c, recalls.c, carry_overs.c, disbursements.c
    touching = (
        [sa.or_(a.from_region_code == region_code, a.to_region_code == region_code)]
        if region_code
        else []
    )
    recalled = sa.and_(r.allocation_id == a.id, a.fund_id.in_(ids), *touching)
    legs = [
        # allocations: received at the receiver, out (or reserved) at the giver
        leg(a.fund_id, a.to_region_code,
            received=amount_if(a.status.in_(RECEIVED_STATUSES), a.amount_fen),
            giver=a.from_region_code)
        .where(a.fund_id.in_(ids), *touching),
        leg(a.fund_id, a.from_region_code,
            out=amount_if(a.status.in_(OUTGOING_STATUSES), a.amount_fen))
        .where(a.fund_id.in_(ids), *touching),
        # recalls: an approved one goes back up, a draft one is reserved at the receiver
        leg(a.fund_id, a.to_region_code,
            received=amount_if(r.status == "approved", -r.amount_fen),
            out=amount_if(r.status == "draft", r.amount_fen),
            giver=a.from_region_code)
        .select_from(recalls).join(allocations, recalled),
        leg(a.fund_id, a.from_region_code,
            out=amount_if(r.status == "approved", -r.amount_fen))
        .select_from(recalls).join(allocations, recalled),
        # year-end carry-overs: out of the closed fund, into next year's
        leg(c.from_fund_id, c.region_code, carried=c.amount_fen).where(
            c.from_fund_id.in_(ids), *([c.region_code == region_code] if region_code else [])
        ),
        leg(c.to_fund_id, c.region_code, received=c.amount_fen).where(
            c.to_fund_id.in_(ids), *([c.region_code == region_code] if region_code else [])
        ),
        # payments: pending ones reserve, approved ones are spent (reversals net them);
        # summed per region before the union (the big table: the planner aggregates it
        # straight from the scan instead of passing every row through the union)
        leg(d.fund_id, d.region_code,
            disbursed=sa.func.sum(amount_if(
                sa.and_(d.status.in_(DISBURSED_STATUSES),
                        sa.or_(d.status != "pending", d.amount_fen > 0)),
                d.amount_fen)),
            spent=sa.func.sum(amount_if(d.status.in_(SPENT_STATUSES), d.amount_fen)))
        .group_by(d.fund_id, d.region_code)
        .where(
            d.fund_id.in_(ids),
            *([d.region_code.in_(subtree_codes(session, region_code))] if region_code else []),
        ),
    ]  # fmt: skip
    if as_of is None:
        for fund in funds:  # the budget as it is now: already loaded with the fund
            if fund.budget_fen and fund.status in FUNDED_STATUSES:
                at(fund.id, fund.region_code).received_fen += fund.budget_fen
    else:
        f = as_of_table(Fund, as_of).c
        # the budget as it stood then, at the fund's own region (filled in below)
        legs.append(
            leg(f.id, sa.cast(sa.null(), sa.String), received=f.budget_fen).where(
                f.id.in_(ids), f.budget_fen != 0, f.status.in_(FUNDED_STATUSES)
            )
        )
    moves = sa.union_all(*legs).subquery("moves")
    m = moves.c
    statement = sa.select(
        m.fund_id,
        m.region,
        sa.func.sum(m.received),
        sa.func.sum(m.out),
        sa.func.sum(m.disbursed),
        sa.func.sum(m.carried),
        sa.func.sum(m.spent),
        m.giver,
    ).group_by(m.fund_id, m.region, m.giver)
    rows = [tuple(row) for row in session.execute(statement)]
    # budgets first, so that a fund's own region comes first (as it always did)
    rows.sort(key=lambda row: row[1] is not None)
    codes = {fund.id: fund.region_code for fund in funds}
    spent_own: dict[tuple[int, str], int] = {}
    for fund_id, code, received, out, disbursed, carried, spent, giver in rows:
        balance = at(fund_id, codes[fund_id] if code is None else code)
        if giver is not None and flows is not None and fund_id in flows:
            edge = (giver, balance.region_code)
            flows[fund_id][edge] = flows[fund_id].get(edge, 0) + int(received or 0)
        balance.received_fen += int(received or 0)
        balance.allocated_out_fen += int(out or 0)
        balance.disbursed_fen += int(disbursed or 0)
        balance.carried_over_fen += int(carried or 0)
        if spent:
            key = (fund_id, balance.region_code)
            spent_own[key] = spent_own.get(key, 0) + int(spent)

    if roll_up:
        _roll_up_spent(session, result, spent_own)
    else:
        for (fund_id, code), spent in spent_own.items():
            result[fund_id][code].spent_fen += spent
    return result


def region_balance(session, fund, region_code: str) -> Balance:
    """One region's balance, reading only the rows that touch it (a payment's or an
    allocation's balance check does not add up the whole fund)."""
    balances = funds_balances(session, [fund], region_code=region_code)[fund.id]
    return balances.get(region_code, Balance(region_code))


@dataclass
class BalanceRow(Balance):
    """A balance with its region, for tables and the API (tree order: parents first)."""

    region_name: str = ""
    level: str = ""
    parent: str | None = None
    depth: int = 0


#: every field of a row, for ``rows_key``
_ROW_FIELDS = attrgetter(*(f.name for f in fields(BalanceRow)))


def rows_key(rows: list[BalanceRow]) -> tuple:
    """Everything the rows show, hashable: the key of output rendered from them
    (``dataclasses.astuple`` deep-copies each value and was slower than the rendering it
    spares)."""
    return tuple(map(_ROW_FIELDS, rows))


def balance_rows(
    session, fund, root_code: str, as_of: datetime | None = None, flows: Flows | None = None
) -> list[BalanceRow]:
    """The balances of ``root_code``'s subtree, in tree order (a region before its children).
    A ``flows`` dict passed in is filled with the fund's allocation edges (money flow chart)."""
    balances = fund_balances(session, fund, as_of, flows=flows)
    within = subtree_codes(session, root_code)
    codes = [code for code in balances if code in within]
    regions = {
        row.code: row
        for row in session.execute(
            sa.select(Region.code, Region.name, Region.level, Region.parent_code).where(
                in_subtree(session, Region.code, root_code)
            )
        )
    }

    def path(code: str) -> tuple[str, ...]:
        return (*reversed(ancestors(session, code)), code)

    return [
        BalanceRow(
            **vars(balances[code]),
            region_name=regions[code].name,
            level=regions[code].level,
            parent=regions[code].parent_code,
            depth=LEVEL_DEPTH[regions[code].level],
        )
        for code in sorted(codes, key=path)
    ]
