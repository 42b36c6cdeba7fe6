"""Who may manage users and tokens. Views, the API and templates call the same functions."""

from __future__ import annotations


def can_manage_users(user) -> bool:
    """Only an active administrator creates users, changes their role, region or state and
    resets their passwords."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", True)
        and getattr(user, "role", None) == "admin"
        and getattr(user, "active", False)
    )


def can_manage_tokens(user) -> bool:
    """Administrators list and revoke anyone's API tokens."""
    return can_manage_users(user)
