"""The payments a user sees, filtered: one reading for the API list, the page and exports."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.core.web_helpers import text_search
from fundtrack.disbursements.models import Disbursement
from fundtrack.regions.operations import subtree_codes

#: the columns the search text ``q`` looks in
SEARCH_COLUMNS = (Disbursement.payee_name, Disbursement.voucher_no, Disbursement.project_name)
#: filter name -> column; the API list, the page and the exports accept the same names
FILTER_COLUMNS = {
    "fund_id": Disbursement.fund_id,
    "region": Disbursement.region_code,
    "status": Disbursement.status,
    "category": Disbursement.category_code,
}


def visible_disbursements(session, user, filters: dict):
    """Payments of the user's subtree matching ``filters`` (also ``paid_from``/``paid_to``)."""
    codes = subtree_codes(session, user.region_code)
    stmt = sa.select(Disbursement).where(Disbursement.region_code.in_(codes))
    for key, column in FILTER_COLUMNS.items():
        if filters.get(key) not in (None, ""):
            stmt = stmt.where(column == filters[key])
    if filters.get("q"):
        stmt = stmt.where(text_search(SEARCH_COLUMNS, filters["q"]))
    if filters.get("paid_from"):
        stmt = stmt.where(Disbursement.paid_on >= filters["paid_from"])
    if filters.get("paid_to"):
        stmt = stmt.where(Disbursement.paid_on <= filters["paid_to"])
    return stmt
