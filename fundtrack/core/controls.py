"""Two people for every movement of money, enforced where every write passes: the flush.

A model whose rows move money declares it with ``__two_person__ = TwoPerson(...)``: which of
its statuses mean that the money has moved (``effective``; ``None`` for a row that is a
movement from its first moment, such as a year-end carry-over), the column naming who
proposed it and the one naming who decided. Before every flush the guard looks at each
such row that *becomes* effective in it — new in an effective status, or moved into one from
a status that is not — and refuses the flush unless

- a decider is named (``second_person_required``),
- who is not the proposer (``same_user_approval``),
- and, when the acting user of the request or command is known, is that user (an operation
  cannot write somebody else's name as the approver: ``second_person_required``).

It also refuses to edit the ``frozen`` columns (amount, fund, regions) of a row that already
is effective: a moved amount is never edited, it is reversed or recalled by a record of its
own. The operations check the same rules first, with messages that name the record; this is
the net under them, so that an operation written tomorrow, or one that forgets its check,
still cannot let one person move money alone (``tests/test_two_person.py`` proves it for
every model that feeds a balance).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fundtrack.core.db_setup import listen_on_sessions
from fundtrack.core.errors import InvalidTransition, SameUserApproval, SecondPersonRequired
from fundtrack.core.i18n import _
from fundtrack.core.versioning import current_actor


@dataclass(frozen=True)
class TwoPerson:
    """How a money record names its two people and when its money has moved."""

    #: statuses in which the record's money has moved; None: every row, from its insert
    effective: tuple[str, ...] | None
    #: the column naming the user who proposed (prepared) the movement
    proposer: str = "created_by_id"
    #: the column naming the user who decided (approved) it
    decider: str = "approved_by_id"
    #: columns never edited once the row is effective
    frozen: tuple[str, ...] = ("amount_fen",)
    #: the status column
    status: str = "status"


def _status_change(obj, rule: TwoPerson, is_new: bool) -> tuple[str | None, str | None]:
    """(status before this flush, status after it); before is None for a new row."""
    if rule.effective is None:  # no status: a movement from its insert on
        return None, None
    state = sa.inspect(obj)
    current = getattr(obj, rule.status)
    if current is None:  # not set yet: the column's default applies at the insert
        default = state.mapper.columns[rule.status].default
        current = getattr(default, "arg", None)
    if is_new:
        return None, current
    history = state.attrs[rule.status].history
    before = history.deleted[0] if history.deleted else current
    return before, current


def _is_effective(rule: TwoPerson, status: str | None, exists: bool) -> bool:
    if rule.effective is None:
        return exists
    return status in rule.effective


def check_movements(session, flush_context=None, instances=None) -> None:
    """``before_flush``: refuse money that one person moves alone (see the module)."""
    actor = current_actor()
    # each of session.new and .dirty builds a new set when read: once, not once per row
    new = session.new
    for obj in (*new, *session.dirty):
        for rule in two_person_rules(type(obj)):
            _check_row(obj, rule, obj in new, actor)


def two_person_rules(cls) -> tuple[TwoPerson, ...]:
    """A model's rules: none, one, or several (a registration and an exit, each with its
    own two people)."""
    rules = getattr(cls, "__two_person__", None)
    if rules is None:
        return ()
    return rules if isinstance(rules, tuple) else (rules,)


def _check_row(obj, rule: TwoPerson, is_new: bool, actor) -> None:
    before, after = _status_change(obj, rule, is_new)
    was_effective = not is_new and _is_effective(rule, before, exists=True)
    if was_effective:
        state = sa.inspect(obj)
        edited = [name for name in rule.frozen if state.attrs[name].history.has_changes()]
        decider_changed = state.attrs[rule.decider].history.has_changes()
        if edited or decider_changed:
            raise InvalidTransition(
                _("已生效的资金记录不能修改金额、资金、地区或审批人；须以收回或冲销更正"),
                columns=[*edited, *([rule.decider] if decider_changed else [])],
            )
        return
    if not _is_effective(rule, after, exists=True):
        return
    proposer, decider = getattr(obj, rule.proposer), getattr(obj, rule.decider)
    if decider is None:
        raise SecondPersonRequired(record=type(obj).__name__)
    if decider == proposer:
        raise SameUserApproval(record=type(obj).__name__)
    if actor is not None and actor.user_id is not None and actor.user_id != decider:
        raise SecondPersonRequired(_("审批人须为办理审批的本人"), record=type(obj).__name__)


def install() -> None:
    """Check every flush of every session (the app's, the CLI's, the tests')."""
    listen_on_sessions(("before_flush", check_movements))
