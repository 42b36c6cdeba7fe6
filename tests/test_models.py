"""The model holds every record DESIGN.md §2 names, and every financial one is versioned."""

import inspect
import re

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import version_class

from fundtrack import models

VERSIONED = [
    models.Fund,
    models.FundEarmark,
    models.BudgetLine,
    models.Allocation,
    models.AllocationRecall,
    models.Disbursement,
    models.Beneficiary,
    models.BenefitRule,
    models.Evaluation,
    models.EvaluationIndicator,
    models.EvaluationDeclaredUse,
    models.ExpenditureCategory,
    models.Region,
    models.User,
]


@pytest.mark.parametrize("model", VERSIONED, ids=lambda m: m.__name__)
def test_record_is_versioned(model):
    assert version_class(model).__table__.name == f"{model.__tablename__}_version"


def test_password_hashes_never_reach_the_version_table():
    assert "password_hash" not in version_class(models.User).__table__.c


def test_money_columns_are_integer_fen():

    for model in VERSIONED:
        for column in model.__table__.c:
            if column.name.endswith("_fen"):
                assert isinstance(column.type, sa.BigInteger), (model, column.name)


def test_every_column_is_documented():
    """Every column has a ``#:`` comment right above it (the Indico convention)."""
    for model in [*VERSIONED, models.ApiToken, models.FundKind]:
        source = inspect.getsource(model)
        for column in model.__table__.c:
            pattern = rf"\n    #: [^\n]+\n    {column.name}: Mapped"
            assert re.search(pattern, source), f"{model.__name__}.{column.name} lacks a #: comment"
