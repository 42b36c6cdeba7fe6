"""Who may manage users and tokens."""

from __future__ import annotations


def can_manage_tokens(user) -> bool:
    """Administrators list and revoke anyone's API tokens."""
    return user.role == "admin"
