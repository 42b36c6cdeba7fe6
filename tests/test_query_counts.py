"""No N+1: the main pages and API lists send as many SQL statements with more data as without.

Every page and endpoint of ``CASES`` is measured (statements counted with a
``before_cursor_execute`` listener, see ``tests/query_count.py``), then the data grows (more
funds, allocations to more regions, recalls, payments, evaluations and versions, all through the
API as the users would make them), and every one is measured again: the counts must be equal, and
no higher than the ceilings pinned in ``CASES``. A failure names the page and the statements that
ran more often, so a new N+1 shows where it is.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from fundtrack.funds.models import Fund
from fundtrack.ledger.balances import fund_balances, funds_balances
from tests.conftest import DEMO_PASSWORD, ApiClient, csrf_token
from tests.query_count import CountedQueries, count_queries

#: prefectures that receive money of the growing funds, a new one each time
PREFECTURES = ["430100", "430200", "430300", "430500", "430600", "430700", "430800",
               "430900", "431000", "431100", "431200", "431300", "433100"]  # fmt: skip
#: counties of 衡阳市 (besides 耒阳市) that receive money from it, a new one each time
HENGYANG_COUNTIES = ["430421", "430422", "430423", "430424", "430426", "430482", "430405",
                     "430406", "430407", "430408", "430412"]  # fmt: skip
HENGYANG, LEIYANG = "430400", "430481"
#: what the growing funds may pay for (the payments use the first two)
EARMARKABLE = ["project_support", "loan_interest_subsidy", "hardship_relief",
               "insurance_premium", "hospital_allowance", "nursing_subsidy",
               "special_family_support", "skills_training"]  # fmt: skip


class World:
    """Data that grows round by round, made through the API by the demo users."""

    def __init__(self, app):
        self._app = app
        self._client = app.test_client()  # its own: its API calls carry no page cookie
        self._clients: dict = {}
        self._serial = itertools.count(1)
        self._prefectures = iter(PREFECTURES)
        self._counties = iter(HENGYANG_COUNTIES)
        self.funds: list[int] = []
        self.evaluations: list[int] = []
        self.allocations: list[int] = []
        self.disbursements: list[int] = []
        self.recalls: list[int] = []
        self._pages: dict = {}

    def as_(self, username: str):
        if username not in self._clients:
            response = self._client.post(
                "/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD}
            )
            token = self.ok(response)["token"]
            self._clients[username] = ApiClient(self._client, token)
        return self._clients[username]

    def page(self, username: str):
        """A GET function for pages, logged in through the login form as ``username``."""
        if username not in self._pages:
            client = self._app.test_client()
            form = client.get("/login").get_data(as_text=True)
            response = client.post(
                "/login",
                data={
                    "csrf_token": csrf_token(form),
                    "username": username,
                    "password": DEMO_PASSWORD,
                },
            )
            assert response.status_code == 302, username
            self._pages[username] = client.get
        return self._pages[username]

    def ok(self, response, status=(200, 201)):
        assert response.status_code in status, response.get_json()
        return response.get_json()

    def new_fund(self) -> int:
        n = next(self._serial)
        fund = self.ok(
            self.as_("province_maker").post(
                "/api/v1/funds",
                json={
                    "code": f"QC-{n}",
                    "name": f"查询计数测试资金{n}",
                    "kind": "other",
                    "fiscal_year": 2017,
                    "budget": "1000000.00",
                    # later funds have longer earmarks: the fund page lists them
                    "earmarked_categories": EARMARKABLE[: 2 + len(self.funds)],
                },
            )
        )
        self.ok(self.as_("province_checker").post(f"/api/v1/funds/{fund['id']}/approve", json={}))
        self.funds.append(fund["id"])
        return fund["id"]

    def allocate(self, fund_id: int, giver: str, receiver: str, amount: str) -> int:
        maker, checker = {
            "430000": ("province_maker", "province_checker"),
            HENGYANG: ("hengyang_finance", "hengyang_checker"),
        }[giver]
        n = next(self._serial)
        allocation = self.ok(
            self.as_(maker).post(
                "/api/v1/allocations",
                json={
                    "fund_id": fund_id,
                    "to_region": receiver,
                    "amount": amount,
                    "document_no": f"查询计数〔2017〕{n}号",
                },
            )
        )
        self.ok(self.as_(checker).post(f"/api/v1/allocations/{allocation['id']}/approve", json={}))
        self.allocations.append(allocation["id"])
        return allocation["id"]

    def recall(self, allocation_id: int, amount: str) -> int:
        recall = self.ok(
            self.as_("province_maker").post(
                f"/api/v1/allocations/{allocation_id}/recall",
                json={"amount": amount, "reason": "查询计数测试收回"},
            )
        )
        self.ok(
            self.as_("province_checker").post(f"/api/v1/recalls/{recall['id']}/approve", json={})
        )
        self.recalls.append(recall["id"])
        return recall["id"]

    def disburse(self, fund_id: int, category: str, approve: bool) -> int:
        n = next(self._serial)
        disbursement = self.ok(
            self.as_("leiyang_finance").post(
                "/api/v1/disbursements",
                json={
                    "fund_id": fund_id,
                    "category": category,
                    "amount": "1000.00",
                    "paid_on": "2017-11-20",
                    "payee_name": f"计数测试户{n}",
                    "voucher_no": f"计数-{n}",
                },
            )
        )
        if approve:
            self.ok(
                self.as_("leiyang_checker").post(
                    f"/api/v1/disbursements/{disbursement['id']}/approve", json={}
                )
            )
        self.disbursements.append(disbursement["id"])
        return disbursement["id"]

    def open_evaluation(self, username: str, fund_id: int) -> int:
        evaluation = self.ok(
            self.as_(username).post("/api/v1/evaluations", json={"fund_id": fund_id})
        )
        self.evaluations.append(evaluation["id"])
        return evaluation["id"]

    def revise_evaluation(self, evaluation_id: int) -> None:
        """A new version of the evaluation and of one of its lines."""
        client = self.as_("leiyang_finance")
        current = self.ok(client.get(f"/api/v1/evaluations/{evaluation_id}"))
        n = next(self._serial)
        indicators = current["indicators"]
        if indicators:
            indicators[0]["actual"] = str(n)
        self.ok(
            client.put(
                f"/api/v1/evaluations/{evaluation_id}",
                json={"summary": f"第{n}次修改", "indicators": indicators},
            )
        )

    def grow(self) -> None:
        """One round: two new funds; every fund reaches two more prefectures (one of them
        gives part back) and one more county of 衡阳市; 耒阳市 pays from every fund and opens
        the evaluation of one new fund (the other stays to be filed); the first evaluation
        gets a new version and the first allocation one more recall."""
        first = self.new_fund()
        self.new_fund()  # received by 耒阳市 without an evaluation: on its list to file
        for fund_id in self.funds:
            first_prefecture = self.allocate(fund_id, "430000", next(self._prefectures), "10000.00")
            self.allocate(fund_id, "430000", next(self._prefectures), "10000.00")
            self.recall(first_prefecture, "1000.00")
            self.allocate(fund_id, "430000", HENGYANG, "100000.00")
            self.allocate(fund_id, HENGYANG, LEIYANG, "20000.00")
            self.allocate(fund_id, HENGYANG, next(self._counties), "10000.00")
            self.disburse(fund_id, "project_support", approve=True)
            self.disburse(fund_id, "loan_interest_subsidy", approve=False)
        self.open_evaluation("leiyang_finance", first)
        self.open_evaluation("hengyang_finance", first)
        self.revise_evaluation(self.evaluations[0])
        self.recall(self.allocations[0], "1000.00")  # one more recall linked from its history


@dataclass(frozen=True)
class Case:
    label: str
    username: str
    #: a page (logged in through the form) or else an API endpoint (bearer token)
    page: bool
    url: Callable[[World], str]
    #: the statements measured when this test was written (SQLite and PostgreSQL alike):
    #: more is a regression even when constant; raise it only for a good reason
    ceiling: int


def _fund(world: World) -> str:
    return str(world.funds[0])


CASES = [
    # pages
    # overdue evaluations: the (fund, region) pairs, then their funds and regions once each
    # (+2: thousands of pairs no longer load thousands of ORM rows)
    Case("home page, province", "province_maker", True, lambda w: "/", 14),
    Case("home page, prefecture", "hengyang_finance", True, lambda w: "/", 13),
    Case("home page, county", "leiyang_finance", True, lambda w: "/", 13),
    # a fund's page: + its decision trail and its year-end close (one statement each)
    # the kept balance rows, then the allocation edges of the money-flow chart (one each)
    Case("fund page, auditor", "auditor", True, lambda w: f"/funds/{_fund(w)}", 13),
    Case("fund page, prefecture", "hengyang_finance", True, lambda w: f"/funds/{_fund(w)}", 14),
    Case("newest fund's page", "auditor", True, lambda w: f"/funds/{w.funds[-1]}", 13),
    Case(
        "fund page as of, auditor",
        "auditor",
        True,
        lambda w: f"/funds/{_fund(w)}?as_of=2100-01-01",
        12,
    ),
    Case("allocation list page, province", "province_checker", True, lambda w: "/allocations/", 9),
    Case(
        "allocation list page, prefecture", "hengyang_checker", True, lambda w: "/allocations/", 9
    ),
    Case(
        "disbursement list page, province",
        "province_checker",
        True,
        lambda w: "/disbursements/",
        10,
    ),
    Case("disbursement list page, county", "leiyang_checker", True, lambda w: "/disbursements/", 9),
    Case("evaluation list page, province", "province_checker", True, lambda w: "/evaluations/", 13),
    Case("evaluation list page, county", "leiyang_finance", True, lambda w: "/evaluations/", 15),
    Case("history page of a fund", "auditor", True, lambda w: f"/history/funds/{_fund(w)}", 12),
    Case(
        "history page of an allocation",
        "auditor",
        True,
        lambda w: f"/history/allocations/{w.allocations[0]}",
        13,
    ),
    Case(
        "history page of an evaluation",
        "auditor",
        True,
        lambda w: f"/history/evaluations/{w.evaluations[0]}",
        14,
    ),
    # API
    Case("funds API, province", "province_maker", False, lambda w: "/api/v1/funds", 7),
    Case("funds API, prefecture", "hengyang_finance", False, lambda w: "/api/v1/funds", 7),
    Case(
        "balances API, auditor",
        "auditor",
        False,
        lambda w: f"/api/v1/funds/{_fund(w)}/balances",
        8,
    ),
    Case(
        "balances API, prefecture",
        "hengyang_finance",
        False,
        lambda w: f"/api/v1/funds/{_fund(w)}/balances",
        9,
    ),
    Case(
        "balances API as of, auditor",
        "auditor",
        False,
        lambda w: f"/api/v1/funds/{_fund(w)}/balances?as_of=2100-01-01",
        8,
    ),
    Case(
        "allocations API, province", "province_checker", False, lambda w: "/api/v1/allocations", 8
    ),
    Case(
        "allocations API, prefecture", "hengyang_checker", False, lambda w: "/api/v1/allocations", 8
    ),
    Case(
        "disbursements API, province",
        "province_checker",
        False,
        lambda w: "/api/v1/disbursements",
        8,
    ),
    # payments: + their reversals in one selectin statement (the reversal_id field)
    Case(
        "disbursements API, county", "leiyang_checker", False, lambda w: "/api/v1/disbursements", 8
    ),
    Case(
        "evaluations API, province", "province_checker", False, lambda w: "/api/v1/evaluations", 10
    ),
    Case("evaluations API, county", "leiyang_finance", False, lambda w: "/api/v1/evaluations", 10),
    Case(
        "history API of a fund", "auditor", False, lambda w: f"/api/v1/history/funds/{_fund(w)}", 8
    ),
    Case(
        "history API of an allocation",
        "auditor",
        False,
        lambda w: f"/api/v1/history/allocations/{w.allocations[0]}",
        7,
    ),
    Case(
        "history API of a recall",
        "auditor",
        False,
        lambda w: f"/api/v1/history/recalls/{w.recalls[0]}",
        8,
    ),
    Case(
        "history API of an evaluation",
        "auditor",
        False,
        lambda w: f"/api/v1/history/evaluations/{w.evaluations[0]}",
        10,
    ),
]


def _measure_all(app, world: World) -> dict[str, CountedQueries]:
    counts = {}
    for case in CASES:
        get = world.page(case.username) if case.page else world.as_(case.username).get
        url = case.url(world)
        get(url)  # warm up: nothing done once per client or per session is counted
        with count_queries(app) as counted:
            response = get(url)
        assert response.status_code == 200, (case.label, url, response.status_code)
        counts[case.label] = counted
    return counts


def _extra(before: CountedQueries, after: CountedQueries) -> str:
    """The statements run more often after the data grew (an N+1 shows up here)."""

    def normal(statement: str) -> str:
        return re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", statement)

    more = Counter(map(normal, after.statements)) - Counter(map(normal, before.statements))
    return "\n".join(f"  +{n} {' '.join(s.split())[:300]}" for s, n in more.items())


def test_query_counts_do_not_grow_with_the_data(app, db_session):
    """Measured with a little data, then with more: the same number of statements for every
    page and list (no N+1), and no more than the pinned ceiling."""
    world = World(app)
    world.grow()  # every kind of row exists before the first measurement
    before = _measure_all(app, world)
    world.grow()
    after = _measure_all(app, world)
    growing = [
        f"{label}: {before[label].count} -> {after[label].count} statements\n"
        + _extra(before[label], after[label])
        for label in before
        if after[label].count != before[label].count
    ]
    assert not growing, "the number of statements grows with the data:\n\n" + "\n\n".join(growing)
    over = [
        f"{case.label}: {before[case.label].count} statements, ceiling {case.ceiling}\n"
        f"{before[case.label]}"
        for case in CASES
        if before[case.label].count > case.ceiling
    ]
    assert not over, "more statements than pinned:\n\n" + "\n\n".join(over)


def test_balances_of_many_funds_at_once_are_those_of_each_fund(app, db_session):
    """``funds_balances`` (the home page's one set of queries) gives every fund exactly what
    ``fund_balances`` gives it alone, with recalls and a year-end carry-over among them, now
    and as of a moment."""
    world = World(app)
    world.grow()
    db_session.scalar(sa.select(Fund).where(Fund.code == "2017-BX")).year_end_policy = "carry_over"
    db_session.commit()
    bx_2017 = db_session.scalar(sa.select(Fund.id).where(Fund.code == "2017-BX"))
    proposed = world.ok(
        world.as_("province_maker").post(
            f"/api/v1/funds/{bx_2017}/close", json={"reason": "结转测试"}
        )
    )
    world.ok(
        world.as_("province_checker").post(
            f"/api/v1/year-end-closes/{proposed['id']}/approve", json={"reason": "同意结转"}
        )
    )
    with app.app_context():
        funds = db_session.scalars(sa.select(Fund).order_by(Fund.id)).all()
        for as_of in (None, datetime(2100, 1, 1)):
            together = funds_balances(db_session, funds, as_of)
            assert list(together) == [f.id for f in funds]
            for fund in funds:
                assert together[fund.id] == fund_balances(db_session, fund, as_of), fund.code
        carried = together[bx_2017]
        assert any(b.carried_over_fen for b in carried.values())
