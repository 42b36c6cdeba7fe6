"""No money moves by one person alone: the walk over ``fundtrack.movements.MONEY_MOVEMENTS``
and the flush guard under it.

The walk proposes every listed movement through the API, lets its proposer try to decide it
(``same_user_approval``, nothing changed) and then a second person (it takes effect, with
that person's own words in the history). A movement added to the list without a scenario
here, a model that feeds a balance without being a listed movement, or a model with money
columns that declares no two-person rule, fails a test below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.allocations.operations import create_allocation, create_recall
from fundtrack.beneficiaries.models import Publicity
from fundtrack.beneficiaries.operations import record_objection, register_beneficiary
from fundtrack.core.controls import TwoPerson, two_person_rules
from fundtrack.core.errors import InvalidTransition, SameUserApproval, SecondPersonRequired
from fundtrack.core.versioning import acting_as
from fundtrack.disbursements.operations import create_disbursement
from fundtrack.extensions import db
from fundtrack.funds.models import FundCarryOver
from fundtrack.funds.operations import create_fund
from fundtrack.funds.year_end import propose_year_end
from fundtrack.ledger.postings import RULES as POSTING_RULES
from fundtrack.movements import MONEY_MOVEMENTS, movement
from tests.helpers import allocation_payload, disbursement_payload, id_number

OPINION = "同意，按文件执行"


@dataclass
class Proposal:
    """A movement proposed through the API, waiting for its decision."""

    fund_id: int
    proposer: object
    decider: object
    #: the request that proposed it, as the registry spells routes
    proposed_with: str
    decide_path: str
    history_path: str


def _approved_payment(api, fund_id):
    items = api("auditor").get(f"/api/v1/disbursements?fund_id={fund_id}&status=approved")
    return next(
        d for d in items.get_json()["items"] if float(d["amount"]) > 0 and d["region"] == "430481"
    )


def _approved_allocation(api, fund_id):
    items = api("auditor").get(f"/api/v1/allocations?fund_id={fund_id}&status=approved")
    return next(a for a in items.get_json()["items"] if a["from_region"] == "430000")


def _proposed(api, proposer, decider, route, body, fund, decide, history, proposal_id=None):
    """Send the proposal ``route`` (``{id}`` filled with ``proposal_id``) as ``proposer``;
    ``decide`` and ``history`` are paths with ``{id}``, the proposal's id."""
    path = route.split(" ", 1)[1]
    response = api(proposer).post(path.format(id=proposal_id), json=body)
    assert response.status_code == 201, response.get_json()
    new_id = response.get_json()["id"]
    return Proposal(
        fund if fund is not None else new_id,
        api(proposer),
        api(decider),
        route,
        decide.format(id=new_id),
        history.format(id=new_id),
    )


def _fund_budget(api, fund_id):
    body = {"code": "2018-TWO", "name": "两人经办测试资金", "kind": "other",
            "fiscal_year": 2018, "region": "430000", "budget": "1000.00",
            "earmarked_categories": ["hardship_relief"]}  # fmt: skip
    return _proposed(api, "province_maker", "province_checker", "POST /api/v1/funds", body,
                     None, "/api/v1/funds/{id}/approve", "/api/v1/history/funds/{id}")  # fmt: skip


def _allocation(api, fund_id):
    sjh = fund_id("2017-SJH")
    return _proposed(api, "province_maker", "province_checker", "POST /api/v1/allocations",
                     allocation_payload(sjh), sjh, "/api/v1/allocations/{id}/approve",
                     "/api/v1/history/allocations/{id}")  # fmt: skip


def _recall(api, fund_id):
    sjh = fund_id("2017-SJH")
    return _proposed(api, "province_maker", "province_checker",
                     "POST /api/v1/allocations/{id}/recall",
                     {"amount": "1.00", "reason": "收回结余"}, sjh, "/api/v1/recalls/{id}/approve",
                     "/api/v1/history/recalls/{id}",
                     proposal_id=_approved_allocation(api, sjh)["id"])  # fmt: skip


def _payment(api, fund_id):
    sjh = fund_id("2017-SJH")
    return _proposed(api, "leiyang_finance", "leiyang_checker", "POST /api/v1/disbursements",
                     disbursement_payload(sjh), sjh, "/api/v1/disbursements/{id}/approve",
                     "/api/v1/history/disbursements/{id}")  # fmt: skip


def _reversal(api, fund_id):
    # proposed by a checker, who could approve anybody else's: still not their own
    sjh = fund_id("2017-SJH")
    payment = _approved_payment(api, sjh)
    body = {"reason": "收款人账号有误，退回重付", "reversed_on": payment["paid_on"]}
    return _proposed(api, "leiyang_checker", "hengyang_checker",
                     "POST /api/v1/disbursements/{id}/reverse", body, sjh,
                     "/api/v1/disbursements/{id}/approve", "/api/v1/history/disbursements/{id}",
                     proposal_id=payment["id"])  # fmt: skip


def _year_end(api, fund_id):
    dktx = fund_id("2018-DKTX")
    return _proposed(api, "province_maker", "province_checker", "POST /api/v1/funds/{id}/close",
                     {"reason": "2018年度结算"}, dktx, "/api/v1/year-end-closes/{id}/approve",
                     "/api/v1/history/year-end-closes/{id}", proposal_id=dktx)  # fmt: skip


#: how each listed movement is proposed through the API
SCENARIOS = {
    "fund_budget": _fund_budget,
    "allocation": _allocation,
    "recall": _recall,
    "payment": _payment,
    "reversal": _reversal,
    "year_end": _year_end,
}


def _state(api, proposal):
    """Every balance of the fund and the decided record's own history, as the auditor reads
    them."""
    auditor = api("auditor")
    balances = auditor.get(f"/api/v1/funds/{proposal.fund_id}/balances").get_json()
    history = auditor.get(proposal.history_path).get_json()
    return balances, history


def test_every_listed_movement_has_a_scenario():
    assert set(SCENARIOS) == {m.name for m in MONEY_MOVEMENTS}


@pytest.mark.parametrize("name", [m.name for m in MONEY_MOVEMENTS])
def test_no_movement_is_decided_by_its_proposer(name, api, fund_id):
    proposal = SCENARIOS[name](api, fund_id)
    assert proposal.proposed_with == movement(name).propose_route
    before = _state(api, proposal)

    refused = proposal.proposer.post(proposal.decide_path, json={"reason": OPINION})
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["error"]["code"] == "same_user_approval"
    assert _state(api, proposal) == before  # no balance moved, no history written

    decided = proposal.decider.post(proposal.decide_path, json={"reason": OPINION})
    assert decided.status_code == 200, decided.get_json()
    last = api("auditor").get(proposal.history_path).get_json()["items"][-1]
    assert last["reason"] == OPINION  # the approver's own words, exactly
    assert last["action"]  # beside the program's sentence
    assert last["user"]["username"] != before[1]["items"][0]["user"]["username"]


def test_every_decide_route_is_served(app):
    rules = {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    for m in MONEY_MOVEMENTS:
        for route in (m.propose_route, m.decide_route):
            method, path = route.split(" ", 1)
            pattern = path.replace("{id}", "<int:{}>")
            assert any(
                r.startswith(method + " ") and _same_shape(r.split(" ", 1)[1], pattern)
                for r in rules
            ), route


def _same_shape(rule: str, pattern: str) -> bool:
    """``/api/v1/funds/<int:fund_id>/approve`` has the shape ``/api/v1/funds/<int:{}>/approve``."""
    parts, wanted = rule.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        a == b or (b == "<int:{}>" and a.startswith("<int:"))
        for a, b in zip(parts, wanted, strict=True)
    )


# --- the flush guard: whatever writes the row, one person cannot make it effective ----------


def _models_with_rules():

    return {
        mapper.class_ for mapper in db.Model.registry.mappers if two_person_rules(mapper.class_)
    }


#: models with money columns that are not balances, and why
NOT_MONEY_MOVEMENTS = {
    "BudgetLine": "a planning total that funds itemise; it moves no money by itself",
    "BenefitRule": "a rate per day or per year, not an amount of anybody's money",
    "EvaluationDeclaredUse": "what a county reports it spent, in its evaluation; moves nothing",
    "FundBalance": "the balances kept from the movements (ledger.postings), never written "
    "by an operation",
    "PublicityEntry": "an amount proposed on a 公示 for objections; it pays nothing",
}

#: records that move no money but take effect only with a second person's decision too:
#: a registration or exit of the register, an objection's decision
REVIEWED_RECORDS = {"Beneficiary", "Objection"}


def test_every_model_with_money_declares_two_people_and_is_a_listed_movement():

    listed = {model for m in MONEY_MOVEMENTS for model in m.models}
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if model.__name__.endswith("Version") or model.__name__ in NOT_MONEY_MOVEMENTS:
            continue
        money = [c.name for c in model.__table__.columns if c.name.endswith("_fen")]
        if money:
            assert isinstance(getattr(model, "__two_person__", None), TwoPerson), model
            assert model in listed, model
    reviewed = {m for m in _models_with_rules() if m.__name__ in REVIEWED_RECORDS}
    assert _models_with_rules() - reviewed <= listed


def test_every_movement_posts_to_the_kept_balances():
    """A model that moves money without a posting rule would leave the kept balances (which
    the pages and the balance checks read) behind its records."""
    amounts = {
        model
        for m in MONEY_MOVEMENTS
        for model in m.models
        if any(c.name.endswith("_fen") for c in model.__table__.columns)
    }
    assert len(amounts) >= 5
    assert amounts <= set(POSTING_RULES), amounts - set(POSTING_RULES)


def _draft_fund(session, user):

    return create_fund(
        session,
        user("province_maker"),
        code="2018-GUARD",
        name="守卫测试资金",
        kind_code="other",
        fiscal_year=2018,
        region_code="430000",
        budget_fen=100_00,
        earmarked_categories=["hardship_relief"],
    )


def _draft_allocation(session, user, fund):

    return create_allocation(
        session,
        user("province_maker"),
        fund=fund("2017-SJH"),
        from_region_code="430000",
        to_region_code="430400",
        amount_fen=100,
        document_no="湘计生协〔2017〕守卫1号",
    )


def _draft_recall(session, user, fund):

    allocation = session.scalar(
        sa.select(Allocation).where(
            Allocation.fund_id == fund("2017-SJH").id,
            Allocation.status == "approved",
            Allocation.from_region_code == "430000",
        )
    )
    return create_recall(session, user("province_maker"), allocation, amount_fen=100, reason="测")


def _pending_payment(session, user, fund):

    return create_disbursement(
        session,
        user("leiyang_finance"),
        fund=fund("2017-SJH"),
        region_code="430481",
        category_code="project_support",
        amount_fen=100,
        paid_on=date(2017, 10, 9),
        payee_name="耒阳市某合作社",
        project_name="守卫测试",
        voucher_no="守卫-1",
    )


def _proposed_close(session, user, fund):

    return propose_year_end(session, user("province_maker"), fund("2018-DKTX"), "测")


def _carry_over(session, user, fund):

    row = FundCarryOver(
        from_fund_id=fund("2017-SJH").id,
        to_fund_id=fund("2018-SJH").id,
        region_code="430000",
        amount_fen=100,
        reason="测",
        created_by_id=user("province_maker").id,
    )
    session.add(row)
    return row


#: a row of each guarded model that is not effective yet (or, for a carry-over, not written)
NOT_YET_EFFECTIVE = {
    "Fund": lambda session, user, fund: _draft_fund(session, user),
    "Allocation": _draft_allocation,
    "AllocationRecall": _draft_recall,
    "Disbursement": _pending_payment,
    "YearEndClose": _proposed_close,
    "FundCarryOver": _carry_over,
    "Beneficiary": lambda session, user, fund: _pending_registration(session, user),
    "Objection": lambda session, user, fund: _open_objection(session, user),
}


def _pending_registration(session, user):
    return register_beneficiary(
        session, user("leiyang_finance"), region_code="430481", name="守卫测试",
        id_number=id_number(990), family_type="special",
    )  # fmt: skip


def _open_objection(session, user):
    publicity = session.scalar(sa.select(Publicity).where(Publicity.status == "running"))
    return record_objection(
        session, user("leiyang_finance"), publicity, reporter="匿名", content="守卫测试",
        received_on=publicity.start_on, today=publicity.start_on,
    )  # fmt: skip


def test_every_guarded_model_is_tried_below():
    assert {m.__name__ for m in _models_with_rules()} == set(NOT_YET_EFFECTIVE)


def _make_effective(row, decider_id):
    rule = two_person_rules(type(row))[0]
    if rule.effective is not None:
        setattr(row, rule.status, rule.effective[0])
    setattr(row, rule.decider, decider_id)


@pytest.mark.parametrize("model", sorted(NOT_YET_EFFECTIVE))
def test_the_flush_refuses_a_movement_its_proposer_decides(model, app_ctx, db_session, user, fund):
    row = NOT_YET_EFFECTIVE[model](db_session, user, fund)
    rule = two_person_rules(type(row))[0]
    _make_effective(row, getattr(row, rule.proposer))
    with pytest.raises(SameUserApproval):
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize("model", sorted(NOT_YET_EFFECTIVE))
def test_the_flush_refuses_a_movement_nobody_decides(model, app_ctx, db_session, user, fund):
    row = NOT_YET_EFFECTIVE[model](db_session, user, fund)
    _make_effective(row, None)
    with pytest.raises(SecondPersonRequired):
        db_session.flush()
    db_session.rollback()


def test_the_flush_refuses_to_edit_a_moved_amount(app_ctx, db_session, fund):

    allocation = db_session.scalar(
        sa.select(Allocation).where(
            Allocation.fund_id == fund("2017-SJH").id, Allocation.status == "approved"
        )
    )
    allocation.amount_fen += 100
    with pytest.raises(InvalidTransition):
        db_session.flush()
    db_session.rollback()


def test_an_operation_cannot_name_somebody_else_as_the_approver(app_ctx, db_session, user, fund):

    row = _pending_payment(db_session, user, fund)
    db_session.flush()
    with acting_as(user("leiyang_finance")):
        _make_effective(row, user("leiyang_checker").id)
        with pytest.raises(SecondPersonRequired):
            db_session.flush()
    db_session.rollback()
