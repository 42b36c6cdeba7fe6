"""The register's own refusals; the shared ones are in ``core.errors``."""

from __future__ import annotations

from fundtrack.core.errors import DomainError
from fundtrack.core.i18n import _l


class DuplicateBeneficiary(DomainError):
    """The ID number is on another county's register (or already on this one)."""

    code = "duplicate_beneficiary"
    status = 409
    default_message = _l("该身份证号码已在册登记")


class PublicityRequired(DomainError):
    """A personal benefit to a beneficiary who is not on an ended 公示 of that benefit."""

    code = "publicity_required"
    default_message = _l("受益人须经审核在册，并经该待遇的公示期满无异议后才能发放")


class ObjectionUpheld(DomainError):
    """A personal benefit to a beneficiary against whom an objection to the 公示 was upheld."""

    code = "objection_upheld"
    default_message = _l("公示期间对该受益人的异议成立，不能发放该待遇")
