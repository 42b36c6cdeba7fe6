"""Who may import spreadsheets and export bank payment files."""

from __future__ import annotations

from fundtrack.regions.operations import is_within


def can_import(user) -> bool:
    """Finance makers import what they could enter by hand; each row is checked again."""
    return user.role == "maker"


def can_view_bank_batch(session, user, batch) -> bool:
    return is_within(session, batch.region_code, user.region_code)


def can_export_bank_file(session, user, region_code: str) -> bool:
    """The finance staff of the paying region or above: the file carries full ID numbers."""
    return user.role in ("maker", "checker") and is_within(session, region_code, user.region_code)
