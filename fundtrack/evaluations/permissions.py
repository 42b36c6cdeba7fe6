"""Who may see, fill, submit and review performance evaluations."""

from __future__ import annotations

from fundtrack.regions.operations import is_within


def can_view_evaluation(session, user, evaluation) -> bool:
    """The region itself, the regions above it (its reviewers), auditors over it."""
    return is_within(session, evaluation.region_code, user.region_code)


def can_create_evaluation(session, user, region_code: str) -> bool:
    return user.role == "maker" and user.region_code == region_code


def can_edit_evaluation(session, user, evaluation) -> bool:
    """The region's own finance maker fills and submits it."""
    return can_create_evaluation(session, user, evaluation.region_code)


def can_review_evaluation(session, user, evaluation) -> bool:
    """A checker of the parent region or of any region above it (the province)."""
    return (
        user.role == "checker"
        and user.region_code != evaluation.region_code
        and is_within(session, evaluation.region_code, user.region_code)
    )
