"""Who may record, approve, reverse and see disbursements."""

from __future__ import annotations

from fundtrack.regions.operations import is_within


def can_create_disbursement(session, user, region_code: str) -> bool:
    """A finance maker records the payments of its own region."""
    return user.role == "maker" and user.region_code == region_code


def can_approve_disbursement(session, user, disbursement) -> bool:
    """A checker of the paying region or above."""
    return user.role == "checker" and is_within(session, disbursement.region_code, user.region_code)


#: rejecting a pending payment (or a proposed reversal) is a decision of a checker too
can_reject_disbursement = can_approve_disbursement


def can_reverse_disbursement(session, user, disbursement) -> bool:
    """Propose a reversal: the paying region's maker, or a checker over it (a checker who
    proposes needs another checker to decide)."""
    return can_create_disbursement(
        session, user, disbursement.region_code
    ) or can_approve_disbursement(session, user, disbursement)


def can_view_disbursement(session, user, disbursement) -> bool:
    return is_within(session, disbursement.region_code, user.region_code)
