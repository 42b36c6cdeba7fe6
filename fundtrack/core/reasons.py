"""The reasons people give: why a record is cancelled, recalled, reversed or returned, and an
approver's opinion (审批意见) on a decision."""

from __future__ import annotations

from fundtrack.core.errors import ReasonRequired
from fundtrack.core.i18n import _

MAX_REASON = 2000


def require_reason(reason: str | None, field: str = "reason") -> str:
    """The reason of a cancel, recall, reverse or return: required, at most 2000 characters.
    ``field`` names the request field it came from, for the error's details."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(fields={field: [_("必须填写原因")]})
    if len(reason) > MAX_REASON:
        raise ReasonRequired(
            _("原因不超过 %(max)s 个字符", max=MAX_REASON), fields={field: [_("原因过长")]}
        )
    return reason


def optional_reason(reason: str | None, field: str = "reason") -> str | None:
    """An approver's optional opinion (审批意见) on a decision: stripped, at most
    ``MAX_REASON`` characters, None when blank. Raises ``ReasonRequired`` when too long."""
    if reason is None or not reason.strip():
        return None
    return require_reason(reason, field)
