"""The fixtures themselves: each test's writes vanish, and requests do not share ``g``."""

import pytest

from fundtrack.funds.models import FundKind


@pytest.mark.parametrize("attempt", [1, 2])
def test_writes_of_one_test_are_rolled_back_before_the_next(db_session, attempt):

    assert db_session.get(FundKind, "isolation_probe") is None
    db_session.add(FundKind(code="isolation_probe", name="probe"))
    db_session.commit()
    assert db_session.get(FundKind, "isolation_probe") is not None
