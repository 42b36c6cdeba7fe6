"""Who may register, review and list beneficiaries, and who sees them."""

from __future__ import annotations

from fundtrack.regions.operations import is_within


def can_view_beneficiary(session, user, beneficiary) -> bool:
    """The county itself and every region above it (the prefecture sees its counties)."""
    return is_within(session, beneficiary.region_code, user.region_code)


def can_register_beneficiary(session, user, region_code: str) -> bool:
    """A finance maker registers the families of its own region or of the regions below."""
    return user.role == "maker" and is_within(session, region_code, user.region_code)


def can_review_beneficiary(session, user, beneficiary) -> bool:
    """A checker of the beneficiary's county or above approves registrations and exits."""
    return user.role == "checker" and is_within(session, beneficiary.region_code, user.region_code)


def can_propose_exit(session, user, beneficiary) -> bool:
    return can_register_beneficiary(session, user, beneficiary.region_code)


def can_reveal_id_number(session, user, region_code: str) -> bool:
    """Full ID numbers: the finance staff of the region itself, and auditors."""
    if user.role == "auditor":
        return is_within(session, region_code, user.region_code)
    return user.role in ("maker", "checker") and user.region_code == region_code


def can_view_publicity(session, user, publicity) -> bool:
    return is_within(session, publicity.region_code, user.region_code)


def can_issue_publicity(session, user, region_code: str) -> bool:
    """A county's finance maker issues the 公示 of its own register."""
    return user.role == "maker" and user.region_code == region_code


def can_withdraw_publicity(session, user, publicity) -> bool:
    """Its issuer's region's maker, or a checker over it."""
    return can_issue_publicity(session, user, publicity.region_code) or can_end_publicity(
        session, user, publicity
    )


def can_end_publicity(session, user, publicity) -> bool:
    """A checker over the county confirms that the period ran and every objection is decided."""
    return user.role == "checker" and is_within(session, publicity.region_code, user.region_code)


def can_record_objection(session, user, publicity) -> bool:
    """The county's finance staff write down what was reported to them."""
    return user.role in ("maker", "checker") and is_within(
        session, publicity.region_code, user.region_code
    )


#: deciding an objection is a checker's, over the county (and never the one who recorded it)
can_decide_objection = can_end_publicity
