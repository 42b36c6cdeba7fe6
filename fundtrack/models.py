"""Import every model so that mappers, version classes and Alembic see the whole schema."""

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.audit.models import AccessLog, AuditSeal
from fundtrack.beneficiaries.models import (
    Beneficiary,
    DuplicateRegistration,
    Objection,
    Publicity,
    PublicityEntry,
)
from fundtrack.disbursements.models import BenefitRule, Disbursement
from fundtrack.evaluations.models import Evaluation, EvaluationDeclaredUse, EvaluationIndicator
from fundtrack.exchange.models import BankBatch, BankBatchItem
from fundtrack.funds.models import (
    BudgetLine,
    ExpenditureCategory,
    Fund,
    FundCarryOver,
    FundEarmark,
    FundKind,
    YearEndClose,
)
from fundtrack.ledger.models import FundBalance
from fundtrack.regions.models import Region
from fundtrack.users.models import ApiToken, User

# continuum builds the version classes and the transaction table when mappers configure.
sa.orm.configure_mappers()

__all__ = [
    "AccessLog",
    "Allocation",
    "AllocationRecall",
    "ApiToken",
    "AuditSeal",
    "BankBatch",
    "BankBatchItem",
    "Beneficiary",
    "BenefitRule",
    "BudgetLine",
    "Disbursement",
    "DuplicateRegistration",
    "Evaluation",
    "EvaluationDeclaredUse",
    "EvaluationIndicator",
    "ExpenditureCategory",
    "Fund",
    "FundBalance",
    "FundCarryOver",
    "FundEarmark",
    "FundKind",
    "Objection",
    "Publicity",
    "PublicityEntry",
    "Region",
    "User",
    "YearEndClose",
]
