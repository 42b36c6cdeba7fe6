"""The rules at the operation level, beside the API and page tests that exercise them through
requests: the functions views, API, imports and commands all call, called directly (as the
CLI and the imports do), each refusal leaving the balances as they were."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from fundtrack.allocations import operations as allocations
from fundtrack.core.errors import InsufficientFunds, NotEarmarked, SameUserApproval
from fundtrack.core.versioning import acting_as
from fundtrack.disbursements import operations as disbursements
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.balances import region_balance

pytestmark = pytest.mark.usefixtures("app_ctx")


def _available(db_session, fund, region_code: str) -> int:
    return region_balance(db_session, fund, region_code).available_fen


def _draft(db_session, maker, fund, amount_fen: int):
    with acting_as(maker):
        return allocations.create_allocation(
            db_session,
            maker,
            fund=fund,
            from_region_code="430000",
            to_region_code="430400",
            amount_fen=amount_fen,
            document_no="湘计生协〔2017〕操作1号",
            reason="操作层测试",
        )


def test_an_allocation_beyond_what_the_giver_has_is_refused(db_session, user, fund):
    sjh = fund("2017-SJH")
    available = _available(db_session, sjh, "430000")
    with pytest.raises(InsufficientFunds):
        _draft(db_session, user("province_maker"), sjh, available + 1)
    db_session.rollback()
    assert _available(db_session, sjh, "430000") == available


def test_a_draft_reserves_its_money_and_only_another_person_approves_it(db_session, user, fund):
    sjh = fund("2017-SJH")
    giver, receiver = _available(db_session, sjh, "430000"), _available(db_session, sjh, "430400")
    maker, checker = user("province_maker"), user("province_checker")
    allocation = _draft(db_session, maker, sjh, 100_000)
    assert _available(db_session, sjh, "430000") == giver - 100_000
    assert _available(db_session, sjh, "430400") == receiver

    with pytest.raises(SameUserApproval), acting_as(maker):
        allocations.approve_allocation(db_session, maker, allocation, reason="自己审批")
    assert allocation.status == "draft"

    with acting_as(checker):
        allocations.approve_allocation(db_session, checker, allocation, reason="同意")
    assert allocation.status == "approved"
    assert allocation.approved_by_id == checker.id
    assert _available(db_session, sjh, "430400") == receiver + 100_000


def test_a_payment_outside_the_earmark_is_refused(db_session, user, fund):
    sjh, maker = fund("2017-SJH"), user("leiyang_finance")
    available = _available(db_session, sjh, "430481")
    with pytest.raises(NotEarmarked), acting_as(maker):
        disbursements.create_disbursement(
            db_session,
            maker,
            fund=sjh,
            region_code="430481",
            category_code="insurance_premium",
            amount_fen=10_000,
            paid_on=date(2017, 10, 9),
            payee_name="耒阳市某合作社",
            voucher_no="耒-操作-1",
        )
    db_session.rollback()
    assert _available(db_session, sjh, "430481") == available


def test_a_reversal_moves_no_money_until_a_second_person_approves_it(db_session, user, fund):
    sjh = fund("2017-SJH")
    payment = db_session.scalar(
        sa.select(Disbursement)
        .where(
            Disbursement.fund_id == sjh.id,
            Disbursement.region_code == "430481",
            Disbursement.status == "approved",
            Disbursement.reverses_id.is_(None),
        )
        .order_by(Disbursement.id)
        .limit(1)
    )
    assert payment is not None, "the demo has approved payments at 耒阳市"
    available = _available(db_session, sjh, "430481")
    proposer, second = user("leiyang_checker"), user("hengyang_checker")

    with acting_as(proposer):
        compensation = disbursements.propose_reversal(
            db_session, proposer, payment, "凭证重复录入", payment.paid_on
        )
    assert compensation.status == "pending"
    assert compensation.amount_fen == -payment.amount_fen
    assert _available(db_session, sjh, "430481") == available

    with pytest.raises(SameUserApproval), acting_as(proposer):
        disbursements.approve_disbursement(db_session, proposer, compensation)
    assert _available(db_session, sjh, "430481") == available

    with acting_as(second):
        disbursements.approve_disbursement(db_session, second, compensation, reason="同意冲销")
    assert payment.status == "reversed"
    assert _available(db_session, sjh, "430481") == available + payment.amount_fen
