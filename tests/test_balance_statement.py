"""The balances (``funds_balances``: the kept rows now, the one-statement ``UNION ALL``
aggregate for past moments) give exactly the figures of the four grouped queries the
aggregate replaced, on random data with every status of every kind of row, now and as of
past moments, for the whole province and for one region.

The random rows follow no business rule but the schema's, and the schema now refuses a
balance below zero: they move money of funds whose every region was first given far more
than all of them together can take.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.core.models import utcnow
from fundtrack.core.versioning import set_reason
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.models import Fund, FundCarryOver, FundEarmark
from fundtrack.ledger.balances import (
    DISBURSED_STATUSES,
    OUTGOING_STATUSES,
    RECEIVED_STATUSES,
    SPENT_STATUSES,
    Balance,
    _tables,
    funds_balances,
    funds_budget_fen,
    region_balance,
)
from fundtrack.regions.models import Region
from fundtrack.regions.operations import ancestors, subtree_codes
from fundtrack.users.models import User


def _reference(session, funds, as_of=None, region_code=None):
    """The previous implementation (four grouped queries, five with ``as_of``), kept verbatim
    in substance as the oracle."""
    funds = list(funds)
    result = {fund.id: {} for fund in funds}
    ids = list(result)
    allocations, recalls, disbursements, carry_overs = _tables(as_of)

    def at(fund_id, code):
        return result[fund_id].setdefault(code, Balance(code))

    budgets = funds_budget_fen(session, funds, as_of)
    for fund in funds:
        if budgets[fund.id]:
            at(fund.id, fund.region_code).received_fen += budgets[fund.id]
    a = allocations.c
    touching = (
        [sa.or_(a.from_region_code == region_code, a.to_region_code == region_code)]
        if region_code
        else []
    )
    rows = session.execute(
        sa.select(
            a.fund_id,
            a.from_region_code,
            a.to_region_code,
            sa.func.sum(sa.case((a.status.in_(RECEIVED_STATUSES), a.amount_fen), else_=0)),
            sa.func.sum(sa.case((a.status.in_(OUTGOING_STATUSES), a.amount_fen), else_=0)),
        )
        .where(a.fund_id.in_(ids), *touching)
        .group_by(a.fund_id, a.from_region_code, a.to_region_code)
    )
    for fund_id, giver, receiver, received, outgoing in rows:
        at(fund_id, receiver).received_fen += int(received or 0)
        at(fund_id, giver).allocated_out_fen += int(outgoing or 0)
    r = recalls.c
    rows = session.execute(
        sa.select(
            a.fund_id,
            a.from_region_code,
            a.to_region_code,
            sa.func.sum(sa.case((r.status == "approved", r.amount_fen), else_=0)),
            sa.func.sum(sa.case((r.status == "draft", r.amount_fen), else_=0)),
        )
        .join(allocations, r.allocation_id == a.id)
        .where(a.fund_id.in_(ids), *touching)
        .group_by(a.fund_id, a.from_region_code, a.to_region_code)
    )
    for fund_id, giver, receiver, approved, draft in rows:
        at(fund_id, giver).allocated_out_fen -= int(approved or 0)
        at(fund_id, receiver).received_fen -= int(approved or 0)
        at(fund_id, receiver).allocated_out_fen += int(draft or 0)
    c = carry_overs.c
    rows = session.execute(
        sa.select(c.from_fund_id, c.to_fund_id, c.region_code, sa.func.sum(c.amount_fen))
        .where(
            sa.or_(c.from_fund_id.in_(ids), c.to_fund_id.in_(ids)),
            *([c.region_code == region_code] if region_code else []),
        )
        .group_by(c.from_fund_id, c.to_fund_id, c.region_code)
    )
    for from_fund_id, to_fund_id, code, amount in rows:
        if from_fund_id in result:
            at(from_fund_id, code).carried_over_fen += int(amount or 0)
        if to_fund_id in result:
            at(to_fund_id, code).received_fen += int(amount or 0)
    d = disbursements.c
    spent_own = defaultdict(int)
    rows = session.execute(
        sa.select(
            d.fund_id,
            d.region_code,
            sa.func.sum(sa.case((d.status.in_(DISBURSED_STATUSES), d.amount_fen), else_=0)),
            sa.func.sum(sa.case((d.status.in_(SPENT_STATUSES), d.amount_fen), else_=0)),
        )
        .where(
            d.fund_id.in_(ids),
            *([d.region_code.in_(subtree_codes(session, region_code))] if region_code else []),
        )
        .group_by(d.fund_id, d.region_code)
    )
    for fund_id, code, disbursed, spent in rows:
        at(fund_id, code).disbursed_fen += int(disbursed or 0)
        spent_own[fund_id, code] += int(spent or 0)
    for (fund_id, code), spent in spent_own.items():
        balances = result[fund_id]
        at(fund_id, code).spent_fen += spent
        for above in ancestors(session, code):
            if above in balances:
                balances[above].spent_fen += spent
    return result


def _random_rows(session, rng: random.Random, funds, regions, user_id, checker_id, serial):
    """Allocations, recalls, payments (reversals among them) and carry-overs of every
    status, between random regions of random funds: no business rule, only the schema's and
    its two people (every row names a proposer and another approver)."""
    allocations = []
    for _ in range(40):
        giver, receiver = rng.sample(regions, 2)
        allocation = Allocation(
            fund_id=rng.choice(funds).id,
            from_region_code=giver,
            to_region_code=receiver,
            amount_fen=rng.randint(1, 10**8),
            document_no=f"随机〔2017〕{next(serial)}号",
            status=rng.choice(["draft", "approved", "cancelled", "recalled"]),
            created_by_id=user_id,
            approved_by_id=checker_id,
        )
        session.add(allocation)
        allocations.append(allocation)
    session.flush()
    for _ in range(15):
        session.add(
            AllocationRecall(
                allocation_id=rng.choice(allocations).id,
                amount_fen=rng.randint(1, 10**6),
                reason="随机收回",
                status=rng.choice(["draft", "approved", "cancelled"]),
                created_by_id=user_id,
                approved_by_id=checker_id,
            )
        )
    payments = []
    for _ in range(60):
        fund = rng.choice(funds)
        payment = Disbursement(
            fund_id=fund.id,
            region_code=rng.choice(regions),
            category_code=rng.choice(fund.earmarked_codes),
            amount_fen=rng.randint(1, 10**7),
            paid_on=date(2017, 6, 30),
            payee_name="随机收款人",
            voucher_no=f"随机-{next(serial)}",
            status=rng.choice(["pending", "approved", "rejected", "reversed"]),
            created_by_id=user_id,
            approved_by_id=checker_id,
        )
        session.add(payment)
        payments.append(payment)
    session.flush()
    for payment in rng.sample([p for p in payments if p.status == "reversed"], k=1):
        session.add(
            Disbursement(
                fund_id=payment.fund_id,
                region_code=payment.region_code,
                category_code=payment.category_code,
                amount_fen=-payment.amount_fen,
                paid_on=payment.paid_on,
                payee_name=payment.payee_name,
                voucher_no=f"冲销-{next(serial)}",
                reverses_id=payment.id,
                status="approved",
                created_by_id=user_id,
                approved_by_id=checker_id,
            )
        )
    for _ in range(5):
        source, target = rng.sample(funds, 2)
        session.add(
            FundCarryOver(
                from_fund_id=source.id,
                to_fund_id=target.id,
                region_code=rng.choice(regions),
                amount_fen=rng.randint(1, 10**6),
                reason="随机结转",
                created_by_id=user_id,
                approved_by_id=checker_id,
            )
        )


def _well_funded(session, model: Fund, regions, user_id, checker_id, serial) -> list[Fund]:
    """Three approved funds of ``model``'s kind whose every region received 100 million
    yuan: more than the random rows can ever take out of one region."""
    funds = []
    for n in range(3):
        fund = Fund(
            code=f"2017-RANDOM-{n}",
            name=f"随机余额测试资金{n}",
            kind_code=model.kind_code,
            fiscal_year=2017,
            region_code="430000",
            budget_fen=10**13,
            status="active",
            created_by_id=user_id,
            approved_by_id=checker_id,
            earmarks=[FundEarmark(category_code=code) for code in model.earmarked_codes],
        )
        session.add(fund)
        funds.append(fund)
    session.flush()
    for fund in funds:
        for code in regions:
            if code != fund.region_code:
                session.add(
                    Allocation(
                        fund_id=fund.id,
                        from_region_code=fund.region_code,
                        to_region_code=code,
                        amount_fen=10**10,
                        document_no=f"随机〔2017〕{next(serial)}号",
                        status="approved",
                        created_by_id=user_id,
                        approved_by_id=checker_id,
                    )
                )
    session.flush()
    return funds


def test_single_statement_equals_the_four_queries_on_random_data(app_ctx, db_session):

    rng = random.Random(20261129)
    serial = itertools.count(1)
    funds = db_session.scalars(sa.select(Fund).order_by(Fund.id)).all()
    assert len(funds) >= 2
    regions = db_session.scalars(sa.select(Region.code).order_by(Region.code)).all()
    user_id = db_session.scalar(sa.select(User.id).where(User.username == "province_maker"))
    checker_id = db_session.scalar(sa.select(User.id).where(User.username == "province_checker"))
    moving = _well_funded(db_session, funds[0], regions, user_id, checker_id, serial)
    funds.extend(moving)
    # a fund proposed before the first moment and approved after it: its budget counts from
    # its approval on (an approved budget is never edited)
    proposed = Fund(
        code="2017-RANDOM",
        name="随机余额测试资金",
        kind_code=funds[0].kind_code,
        fiscal_year=2017,
        region_code="430000",
        budget_fen=12345,
        status="draft",
        created_by_id=user_id,
        earmarks=[FundEarmark(category_code=code) for code in funds[0].earmarked_codes],
    )
    db_session.add(proposed)
    db_session.flush()
    funds.append(proposed)
    moments = [datetime(2000, 1, 1)]
    for round_ in range(3):
        set_reason(db_session, f"随机余额测试第{round_ + 1}轮")
        _random_rows(db_session, rng, moving, regions, user_id, checker_id, serial)
        if round_ == 1:
            proposed.status, proposed.approved_by_id = "active", checker_id
        db_session.commit()
        moments.append(utcnow() + timedelta(microseconds=1))
    moments.append(None)

    for as_of in moments:
        expected = _reference(db_session, funds, as_of)
        together = funds_balances(db_session, funds, as_of)
        assert list(together) == [f.id for f in funds]
        for fund in funds:
            assert together[fund.id] == expected[fund.id], (fund.code, as_of)
    checked = 0
    for fund in funds:
        whole = funds_balances(db_session, [fund])[fund.id]
        # the first regions in code order (the province first) and a random sample of the
        # rest: checking all 137 regions of every fund takes minutes
        for code in {"430000", *regions[:15], *rng.sample(regions, 10)}:
            alone = _reference(db_session, [fund], region_code=code)[fund.id]
            single = region_balance(db_session, fund, code)
            assert single == alone.get(code, Balance(code)), (fund.code, code)
            assert single == whole.get(code, Balance(code)), (fund.code, code)
            checked += 1
    assert checked > 50
