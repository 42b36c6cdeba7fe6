"""Who may prepare, approve, recall and see allocations. Views, API and templates share these."""

from __future__ import annotations

from fundtrack.regions.models import Region
from fundtrack.regions.operations import is_within


def can_create_allocation(session, user, from_region_code: str) -> bool:
    """A finance maker allocates (and recalls) its own region's money."""
    return user.role == "maker" and user.region_code == from_region_code


def can_approve_allocation(session, user, allocation) -> bool:
    """A checker with rights over the giving region (its own region or an ancestor)."""
    return user.role == "checker" and is_within(
        session, allocation.from_region_code, user.region_code
    )


def can_override_evaluation_gate(session, user, allocation) -> bool:
    """A provincial checker who may approve ``allocation`` (or a recall of it) may let the
    money reach a region whose last evaluation did not pass (绩效评价例外), with a reason."""
    return (
        can_approve_allocation(session, user, allocation)
        and session.get(Region, user.region_code).level == "province"
    )


def can_cancel_allocation(session, user, allocation) -> bool:
    """The giving region's maker, or a checker over it, may cancel a draft."""
    return can_create_allocation(
        session, user, allocation.from_region_code
    ) or can_approve_allocation(session, user, allocation)


def can_recall_allocation(session, user, allocation) -> bool:
    return can_create_allocation(session, user, allocation.from_region_code)


def can_view_allocation(session, user, allocation) -> bool:
    return is_within(session, allocation.from_region_code, user.region_code) or is_within(
        session, allocation.to_region_code, user.region_code
    )


def can_view_recall(session, user, recall) -> bool:
    return can_view_allocation(session, user, recall.allocation)
