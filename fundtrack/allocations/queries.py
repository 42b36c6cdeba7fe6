"""The allocations a user sees, filtered: one reading for the API list, the page and exports."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.core.web_helpers import text_search
from fundtrack.regions.operations import subtree_codes

#: the columns the search text ``q`` looks in
SEARCH_COLUMNS = (Allocation.document_no, Allocation.reason)
#: filter name -> column; the API list, the page and the exports accept the same names
FILTER_COLUMNS = {
    "fund_id": Allocation.fund_id,
    "status": Allocation.status,
    "from_region": Allocation.from_region_code,
    "to_region": Allocation.to_region_code,
    "document_no": Allocation.document_no,
}


def visible_allocations(session, user, filters: dict):
    """Allocations given or received within the user's subtree, matching ``filters``."""
    codes = subtree_codes(session, user.region_code)
    stmt = sa.select(Allocation).where(
        sa.or_(Allocation.from_region_code.in_(codes), Allocation.to_region_code.in_(codes))
    )
    for key, column in FILTER_COLUMNS.items():
        if filters.get(key) not in (None, ""):
            stmt = stmt.where(column == filters[key])
    if filters.get("q"):
        stmt = stmt.where(text_search(SEARCH_COLUMNS, filters["q"]))
    return stmt
