"""Shared checks for anything that moves money of a fund."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.core.errors import FundNotActive, InsufficientFunds
from fundtrack.core.money import yuan_str


def lock_fund(session, fund) -> None:
    """Serialise every money movement of one fund (row lock on PostgreSQL).

    Balances are checked after this lock and written in the same transaction, so two
    concurrent requests can never both spend the same available money.
    """
    from fundtrack.funds.models import Fund

    session.execute(sa.select(Fund.id).where(Fund.id == fund.id).with_for_update())
    if fund.status != "active":
        raise FundNotActive(fund_status=fund.status)


def require_available(session, fund, region_code: str, amount_fen: int) -> None:
    """Raise ``InsufficientFunds`` unless ``region_code`` has ``amount_fen`` available."""
    from fundtrack.funds.balances import region_balance

    available = region_balance(session, fund, region_code).available_fen
    if amount_fen > available:
        raise InsufficientFunds(
            f"可用余额不足：可用 {yuan_str(available)} 元，需要 {yuan_str(amount_fen)} 元",
            available=yuan_str(available),
            requested=yuan_str(amount_fen),
        )


MAX_REASON = 2000


def require_reason(reason: str | None, field: str = "reason") -> str:
    """The reason of a cancel, recall, reverse or return: required, at most 2000 characters.
    ``field`` names the request field it came from, for the error's details."""
    from fundtrack.core.errors import ReasonRequired

    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(fields={field: ["必须填写原因"]})
    if len(reason) > MAX_REASON:
        raise ReasonRequired(f"原因不超过 {MAX_REASON} 个字符", fields={field: ["原因过长"]})
    return reason
