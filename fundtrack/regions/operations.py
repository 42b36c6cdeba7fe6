"""Region tree queries (the shipped tree itself is loaded by ``fundtrack.reference``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_app_context

from fundtrack.regions.models import Region


def parent_map(session) -> dict[str, str | None]:
    """code -> parent code for all regions; cached for the current request or command."""
    cached = g.get("_region_parents") if has_app_context() else None
    if cached is None:
        cached = dict(session.execute(sa.select(Region.code, Region.parent_code)).all())
        if has_app_context():
            g._region_parents = cached
    return cached


def forget_region_tree() -> None:
    """Drop the request's cached tree (after the regions changed)."""
    if has_app_context():
        g.pop("_region_parents", None)


def ancestors(session, code: str) -> list[str]:
    """The codes above ``code``, nearest first."""
    parents = parent_map(session)
    result = []
    current = parents.get(code)
    while current:
        result.append(current)
        current = parents.get(current)
    return result


def is_within(session, code: str | None, root: str | None) -> bool:
    """True when ``code`` is ``root`` or lies below it."""
    if not code or not root:
        return False
    return code == root or root in ancestors(session, code)


def subtree_codes(session, root: str) -> set[str]:
    parents = parent_map(session)
    return {code for code in parents if is_within(session, code, root)}
