"""Who may see and change funds. Used by views, API and templates alike."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.core.access import get_visible
from fundtrack.funds.models import Fund, FundCarryOver, YearEndClose
from fundtrack.regions.operations import in_subtree, is_within

#: roles that see every record of their subtree without changing anything
READ_ONLY_ROLES = {"auditor"}


def visible_funds_filter(session, user):
    """SQL condition: funds held in the user's subtree, or that sent money into it."""
    root = user.region_code
    received = sa.select(Allocation.fund_id).where(
        in_subtree(session, Allocation.to_region_code, root),
        Allocation.status.in_(("approved", "recalled")),
    )
    carried_in = sa.select(FundCarryOver.to_fund_id).where(
        in_subtree(session, FundCarryOver.region_code, root)
    )
    return sa.or_(
        in_subtree(session, Fund.region_code, root),
        Fund.id.in_(received),
        Fund.id.in_(carried_in),
    )


def can_view_fund(session, user, fund) -> bool:

    if is_within(session, fund.region_code, user.region_code):
        return True
    visible = session.scalar(
        sa.select(Fund.id).where(Fund.id == fund.id, visible_funds_filter(session, user))
    )
    return visible is not None


def can_view_year_end_close(session, user, closing) -> bool:
    """A year-end close is seen by whoever sees its fund."""
    return can_view_fund(session, user, closing.fund)


def can_create_fund(session, user, region_code: str) -> bool:
    """A finance maker creates the funds of its own region."""
    return user.role == "maker" and user.region_code == region_code


def can_approve_fund(session, user, fund) -> bool:
    """A checker of the fund's region or above approves a proposed fund (never its maker:
    the operation checks that)."""
    return user.role == "checker" and is_within(session, fund.region_code, user.region_code)


def can_cancel_fund(session, user, fund) -> bool:
    """Its maker withdraws a proposed fund; a checker who may approve it refuses it."""
    if user.role == "maker":
        return user.id == fund.created_by_id
    return can_approve_fund(session, user, fund)


def can_propose_year_end(session, user, fund) -> bool:
    """A maker or checker of the fund's own region proposes closing its year."""
    return user.role in ("maker", "checker") and user.region_code == fund.region_code


def can_decide_year_end(session, user, fund) -> bool:
    """A checker of the fund's own region approves or rejects a proposed close (never the
    one who proposed it: the operation checks that)."""
    return user.role == "checker" and user.region_code == fund.region_code


def get_visible_fund(fund_id: int):
    """The fund, or 404 (pages and API alike) when it does not exist or lies outside the
    caller's subtree."""
    return get_visible(Fund, fund_id, can_view_fund)


def get_visible_close(close_id: int):
    """A year-end close, or 404 when its fund is not visible to the caller."""
    return get_visible(YearEndClose, close_id, can_view_year_end_close)
