"""Hunan's shipped reference data: the region tree, fund kinds, expenditure categories and
benefit rules, from the CSV files in ``fundtrack/data``. Its own module, not a region
operation: it seeds the tables of three domains."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from importlib import resources

from fundtrack.core.money import parse_yuan
from fundtrack.disbursements.models import BenefitRule
from fundtrack.funds.models import ExpenditureCategory, FundKind
from fundtrack.regions.models import Region
from fundtrack.regions.operations import forget_region_tree


def _read_csv(name: str) -> list[dict]:
    with resources.files("fundtrack.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_reference_data(session) -> dict[str, int]:
    """Insert or update the shipped regions, fund kinds, categories and benefit rules.

    Idempotent: rows are matched by code and only changed where the shipped data differs,
    so running it again writes no new versions. Returns the number of rows written per table.
    """
    written = {"regions": 0, "fund_kinds": 0, "categories": 0, "benefit_rules": 0}

    def upsert(model, key: str, values: dict, counter: str, keep: tuple[str, ...] = ()) -> None:
        """``keep``: columns shipped as a default only, a local decision once the row exists."""
        row = session.get(model, values[key])
        if row is None:
            session.add(model(**values))
            written[counter] += 1
            return
        changed = False
        for name, value in values.items():
            if name not in keep and getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        written[counter] += int(changed)

    # parents before children: the file is sorted by code, the province first
    for row in _read_csv("regions_hunan.csv"):
        upsert(
            Region,
            "code",
            {
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "parent_code": row["parent_code"] or None,
            },
            "regions",
        )
    session.flush()
    for row in _read_csv("fund_kinds.csv"):
        upsert(FundKind, "code", dict(row), "fund_kinds")
    for row in _read_csv("categories.csv"):
        upsert(
            ExpenditureCategory,
            "code",
            {
                **row,
                "earmarkable": row["earmarkable"] == "true",
                "requires_publicity": row["requires_publicity"] == "true",
            },
            "categories",
            # which benefits need a 公示 is each deployment's policy (flask beneficiaries
            # publicity-rule): the shipped value is where it starts
            keep=("requires_publicity",),
        )
    session.flush()
    for row in _read_csv("benefit_rules.csv"):
        upsert(
            BenefitRule,
            "code",
            {
                "code": row["code"],
                "category_code": row["category_code"],
                "name": row["name"],
                "daily_rate_fen": parse_yuan(Decimal(row["daily_rate"])),
                "max_days_per_year": int(row["max_days_per_year"]),
                "effective_from": date.fromisoformat(row["effective_from"]),
                "family_types": row["family_types"],
                "source": row["source"],
            },
            "benefit_rules",
        )
    session.flush()
    forget_region_tree()
    return written
