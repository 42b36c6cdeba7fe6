"""Who may read the history of which record: whoever may read the record itself."""

from __future__ import annotations

from fundtrack.allocations.permissions import can_view_allocation
from fundtrack.disbursements.permissions import can_view_disbursement
from fundtrack.funds.permissions import can_view_fund, can_view_year_end_close
from fundtrack.regions.operations import is_within


def can_view_record(session, user, kind: str, record) -> bool:

    if record is None:
        return False
    if kind == "funds":
        return can_view_fund(session, user, record)
    if kind == "year-end-closes":
        return can_view_year_end_close(session, user, record)
    if kind == "allocations":
        return can_view_allocation(session, user, record)
    if kind == "recalls":
        return can_view_allocation(session, user, record.allocation)
    if kind == "disbursements":
        return can_view_disbursement(session, user, record)
    if kind in ("beneficiaries", "publicities", "evaluations"):
        return is_within(session, record.region_code, user.region_code)
    if kind == "objections":
        return is_within(session, record.publicity.region_code, user.region_code)
    return False


def can_read_access_log(user) -> bool:
    return user.role in ("auditor", "admin")


def can_export_audit_packet(user) -> bool:
    return user.role in ("auditor", "admin")
