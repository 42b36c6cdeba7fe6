"""``python bench/generate.py --disbursements N``: a province's worth of history, fast.

It lives beside ``bench/run.py``, outside the shipped package: the app never writes rows
this way. The database is ``DATABASE_URL`` (or ``--database-url``), as for the app.

Fills an empty, migrated database with Hunan's reference data (through the ORM, as
``reference load`` does), then, through bulk inserts on one connection:

- bench users: a maker and a checker for the province and for every prefecture and county
  (``maker_430481``, ``checker_430481``), plus ``bench_admin`` and ``bench_auditor``, all with
  the same password;
- for every year (2017–2021 by default): a budget line and three funds (三结合, 贷款贴息,
  系列保险) with their earmarks; allocations province → every prefecture → every county,
  each prepared by a maker and approved by a checker (two transactions); new beneficiaries;
  the year's share of the N disbursements, month by month, each county's month prepared in
  one transaction (as an Excel import would) and approved in the next; ~1 % reversed at the
  year's end by compensating records; in the last month of the last year some stay pending.

Every change is written as continuum would write it: the live row, one version row per
transaction that touched it (``end_transaction_id`` pointing at the next one) and the
``transaction`` row with actor, time and reason. Transaction times run from 2017 on, so
balances ``as_of`` a past date see the history as it stood then. Each batch of
transactions is sealed into the audit hash chain by the functions the commit hook uses
(``fundtrack.audit.chain``), reading back what was written, so ``audit verify`` accepts
the result.

Money is consistent by construction: a county's allocation is at least what it pays, a
prefecture's at least what it passes on, a fund's budget at least what the province
allocates. Per-day benefits (住院津贴) respect their rule: one payment per person and year,
at most 20 days, paid by the person's own county.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack import create_app, models
from fundtrack.audit.chain import (
    CHAIN_LOCK_KEY,
    _transaction_rows,
    _version_rows,
    head,
    link_hash,
)
from fundtrack.audit.models import GENESIS_HASH, AuditSeal
from fundtrack.audit.tree import keep_missing_nodes
from fundtrack.core.errors import DomainError
from fundtrack.core.idnumber import check_digit
from fundtrack.core.versioning import acting_as, set_action
from fundtrack.extensions import db
from fundtrack.funds.models import Fund
from fundtrack.ledger.verify import rebuild_balances
from fundtrack.reference import load_reference_data
from fundtrack.regions.models import Region
from fundtrack.users.operations import check_password_strength, hash_password

FIRST_YEAR = 2017
DEFAULT_PASSWORD = "bench-Password-2021"
REMOTE_ADDR = "bench"
#: flush, seal and commit once this many rows (live and version) are buffered
FLUSH_ROWS = 50_000
#: version rows read back per sealing query
SEAL_READ_ROWS = 20_000

#: kind code, fund code suffix, fund name, share of the payments, earmark
KINDS = (
    ("sanjiehe", "SJH", "三结合项目经费", 0.2, ("project_support", "skills_training")),
    ("loan_interest", "DKTX", "计生家庭发展生产贷款贴息", 0.3, ("loan_interest_subsidy",)),
    ("insurance", "BX", "计生家庭系列保险", 0.5, ("insurance_premium", "hospital_allowance")),
)
#: insurance funds also earmark the nursing subsidy from this year on (as in the demo)
NURSING_FROM = 2018
HOSPITAL_RULE_FROM = date(2017, 7, 1)
HOSPITAL_DAILY_FEN = 5000
REVERSAL_SHARE = 0.01
PENDING_SHARE = 0.3  # of the last month of the last year

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
GIVEN = "建国秀英桂兰冬梅志强春花国华小红明辉丽娟海燕德胜玉珍金凤红梅文军永福爱华淑芬"
PROJECTS = ("生猪养殖扶持", "油茶种植基地", "黄桃种植扶持", "家庭手工作坊", "稻虾共养",
            "中药材种植", "乡村民宿", "竹编加工")  # fmt: skip
FAMILY_TYPES = ("special", "single_child", "two_daughters", "poor", "other")
REVERSAL_REASONS = ("凭证重复录入", "收款人信息有误", "项目终止，资金退回", "金额录入错误")


def _id_check(first17: str) -> str:
    return first17 + check_digit(first17)


class Writer:
    """Buffers live rows, version rows and transaction rows; ``flush`` writes them, seals
    the new transactions into the hash chain and commits."""

    #: live tables in foreign-key order
    ORDER = ("users", "budget_lines", "funds", "fund_earmarks", "allocations", "beneficiaries",
             "disbursements")  # fmt: skip

    def __init__(self, connection, echo=None):
        self.conn = connection
        self.echo = echo or (lambda *_: None)
        self.models = {
            "users": models.User,
            "budget_lines": models.BudgetLine,
            "funds": models.Fund,
            "fund_earmarks": models.FundEarmark,
            "allocations": models.Allocation,
            "beneficiaries": models.Beneficiary,
            "disbursements": models.Disbursement,
        }
        self.version_columns = {
            name: [c.name for c in version_class(model).__table__.c]
            for name, model in self.models.items()
        }
        self.transaction_table = versioning_manager.transaction_cls.__table__
        self.next_ids = {"transaction": self._max_id(self.transaction_table) + 1}
        for name, model in self.models.items():
            if "id" in model.__table__.c:
                self.next_ids[name] = self._max_id(model.__table__) + 1
        self.live: dict[str, list[dict]] = defaultdict(list)
        self.versions: dict[str, list[dict]] = defaultdict(list)
        self.transactions: list[dict] = []
        self.tx_rows: dict[int, int] = defaultdict(int)
        self.buffered = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.sealed = 0

    def _max_id(self, table) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
                   .scalar())  # fmt: skip

    def new_id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def transaction(self, tx_id: int, issued_at: datetime, user: dict | None, reason: str):
        self.transactions.append(
            {
                "id": tx_id,
                "remote_addr": REMOTE_ADDR,
                "user_id": user["id"] if user else None,
                "issued_at": issued_at,
                "actor_role": user["role"] if user else None,
                "actor_region_code": user["region_code"] if user else None,
                "reason": reason,
            }
        )

    def insert(self, table: str, row: dict) -> None:
        """The live row, in its final state."""
        self.live[table].append(row)
        self.buffered += 1
        self.counts[table] += 1

    def version(self, table: str, state: dict, tx_id: int, operation: int, end: int | None):
        """One version row: ``state`` as transaction ``tx_id`` left it (0 insert, 1 update)."""
        row = {name: state.get(name) for name in self.version_columns[table]}
        row.update(transaction_id=tx_id, end_transaction_id=end, operation_type=operation)
        self.versions[table].append(row)
        self.tx_rows[tx_id] += 1
        self.buffered += 1

    def maybe_flush(self) -> None:
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.transactions and not self.buffered:
            return
        if self.transactions:
            self.conn.execute(sa.insert(self.transaction_table), self.transactions)
        for name in self.ORDER:
            if self.live.get(name):
                self.conn.execute(sa.insert(self.models[name].__table__), self.live[name])
        for name in self.ORDER:
            if self.versions.get(name):
                table = version_class(self.models[name]).__table__
                self.conn.execute(sa.insert(table), self.versions[name])
        self._seal([tx["id"] for tx in self.transactions])
        self.conn.commit()
        self.transactions, self.buffered = [], 0
        self.live.clear()
        self.versions.clear()

    def _seal(self, tx_ids: list[int]) -> None:
        """What ``chain.seal`` does for one transaction, for many in a row: under the chain
        lock, each link hashes the previous hash and the rows read back from the database."""
        if not tx_ids:
            return
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
        current = head(self.conn)
        position, prev_hash = current if current else (0, GENESIS_HASH)
        start = 0
        while start < len(tx_ids):
            end, rows = start, 0
            while end < len(tx_ids) and (end == start or rows < SEAL_READ_ROWS):
                rows += self.tx_rows.get(tx_ids[end], 0)
                end += 1
            part = tx_ids[start:end]
            transactions = _transaction_rows(self.conn, part)
            versions = _version_rows(self.conn, part)
            seals = []
            for tx_id in part:
                digest = link_hash(prev_hash, transactions.get(tx_id), versions[tx_id])
                position += 1
                seals.append({"id": position, "transaction_id": tx_id, "prev_hash": prev_hash,
                              "hash": digest})  # fmt: skip
                prev_hash = digest
            self.conn.execute(sa.insert(AuditSeal.__table__), seals)
            self.sealed += len(part)
            start = end
        for tx_id in tx_ids:
            self.tx_rows.pop(tx_id, None)

    def finish(self) -> None:
        """Flush, and move PostgreSQL's sequences past the ids written here."""
        self.flush()
        if self.conn.dialect.name == "postgresql":
            tables = ["transaction", *(n for n in self.next_ids if n != "transaction")]
            for name in tables:
                quoted = self.conn.dialect.identifier_preparer.quote(name)
                self.conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {quoted}), false)"
                    ),
                    {"t": quoted},
                )
            self.conn.commit()


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour, minutes=minute)


def _round_up(fen: float, step_fen: int) -> int:
    return math.ceil(fen / step_fen) * step_fen


class Generator:
    def __init__(self, conn, count: int, years: int, seed: int, password_hash: str, echo):
        self.w = Writer(conn, echo)
        self.conn = conn
        self.count = count
        self.years = list(range(FIRST_YEAR, FIRST_YEAR + years))
        self.rng = random.Random(seed)
        self.password_hash = password_hash
        self.echo = echo
        regions = conn.execute(
            sa.select(Region.code, Region.name, Region.level, Region.parent_code).order_by(
                Region.code
            )
        ).all()
        self.names = {r.code: r.name for r in regions}
        self.province = next(r.code for r in regions if r.level == "province")
        self.prefectures = [r.code for r in regions if r.level == "prefecture"]
        self.counties = [r.code for r in regions if r.level == "county"]
        self.parent = {r.code: r.parent_code for r in regions}
        self.weights = [self.rng.uniform(0.4, 2.5) for _ in self.counties]
        self.users: dict[str, dict] = {}
        self.pool: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self.vouchers: dict[tuple[str, int], int] = defaultdict(int)

    # -- users ---------------------------------------------------------------------------

    def create_users(self) -> None:
        tx = self.w.new_id("transaction")
        issued = _at(date(FIRST_YEAR, 1, 2), 8)
        self.w.transaction(tx, issued, None, "创建基准测试用户")
        plan = [("bench_admin", "admin", self.province, "基准测试管理员"),
                ("bench_auditor", "auditor", self.province, "基准测试审计员")]  # fmt: skip
        for code in [self.province, *self.prefectures, *self.counties]:
            plan.append((f"maker_{code}", "maker", code, f"{self.names[code]}财务经办"))
            plan.append((f"checker_{code}", "checker", code, f"{self.names[code]}财务审批"))
        for username, role, region, display in plan:
            row = {"id": self.w.new_id("users"), "username": username, "display_name": display,
                   "password_hash": self.password_hash, "role": role, "region_code": region,
                   "active": True, "created_at": issued, "last_login_at": None}  # fmt: skip
            self.w.insert("users", row)
            self.w.version("users", row, tx, 0, None)
            self.users[username] = row
        self.w.flush()

    def maker(self, code: str) -> dict:
        return self.users[f"maker_{code}"]

    def checker(self, code: str) -> dict:
        return self.users[f"checker_{code}"]

    # -- one year --------------------------------------------------------------------------

    def plan_payments(self, year: int, n: int) -> list[list]:
        """[paid_on, county, kind index, category, amount fen, days] sorted by date."""
        rng = self.rng
        first, last = date(year, 4, 15), date(year, 12, 20)
        span = (last - first).days
        counties = rng.choices(self.counties, weights=self.weights, k=n)
        kinds = rng.choices(range(len(KINDS)), weights=[k[3] for k in KINDS], k=n)
        rows = []
        for county, kind in zip(counties, kinds, strict=True):
            paid_on = first + timedelta(days=rng.randrange(span + 1))
            days = None
            if kind == 0:
                if rng.random() < 0.7:
                    category, amount = "project_support", rng.randint(2000, 50000) * 100
                else:
                    category, amount = "skills_training", rng.randint(500, 5000) * 100
            elif kind == 1:
                category, amount = "loan_interest_subsidy", rng.randint(300, 3000) * 100
            elif rng.random() < 0.5 and paid_on >= HOSPITAL_RULE_FROM:
                days = rng.randint(1, 20)
                category, amount = "hospital_allowance", days * HOSPITAL_DAILY_FEN
            else:
                category, amount = "insurance_premium", rng.randint(100, 2000) * 100
            rows.append([paid_on, county, kind, category, amount, days])
        rows.sort(key=lambda r: (r[0], r[1]))
        return rows

    def run_year(self, year: int, n: int, last_year: bool) -> None:
        rng, w = self.rng, self.w
        rows = self.plan_payments(year, n)

        # who reverses what, who stays pending; per-day benefits need a person each
        months: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        pending, reversed_rows = set(), defaultdict(list)
        hospital_need: dict[str, int] = defaultdict(int)
        for index, (paid_on, county, _kind, category, _amount, _days) in enumerate(rows):
            months[paid_on.month][county].append(index)
            if category == "hospital_allowance":
                hospital_need[county] += 1
            if last_year and paid_on.month == 12 and rng.random() < PENDING_SHARE:
                pending.add(index)
            elif rng.random() < REVERSAL_SHARE:
                reversed_rows[county].append(index)

        # transaction ids in the order of time
        t_funds = w.new_id("transaction")
        t_prov = (w.new_id("transaction"), w.new_id("transaction"))
        t_pref = {p: (w.new_id("transaction"), w.new_id("transaction")) for p in self.prefectures}
        new_people = {c: max(0, k - len(self.pool[c])) for c, k in hospital_need.items()}
        t_people = w.new_id("transaction") if any(new_people.values()) else None
        t_month: dict[tuple[int, str], tuple[int, int | None]] = {}
        for month in sorted(months):
            creates = {c: w.new_id("transaction") for c in sorted(months[month])}
            for county in sorted(months[month]):
                needs_approval = any(i not in pending for i in months[month][county])
                t_month[month, county] = (
                    creates[county],
                    w.new_id("transaction") if needs_approval else None,
                )
        t_reverse = {c: w.new_id("transaction") for c in sorted(reversed_rows)}
        reversal_tx_of = {i: t_reverse[c] for c, idx in reversed_rows.items() for i in idx}

        # money needed: a county's allocation covers everything it pays
        need: dict[tuple[int, str], int] = defaultdict(int)
        for _paid_on, county, kind, _category, amount, _days in rows:
            need[kind, county] += amount
        county_alloc = {
            (kind, c): _round_up(max(need[kind, c] * rng.uniform(1.05, 1.3), 1_000_000), 100_000)
            for kind in range(len(KINDS))
            for c in self.counties
        }
        pref_alloc = {}
        for kind in range(len(KINDS)):
            for p in self.prefectures:
                below = sum(county_alloc[kind, c] for c in self.counties if self.parent[c] == p)
                pref_alloc[kind, p] = _round_up(below * rng.uniform(1.02, 1.08), 100_000)

        funds = self.write_funds(year, t_funds, pref_alloc)
        self.write_allocations(year, funds, t_prov, t_pref, pref_alloc, county_alloc)
        if t_people is not None:
            self.write_people(year, t_people, new_people)
        self.write_payments(year, rows, funds, months, t_month, pending, reversal_tx_of)
        self.write_reversals(year, reversed_rows, t_reverse)
        w.flush()

    def write_funds(self, year: int, tx: int, pref_alloc: dict) -> list[dict]:
        w = self.w
        maker = self.maker(self.province)
        issued = _at(date(year, 1, 10))
        w.transaction(tx, issued, maker, f"录入{year}年省级专项资金预算")
        budgets = [
            _round_up(sum(pref_alloc[k, p] for p in self.prefectures) * 1.05, 1_000_000)
            for k in range(len(KINDS))
        ]
        total = _round_up(sum(budgets) * 1.2, 1_000_000)
        line = {"id": w.new_id("budget_lines"), "fiscal_year": year, "region_code": self.province,
                "name": f"{year}年省级项目经费", "total_fen": total, "source": "省级财政预算",
                "note": "基准测试数据"}  # fmt: skip
        w.insert("budget_lines", line)
        w.version("budget_lines", line, tx, 0, None)
        funds = []
        for (kind, suffix, name, _share, earmark), budget in zip(KINDS, budgets, strict=True):
            fund = {"id": w.new_id("funds"), "code": f"{year}-{suffix}", "name": name,
                    "kind_code": kind, "fiscal_year": year, "region_code": self.province,
                    "budget_line_id": line["id"], "source": "省级财政预算", "budget_fen": budget,
                    "status": "active", "year_end_policy": "recall", "created_at": issued,
                    "created_by_id": maker["id"],
                    # proposed and approved at once: the data, not the workflow, is measured
                    "approved_by_id": self.checker(self.province)["id"],
                    "approved_at": issued}  # fmt: skip
            w.insert("funds", fund)
            w.version("funds", fund, tx, 0, None)
            codes = list(earmark)
            if kind == "insurance" and year >= NURSING_FROM:
                codes.append("nursing_subsidy")
            for code in sorted(codes):
                mark = {"fund_id": fund["id"], "category_code": code, "earmarkable": True}
                w.insert("fund_earmarks", mark)
                w.version("fund_earmarks", mark, tx, 0, None)
            funds.append(fund)
        return funds

    def _allocation_pair(self, fund, giver, receiver, amount, document_no, txs, days):
        """An allocation prepared in ``txs[0]`` and approved in ``txs[1]``."""
        w = self.w
        created, approved = _at(days[0]), _at(days[1])
        row = {"id": w.new_id("allocations"), "fund_id": fund["id"], "from_region_code": giver,
               "to_region_code": receiver, "amount_fen": amount, "document_no": document_no,
               "reason": f"{fund['fiscal_year']}年{fund['name']}下达", "status": "draft",
               "approved_on": None, "created_at": created,
               "created_by_id": self.maker(giver)["id"], "approved_by_id": None,
               "approved_at": None, "evaluation_override_reason": None}  # fmt: skip
        w.version("allocations", row, txs[0], 0, txs[1])
        row.update(status="approved", approved_on=days[1], approved_at=approved,
                   approved_by_id=self.checker(giver)["id"])  # fmt: skip
        w.version("allocations", row, txs[1], 1, None)
        w.insert("allocations", row)

    def write_allocations(self, year, funds, t_prov, t_pref, pref_alloc, county_alloc):
        w = self.w
        days = (date(year, 3, 1), date(year, 3, 10))
        province = self.province
        w.transaction(t_prov[0], _at(days[0]), self.maker(province), f"下达{year}年省级专项资金")
        for k, fund in enumerate(funds):
            document_no = f"湘计生协〔{year}〕{10 + k}号"
            for p in self.prefectures:
                self._allocation_pair(fund, province, p, pref_alloc[k, p], document_no, t_prov,
                                      days)  # fmt: skip
        w.transaction(t_prov[1], _at(days[1]), self.checker(province),
                      f"审批资金下达 湘计生协〔{year}〕10–12号")  # fmt: skip
        for p in self.prefectures:
            txs, days = t_pref[p], (date(year, 3, 20), date(year, 4, 1))
            short = self.names[p][:1]
            w.transaction(txs[0], _at(days[0]), self.maker(p), f"下达{year}年专项资金到县市区")
            for k, fund in enumerate(funds):
                document_no = f"{short}计生协〔{year}〕{20 + k}号"
                for c in self.counties:
                    if self.parent[c] == p:
                        self._allocation_pair(fund, p, c, county_alloc[k, c], document_no, txs,
                                              days)  # fmt: skip
            w.transaction(txs[1], _at(days[1]), self.checker(p), f"审批资金下达（{year}年）")
        w.maybe_flush()

    def write_people(self, year: int, tx: int, new_people: dict[str, int]) -> None:
        w, rng = self.w, self.rng
        issued = _at(date(year, 4, 5))
        w.transaction(tx, issued, self.maker(self.province), f"登记{year}年受益人（批量）")
        for county in sorted(new_people):
            for _ in range(new_people[county]):
                k = len(self.pool[county])
                born = date(1950, 1, 1) + timedelta(days=k // 1000 + rng.randrange(3) * 3650)
                number = _id_check(f"{county}{born:%Y%m%d}{k % 1000:03d}")
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                row = {"id": w.new_id("beneficiaries"), "region_code": county, "name": name,
                       "id_number": number, "family_type": rng.choice(FAMILY_TYPES),
                       "household": "", "phone": "", "evidence": "", "evidence_document_no": "",
                       "status": "registered", "created_at": issued}  # fmt: skip
                w.insert("beneficiaries", row)
                w.version("beneficiaries", row, tx, 0, None)
                self.pool[county].append((row["id"], name, number))

    def write_payments(self, year, rows, funds, months, t_month, pending, reversal_tx_of):
        w = self.w
        self.reversible: dict[int, dict] = {}
        used_people: dict[str, int] = defaultdict(int)
        for month in sorted(months):
            last_day = (date(year, month + 1, 1) - timedelta(days=1)) if month < 12 else None
            create_day = last_day or date(year, 12, 21)
            groups = sorted(months[month].items())
            approvals = []
            for minute, (county, indexes) in enumerate(groups):
                t_create, t_approve = t_month[month, county]
                maker, checker = self.maker(county), self.checker(county)
                created = _at(create_day, 9, minute)
                approved = _at(create_day + timedelta(days=1), 9, minute)
                w.transaction(t_create, created, maker,
                              f"Excel 导入支出批量表「{county}-{year}-{month:02d}.xlsx」，"
                              f"{len(indexes)} 行")  # fmt: skip
                approved_here = []
                for index in indexes:
                    paid_on, _county, kind, category, amount, days = rows[index]
                    row = self._payment(year, county, funds[kind], category, amount, paid_on,
                                        days, maker, created, used_people)  # fmt: skip
                    final_tx = None if index in pending else t_approve
                    w.version("disbursements", row, t_create, 0, final_tx)
                    if index not in pending:
                        row = dict(row, status="approved", approved_by_id=checker["id"],
                                   approved_at=approved)  # fmt: skip
                        later = reversal_tx_of.get(index)
                        approved_here.append((row, later))
                        if later is not None:
                            # reversed at the year's end: the live row's final state
                            self.reversible[index] = row
                            row = dict(row, status="reversed")
                    w.insert("disbursements", row)
                if t_approve is not None:
                    approvals.append((t_approve, approved, checker, approved_here))
            for t_approve, approved, checker, approved_here in approvals:
                w.transaction(t_approve, approved, checker,
                              f"审批支出（批量 {len(approved_here)} 笔）")  # fmt: skip
                for row, later in approved_here:
                    w.version("disbursements", row, t_approve, 1, later)
                w.maybe_flush()

    def _payment(self, year, county, fund, category, amount, paid_on, days, maker, created,
                 used_people) -> dict:  # fmt: skip
        w, rng = self.w, self.rng
        self.vouchers[county, year] += 1
        voucher = f"{county}-{year}-{self.vouchers[county, year]:06d}"
        payee_id = beneficiary_id = None
        project_name, purpose = "", ""
        place = self.names[county]
        if category == "hospital_allowance":
            k = used_people[county]
            used_people[county] += 1
            beneficiary_id, payee, payee_id = self.pool[county][k]
            purpose = f"住院津贴 {days} 天 × 50 元"
        elif category == "project_support":
            project = rng.choice(PROJECTS)
            payee = f"{place}{rng.randint(1, 60)}号{project[:2]}合作社"
            project_name = f"三结合项目：{project}"
            purpose = project_name
        elif category == "skills_training":
            payee, purpose = f"{place}职业技术学校", "计生家庭生产技能培训"
        elif category == "loan_interest_subsidy":
            payee = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(12000))
            payee_id = _id_check(f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}")
            purpose = "计生家庭发展生产贷款贴息"
        else:
            payee, purpose = f"中国人寿{place}支公司", "计生家庭系列保险保费"
        account = f"62170{rng.randrange(10**14):014d}" if rng.random() < 0.6 else None
        return {"id": w.new_id("disbursements"), "fund_id": fund["id"], "region_code": county,
                "category_code": category, "amount_fen": amount, "paid_on": paid_on,
                "payee_name": payee, "payee_id_number": payee_id, "payee_account": account,
                "beneficiary_id": beneficiary_id, "project_name": project_name,
                "voucher_no": voucher, "purpose": purpose, "days": days, "status": "pending",
                "reverses_id": None, "created_at": created, "created_by_id": maker["id"],
                "approved_by_id": None, "approved_at": None}  # fmt: skip

    def write_reversals(self, year, reversed_rows, t_reverse) -> None:
        w, rng = self.w, self.rng
        day = date(year, 12, 28)
        for minute, county in enumerate(sorted(reversed_rows)):
            tx, maker, checker = t_reverse[county], self.maker(county), self.checker(county)
            now = _at(day, 10, minute)
            reason = rng.choice(REVERSAL_REASONS)
            # the maker proposed it, the county's checker approves: the approver's transaction
            w.transaction(tx, now, checker, reason)
            for index in reversed_rows[county]:
                original = self.reversible.pop(index)
                w.version("disbursements", dict(original, status="reversed"), tx, 1, None)
                compensation = dict(
                    original, id=w.new_id("disbursements"), amount_fen=-original["amount_fen"],
                    paid_on=day, voucher_no=f"{original['voucher_no']}-冲",
                    purpose=f"冲销：{reason}", status="approved", reverses_id=original["id"],
                    days=None, created_at=now, created_by_id=maker["id"],
                    approved_by_id=checker["id"], approved_at=now,
                )  # fmt: skip
                w.insert("disbursements", compensation)
                w.version("disbursements", compensation, tx, 0, None)
        w.maybe_flush()

    def run(self) -> None:
        started = time.monotonic()
        self.create_users()
        per_year, extra = divmod(self.count, len(self.years))
        for i, year in enumerate(self.years):
            n = per_year + (1 if i < extra else 0)
            self.run_year(year, n, last_year=(i == len(self.years) - 1))
            self.echo(
                f"  {year}: {n} disbursements, {self.w.sealed} transactions sealed so far "
                f"({time.monotonic() - started:.0f} s)"
            )
        self.w.finish()


def generate(db, count: int, years: int = 5, seed: int = 2018,
             password: str = DEFAULT_PASSWORD, echo=None) -> dict[str, int]:  # fmt: skip
    """Fill the (empty, migrated) database of ``db``; returns rows written per table."""
    echo = echo or (lambda *_: None)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Fund)):
        db.session.rollback()
        raise DomainError("database is not empty: bench generate needs an empty, migrated one")
    check_password_strength(password)
    with acting_as(None, remote_addr=REMOTE_ADDR):
        set_action(db.session, "加载参考数据")
        load_reference_data(db.session)
    db.session.commit()
    db.session.remove()
    with db.engine.connect() as conn:
        generator = Generator(conn, count, years, seed, hash_password(password), echo)
        generator.run()
    # the rows went around the ORM, so around ledger.postings: the kept balances from them
    counts = dict(generator.w.counts)
    counts["fund_balances"] = rebuild_balances(db.session)
    # and the seals went in by hand: the Merkle tree's kept nodes over them
    counts["audit_tree_nodes"] = keep_missing_nodes(db.session.connection())
    db.session.commit()
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    return counts


@click.command()
@click.option(
    "--disbursements",
    "count",
    type=click.IntRange(min=0),
    required=True,
    help="how many payments (reversals come on top, as compensating records)",
)
@click.option(
    "--years",
    type=click.IntRange(1, 10),
    default=5,
    show_default=True,
    help="fiscal years from 2017 on",
)
@click.option("--seed", type=int, default=2018, show_default=True)
@click.option(
    "--password",
    default=DEFAULT_PASSWORD,
    show_default=True,
    help="password of every bench user (maker_430481, checker_430000, …)",
)
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="the database to fill (default: DATABASE_URL, else the app's SQLite in instance/)",
)
def main(count, years, seed, password, database_url):
    """Fill an empty, migrated database with a province's history of N payments."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url} if database_url else None)
    started = time.monotonic()
    with app.app_context():
        try:
            counts = generate(db, count, years, seed, password, echo=click.echo)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        finally:
            db.session.remove()
            db.engine.dispose()
    click.echo(
        "bench data: "
        + ", ".join(f"{name} {counts.get(name, 0)}" for name in Writer.ORDER)
        + f" ({time.monotonic() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
