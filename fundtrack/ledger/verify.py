"""The kept balances against the records: what ``flask audit verify`` checks, and the
rebuild for rows written around the ORM (the benchmark generator, the migration's first
fill)."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.core.money import yuan_str
from fundtrack.funds.models import Fund
from fundtrack.ledger.balances import Balance, recomputed_balances
from fundtrack.ledger.models import FundBalance
from fundtrack.ledger.postings import COMPONENTS

#: what a finding calls each component
COMPONENT_NAMES = {
    "received_fen": "received",
    "allocated_out_fen": "allocated out",
    "disbursed_fen": "disbursed",
    "carried_over_fen": "carried over",
    "spent_fen": "spent",
}


def _components(balance: Balance | None) -> tuple[int, ...]:
    if balance is None:
        return (0,) * len(COMPONENTS)
    return tuple(getattr(balance, name) for name in COMPONENTS)


def kept_rows(session) -> dict[tuple[int, str], tuple[int, ...]]:
    table = FundBalance.__table__
    return {
        (row[0], row[1]): tuple(row[2:])
        for row in session.execute(
            sa.select(table.c.fund_id, table.c.region_code, *(table.c[name] for name in COMPONENTS))
        )
    }


def verify_balances(session) -> tuple[int, str | None]:
    """(rows compared, the first row that differs from the records, described, or None).

    Every fund's balances are recomputed by the aggregate over the live records and
    compared, component by component, with the kept rows; a row of zeros and no row at all
    are the same balance."""
    funds = session.scalars(sa.select(Fund).order_by(Fund.id)).all()
    codes = {fund.id: fund.code for fund in funds}
    recomputed = recomputed_balances(session, funds, roll_up=False)
    kept = kept_rows(session)
    keys = {(fund_id, code) for fund_id, balances in recomputed.items() for code in balances}
    for key in sorted(keys | set(kept)):
        fund_id, region_code = key
        expected = _components(recomputed.get(fund_id, {}).get(region_code))
        found = kept.get(key, (0,) * len(COMPONENTS))
        if found != expected:
            differences = ", ".join(
                f"{COMPONENT_NAMES[name]} kept {yuan_str(have)}, recomputed {yuan_str(want)}"
                for name, have, want in zip(COMPONENTS, found, expected, strict=True)
                if have != want
            )
            fund = codes.get(fund_id, f"#{fund_id}")
            return len(kept), (
                f"balance of fund {fund} at region {region_code} differs from its records "
                f"({differences}): changed around the application"
            )
    return len(kept), None


def rebuild_balances(session) -> int:
    """Replace every kept row by the balances recomputed from the records (rows written
    around the ORM, which ``ledger.postings`` did not see). Returns the rows written."""
    funds = session.scalars(sa.select(Fund).order_by(Fund.id)).all()
    recomputed = recomputed_balances(session, funds, roll_up=False)
    session.execute(sa.delete(FundBalance))
    rows = [
        {"fund_id": fund_id, "region_code": code}
        | dict(zip(COMPONENTS, _components(balance), strict=True))
        for fund_id, balances in recomputed.items()
        for code, balance in sorted(balances.items())
    ]
    if rows:
        session.execute(sa.insert(FundBalance), rows)
    return len(rows)
