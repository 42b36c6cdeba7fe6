"""Status transitions of allocations and disbursements."""

from types import SimpleNamespace

import pytest

from fundtrack.allocations.models import ALLOCATION_TRANSITIONS
from fundtrack.core.errors import DomainError, InvalidTransition
from fundtrack.core.transitions import Transitions
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS

ALLOWED = [
    (ALLOCATION_TRANSITIONS, "draft", "approve", "approved"),
    (ALLOCATION_TRANSITIONS, "draft", "cancel", "cancelled"),
    (ALLOCATION_TRANSITIONS, "approved", "recall_all", "recalled"),
    (DISBURSEMENT_TRANSITIONS, "pending", "approve", "approved"),
    (DISBURSEMENT_TRANSITIONS, "pending", "reject", "rejected"),
    (DISBURSEMENT_TRANSITIONS, "approved", "reverse", "reversed"),
]

REFUSED = [
    (ALLOCATION_TRANSITIONS, "draft", "recall_all"),
    (ALLOCATION_TRANSITIONS, "approved", "approve"),
    (ALLOCATION_TRANSITIONS, "approved", "cancel"),
    (ALLOCATION_TRANSITIONS, "cancelled", "approve"),
    (ALLOCATION_TRANSITIONS, "recalled", "recall_all"),
    (ALLOCATION_TRANSITIONS, "draft", "reverse"),
    (DISBURSEMENT_TRANSITIONS, "pending", "reverse"),
    (DISBURSEMENT_TRANSITIONS, "approved", "approve"),
    (DISBURSEMENT_TRANSITIONS, "approved", "reject"),
    (DISBURSEMENT_TRANSITIONS, "rejected", "approve"),
    (DISBURSEMENT_TRANSITIONS, "reversed", "reverse"),
    (DISBURSEMENT_TRANSITIONS, "pending", "cancel"),
]


@pytest.mark.parametrize(("transitions", "status", "action", "target"), ALLOWED)
def test_target_of_an_allowed_action(transitions, status, action, target):
    assert transitions.allowed(status, action)
    assert transitions.target(status, action) == target


@pytest.mark.parametrize(("transitions", "status", "action", "target"), ALLOWED)
def test_apply_moves_the_record(transitions, status, action, target):
    record = SimpleNamespace(status=status)
    assert transitions.apply(record, action) == target
    assert record.status == target


@pytest.mark.parametrize(("transitions", "status", "action"), REFUSED)
def test_a_refused_action_is_not_allowed(transitions, status, action):
    assert not transitions.allowed(status, action)


@pytest.mark.parametrize(("transitions", "status", "action"), REFUSED)
def test_target_of_a_refused_action_raises_with_details(transitions, status, action):
    with pytest.raises(InvalidTransition) as excinfo:
        transitions.target(status, action)
    error = excinfo.value
    assert error.details == {"status": status, "action": action}
    assert str(transitions.labels[status]) in error.message
    assert str(error) == error.message


@pytest.mark.parametrize(("transitions", "status", "action"), REFUSED)
def test_apply_of_a_refused_action_leaves_the_record_alone(transitions, status, action):
    record = SimpleNamespace(status=status)
    with pytest.raises(InvalidTransition):
        transitions.apply(record, action)
    assert record.status == status


def test_an_approved_allocation_cannot_be_approved_twice():
    record = SimpleNamespace(status="draft")
    ALLOCATION_TRANSITIONS.apply(record, "approve")
    with pytest.raises(InvalidTransition) as excinfo:
        ALLOCATION_TRANSITIONS.apply(record, "approve")
    assert excinfo.value.details == {"status": "approved", "action": "approve"}
    assert "已审批" in excinfo.value.message


@pytest.mark.parametrize(
    ("transitions", "final"),
    [
        (ALLOCATION_TRANSITIONS, "cancelled"),
        (ALLOCATION_TRANSITIONS, "recalled"),
        (DISBURSEMENT_TRANSITIONS, "rejected"),
        (DISBURSEMENT_TRANSITIONS, "reversed"),
    ],
)
def test_final_statuses_have_no_way_out(transitions, final):
    actions = {action for _, action in transitions.table}
    assert not any(transitions.allowed(final, action) for action in actions)


@pytest.mark.parametrize("transitions", [ALLOCATION_TRANSITIONS, DISBURSEMENT_TRANSITIONS])
def test_every_status_in_the_table_has_a_label(transitions):
    for (status, _), target in transitions.table.items():
        assert status in transitions.statuses
        assert target in transitions.statuses


def test_statuses_follow_the_labels():
    assert ALLOCATION_TRANSITIONS.statuses == ("draft", "approved", "cancelled", "recalled")
    assert DISBURSEMENT_TRANSITIONS.statuses == ("pending", "approved", "rejected", "reversed")


def test_an_unknown_status_is_named_as_is():
    with pytest.raises(InvalidTransition) as excinfo:
        DISBURSEMENT_TRANSITIONS.target("archived", "approve")
    assert "archived" in excinfo.value.message
    assert excinfo.value.details == {"status": "archived", "action": "approve"}


def test_invalid_transition_is_a_409_domain_error():
    assert issubclass(InvalidTransition, DomainError)
    assert InvalidTransition.status == 409
    assert InvalidTransition.code == "invalid_transition"


def test_a_custom_table():
    doors = Transitions(
        table={("closed", "open"): "open", ("open", "close"): "closed"},
        labels={"closed": "关", "open": "开"},
    )
    door = SimpleNamespace(status="closed")
    assert doors.apply(door, "open") == "open"
    assert doors.apply(door, "close") == "closed"
    with pytest.raises(InvalidTransition, match="关"):
        doors.apply(door, "close")
