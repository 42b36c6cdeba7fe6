"""Who may record, approve and see disbursements."""

from __future__ import annotations

from fundtrack.regions.operations import is_within


def can_create_disbursement(session, user, region_code: str) -> bool:
    return user.role == "maker" and user.region_code == region_code


def can_approve_disbursement(session, user, disbursement) -> bool:
    return user.role == "checker" and is_within(session, disbursement.region_code, user.region_code)


def can_view_disbursement(session, user, disbursement) -> bool:
    return is_within(session, disbursement.region_code, user.region_code)
