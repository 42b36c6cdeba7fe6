"""The register as a user sees it: one reading for the API lists and the pages."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.beneficiaries.models import Beneficiary, DuplicateRegistration, Publicity
from fundtrack.core.web_helpers import text_search
from fundtrack.regions.operations import subtree_codes


def visible_beneficiaries(session, user, filters: dict):
    """Beneficiaries of the user's subtree matching ``filters`` (region, status, family
    type, ``q`` in the name: ID numbers are personal data, not a search key)."""
    codes = subtree_codes(session, user.region_code)
    stmt = sa.select(Beneficiary).where(Beneficiary.region_code.in_(codes))
    for key, column in (
        ("region", Beneficiary.region_code),
        ("status", Beneficiary.status),
        ("family_type", Beneficiary.family_type),
    ):
        if filters.get(key):
            stmt = stmt.where(column == filters[key])
    if filters.get("q"):
        stmt = stmt.where(text_search((Beneficiary.name,), filters["q"]))
    return stmt


def visible_duplicates(session, user):
    """Refused duplicate registrations that concern the user's subtree: attempted there, or
    colliding with a registration there — so both counties and the prefecture see each."""
    codes = subtree_codes(session, user.region_code)
    return sa.select(DuplicateRegistration).where(
        sa.or_(
            DuplicateRegistration.region_code.in_(codes),
            DuplicateRegistration.other_region_code.in_(codes),
        )
    )


def visible_publicities(session, user, filters: dict):
    codes = subtree_codes(session, user.region_code)
    stmt = sa.select(Publicity).where(Publicity.region_code.in_(codes))
    for key, column in (
        ("region", Publicity.region_code),
        ("category", Publicity.category_code),
        ("status", Publicity.status),
    ):
        if filters.get(key):
            stmt = stmt.where(column == filters[key])
    return stmt
