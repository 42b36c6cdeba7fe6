"""fundtrack benchmark (issue #9): medians of repeated runs on a generated PostgreSQL database.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/ft_bench \\
        .venv/bin/python bench/run.py [--repeat 7] [--import-rows 100000] [--out BENCHMARKS.md]

The database must hold ``python bench/generate.py --disbursements N`` (bench users,
password ``bench-Password-2021``). The run writes to it (a few payments, one import); it
deletes the payments it wrote with versioning switched off, so ``audit verify`` still passes.
Live HTTP figures use gunicorn (4 workers) on a free local port, with a Python thread pool as
the clients, on the same machine. Targets are the benchmark's only: no test depends on them.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import io
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy_continuum import versioning_manager

from fundtrack import create_app
from fundtrack.audit import witness
from fundtrack.config import normalise_database_url
from fundtrack.exchange.contract import DATA_SHEET, KINDS
from fundtrack.exchange.xlsx import template_bytes
from fundtrack.extensions import db
from fundtrack.ledger.verify import rebuild_balances
from fundtrack.users.models import User

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-Password-2021"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
COUNTY = "430481"  # 耒阳市
#: counties of different prefectures, one per concurrent client (four, or eight writers)
CONCURRENT_COUNTIES = ("430481", "431028", "431126", "430623", "430121", "430281", "430382",
                       "430521")  # fmt: skip
#: the county whose payments are timed while COUNTY imports
OTHER_COUNTY = "431028"  # 安仁县

#: what the balances API reads: the fund's kept rows, by primary key
ROWS_SQL = """
SELECT region_code, received_fen, allocated_out_fen, disbursed_fen,
       received_fen - allocated_out_fen - disbursed_fen - carried_over_fen AS available,
       spent_fen
  FROM fund_balances WHERE fund_id = :f
"""

HAND_SQL = """
WITH moves AS (
    SELECT to_region_code AS region, amount_fen AS received, 0 AS out_fen, 0 AS paid,
           0 AS spent
      FROM allocations WHERE fund_id = :f AND status IN ('approved', 'recalled')
    UNION ALL
    SELECT from_region_code, 0, amount_fen, 0, 0
      FROM allocations WHERE fund_id = :f AND status IN ('draft', 'approved', 'recalled')
    UNION ALL
    SELECT a.to_region_code, -r.amount_fen * (r.status = 'approved')::int,
           r.amount_fen * (r.status = 'draft')::int, 0, 0
      FROM allocation_recalls r JOIN allocations a ON a.id = r.allocation_id
     WHERE a.fund_id = :f AND r.status IN ('approved', 'draft')
    UNION ALL
    SELECT a.from_region_code, 0, -r.amount_fen, 0, 0
      FROM allocation_recalls r JOIN allocations a ON a.id = r.allocation_id
     WHERE a.fund_id = :f AND r.status = 'approved'
    UNION ALL
    SELECT region_code, 0, 0, amount_fen,
           CASE WHEN status IN ('approved', 'reversed') THEN amount_fen ELSE 0 END
      FROM disbursements WHERE fund_id = :f AND status IN ('pending', 'approved', 'reversed')
    UNION ALL
    SELECT region_code, amount_fen * (to_fund_id = :f)::int,
           amount_fen * (from_fund_id = :f)::int, 0, 0
      FROM fund_carry_overs WHERE :f IN (from_fund_id, to_fund_id)
    UNION ALL
    SELECT region_code, budget_fen, 0, 0, 0 FROM funds WHERE id = :f
)
SELECT region, sum(received), sum(out_fen), sum(paid),
       sum(received) - sum(out_fen) - sum(paid) AS available, sum(spent)
  FROM moves GROUP BY region
"""


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(fn, repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


class Bench:
    def __init__(self, url: str, repeat: int):

        self.url, self.repeat = url, repeat
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
        self.db = db
        self.client = self.app.test_client()
        self.engine = sa.create_engine(url)
        self.results: list[dict] = []
        self.notes: list[str] = []
        self.tokens: dict[str, str] = {}
        with self.engine.connect() as conn:
            self.funds = dict(conn.execute(sa.text("SELECT code, id FROM funds")).all())
            self.last_year = max(int(code[:4]) for code in self.funds)
            self.n = conn.execute(
                sa.text(
                    "SELECT count(*) FROM disbursements WHERE reverses_id IS NULL"
                    " AND voucher_no NOT LIKE 'BENCH-%' AND voucher_no NOT LIKE 'IMP-%'"
                )
            ).scalar()
            self.versions = conn.execute(sa.text("SELECT count(*) FROM disbursements_version"))
            self.versions = self.versions.scalar()
            self.transactions = conn.execute(sa.text('SELECT count(*) FROM "transaction"'))
            self.transactions = self.transactions.scalar()
            self.pg_version = conn.execute(sa.text("SHOW server_version")).scalar()

    def record(self, name, figure, unit, target=None, ok=None, detail=""):
        row = {"name": name, "figure": figure, "unit": unit, "target": target, "ok": ok,
               "detail": detail}  # fmt: skip
        self.results.append(row)
        status = "" if ok is None else (" MET" if ok else " MISSED")
        print(f"{name}: {figure:.1f} {unit} (target {target or '-'}){status} {detail}", flush=True)

    def token(self, username: str) -> dict:
        if username not in self.tokens:
            response = self.client.post(
                "/api/v1/tokens", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 201, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    # -- 1, 2: balances ---------------------------------------------------------------

    def balances(self):
        fund_id = self.funds[f"{self.last_year}-BX"]
        headers = self.token("checker_430000")
        path = f"/api/v1/funds/{fund_id}/balances"

        def api(query=""):
            response = self.client.get(path + query, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return response.get_json()["items"]

        def sql(text):
            def run():
                with self.engine.connect() as conn:
                    return conn.execute(sa.text(text), {"f": fund_id}).all()

            return run

        kept, aggregate = sql(ROWS_SQL), sql(HAND_SQL)
        items = {i["region"]: i for i in api()}
        for rows in (kept(), aggregate()):
            by_region = {row[0]: row for row in rows if any(row[1:])}
            assert set(by_region) <= set(items), "the SQL names regions the API does not"
            for code, row in by_region.items():
                assert items[code]["available"] == f"{row[4] / 100:.2f}", code
        as_of = f"{self.last_year}-09-30"
        api_ms = median_ms(timed(api, self.repeat))
        past_ms = median_ms(timed(lambda: api(f"?as_of={as_of}"), self.repeat))
        rows_ms = median_ms(timed(kept, self.repeat))
        aggregate_ms = median_ms(timed(aggregate, self.repeat))

        # what any read through the API costs before it reads anything of its own: the
        # token, the user, the access log, one row, the JSON
        def one_fund():
            response = self.client.get(f"/api/v1/funds/{fund_id}", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

        one_fund_ms = median_ms(timed(one_fund, self.repeat))
        ratio = api_ms / rows_ms
        rows = self.fund_rows(fund_id)
        self.record(
            f"province-wide balances of {self.last_year}-BX ({rows:,} payments), API",
            api_ms, "ms", "≤ 2 × SQL of the kept rows", ratio <= 2,
            f"SQL of the fund's balance rows {rows_ms:.1f} ms, ratio {ratio:.2f}×; the "
            f"aggregate over the records by hand-written SQL {aggregate_ms:.1f} ms",
        )  # fmt: skip
        ratio = api_ms / one_fund_ms
        self.record(
            "the same balances against one fund's record through the API (same token)",
            api_ms, "ms", "proposed in #16: ≤ 2 × a one-record API read", ratio <= 2,
            f"GET /api/v1/funds/{fund_id} {one_fund_ms:.1f} ms, ratio {ratio:.2f}× "
            "(137 regions × 11 fields against one record)",
        )  # fmt: skip
        ratio = past_ms / aggregate_ms
        self.record(
            f"the same balances as of {as_of} (recomputed from the versions), API", past_ms,
            "ms", "≤ 3 × the aggregate SQL", ratio <= 3,
            f"ratio {ratio:.2f}× the hand-written aggregate over today's records "
            f"({aggregate_ms:.1f} ms)",
        )  # fmt: skip

    def fund_rows(self, fund_id) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT count(*) FROM disbursements WHERE fund_id = :f"), {"f": fund_id}
            ).scalar()

    # -- 3: create + approve ---------------------------------------------------------

    def payment_body(self, county: str, voucher: str) -> dict:
        return {"fund_id": self.funds[f"{self.last_year}-SJH"], "region": county,
                "category": "project_support", "amount": "1.00",
                "paid_on": f"{self.last_year}-12-30", "payee_name": "基准测试合作社",
                "project_name": "基准测试", "voucher_no": voucher}  # fmt: skip

    def create_approve(self, county: str, voucher: str) -> int:
        maker, checker = self.token(f"maker_{county}"), self.token(f"checker_{county}")
        response = self.client.post(
            "/api/v1/disbursements", json=self.payment_body(county, voucher), headers=maker
        )
        assert response.status_code == 201, response.get_json()
        pid = response.get_json()["id"]
        response = self.client.post(f"/api/v1/disbursements/{pid}/approve", headers=checker)
        assert response.status_code == 200, response.get_json()
        return pid

    def writes(self):

        counter = iter(range(10**6))
        created_plain: list[int] = []

        def versioned():
            self.create_approve(COUNTY, f"BENCH-V-{next(counter)}")

        def plain():
            created_plain.append(self.create_approve(COUNTY, f"BENCH-P-{next(counter)}"))

        repeat = max(self.repeat * 3, 15)
        sealed_ms = median_ms(timed(versioned, repeat))
        versioning_manager.options["versioning"] = False
        try:
            plain_ms = median_ms(timed(plain, repeat))
        finally:
            versioning_manager.options["versioning"] = True
            with self.engine.begin() as conn:  # unversioned rows would fail `audit verify`
                conn.execute(
                    sa.text("DELETE FROM disbursements WHERE id = ANY(:ids)"),
                    {"ids": created_plain},
                )
            with self.app.app_context():  # deleted around the ORM: the kept balances anew
                rebuild_balances(self.db.session)
                self.db.session.commit()
        ratio = sealed_ms / plain_ms
        self.record(
            "create + approve a payment via the API, versioned and sealed", sealed_ms, "ms",
            "≤ 2 × unversioned", ratio <= 2,
            f"versioning off {plain_ms:.1f} ms, ratio {ratio:.2f}× (test client, in process)",
        )  # fmt: skip

    # -- 4: import -------------------------------------------------------------------

    def import_workbook(self, rows: int) -> bytes:
        """A payment import of ``rows`` rows of COUNTY, as its maker fills the template."""
        kind = KINDS["disbursements"]
        with self.app.app_context():
            user = self.db.session.scalar(sa.select(User).where(User.username == f"maker_{COUNTY}"))
            template = template_bytes(self.db.session, user, kind)
            self.db.session.remove()
        header = [c.value for c in next(load_workbook(io.BytesIO(template))[DATA_SHEET].rows)]
        labels = {c.label: c.key for c in kind.columns}
        values = {
            "fund": f"{self.last_year}-SJH", "region": COUNTY, "category": "project_support",
            "amount": 0.1, "paid_on": datetime(self.last_year, 12, 30),
            "payee_account": "6217000000000000000", "project_name": "基准测试导入",
            "purpose": "基准测试",
        }  # fmt: skip
        book = Workbook(write_only=True)
        sheet = book.create_sheet(DATA_SHEET)
        sheet.append(header)
        stamp = time.time_ns()
        for i in range(rows):
            row = dict(values, payee_name=f"导入测试合作社{i % 500}",
                       voucher_no=f"IMP-{stamp}-{i:06d}")  # fmt: skip
            sheet.append([row.get(labels.get(title)) for title in header])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def excel_import(self, rows: int):
        data = self.import_workbook(rows)
        started = time.perf_counter()
        response = self.client.post(
            "/api/v1/imports/disbursements",
            data={"file": (io.BytesIO(data), "bench-import.xlsx")},
            headers=self.token(f"maker_{COUNTY}"),
            content_type="multipart/form-data",
        )
        seconds = time.perf_counter() - started
        body = response.get_json(silent=True) or {}
        assert response.status_code in (200, 201), str(body)[:500]
        target_ok = seconds <= 60 if rows >= 100_000 else None
        self.record(
            f"Excel import of {rows:,} payment rows (one request, {len(data) / 1e6:.1f} MB)",
            seconds, "s", "≤ 60 s for 100,000 rows", target_ok,
            f"{rows / seconds:,.0f} rows/s (one run)",
        )  # fmt: skip

    # -- 5: audit verify ---------------------------------------------------------------

    def verify(self):
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET}
        flask = [sys.executable, "-m", "flask", "--app", "fundtrack", "audit", "verify"]
        started = time.perf_counter()
        done = subprocess.run(flask, env=env, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        assert done.returncode == 0, done.stderr[-2000:]
        self.verify_seconds = seconds
        self.record(
            "`flask audit verify` over all versions", seconds, "s", "≤ 60 s", seconds <= 60,
            f"{done.stdout.strip()} (one run)",
        )  # fmt: skip

    # -- 8: witnesses outside the database (issue #15) ---------------------------------

    def witnesses(self, count: int = 100):
        """``audit verify`` with ``count`` signed heads spread over the history, against the
        same verify without them; an inclusion proof, in process and through the API."""
        if getattr(self, "verify_seconds", None) is None:
            self.verify()
        with self.app.app_context():
            connection = db.session.connection()
            size = witness.tree.tree_size(connection)
            sizes = sorted({max(1, size * (i + 1) // count) for i in range(count)})
            heads = [witness.signed_head(connection, n) for n in sizes]
            db.session.rollback()
        path = ROOT / "instance" / "bench-witnesses.jsonl"
        path.write_text("".join(witness.head_text(h) + "\n" for h in heads))
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET}
        flask = [sys.executable, "-m", "flask", "--app", "fundtrack", "audit", "verify",
                 "--witness", str(path)]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(flask, env=env, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        assert done.returncode == 0, done.stderr[-2000:]
        ratio = seconds / self.verify_seconds
        self.record(
            f"`flask audit verify --witness` with {len(heads)} signed heads", seconds, "s",
            "≤ 1.5 × verify without witnesses", ratio <= 1.5,
            f"without them {self.verify_seconds:.1f} s, ratio {ratio:.2f}× (one run each)",
        )  # fmt: skip

        positions = [1 + (size - 1) * i // (self.repeat * 5) for i in range(self.repeat * 5)]
        with self.app.app_context():
            connection = db.session.connection()
            samples = []
            for position in positions:
                started = time.perf_counter()
                witness.tree.inclusion(connection, position, size)
                samples.append(time.perf_counter() - started)
            db.session.rollback()
        headers = self.token("bench_auditor")

        middle = positions[len(positions) // 2]

        def proof_api(position=middle):
            response = self.client.get(
                f"/api/v1/audit/proofs/inclusion?position={position}", headers=headers
            )
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

        api_ms = median_ms(timed(proof_api, self.repeat))
        ms = median_ms(samples)
        self.record(
            f"inclusion proof of a transaction in the tree of {size:,}", ms, "ms",
            "< 10 ms", ms < 10,
            f"{len(positions)} positions across the tree, from the kept nodes; through the "
            f"API (token, JSON) {api_ms:.1f} ms",
        )  # fmt: skip

    # -- 6: pages under load, and movements that should not wait for each other -----------

    @contextlib.contextmanager
    def gunicorn(self, app_root: Path = ROOT):
        """The app (of the checkout ``app_root``) on gunicorn (4 workers) on a free port,
        for the load measures."""
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET,
               "FUNDTRACK_ENV": "development"}  # fmt: skip
        # --timeout: at N = 1,000,000 a page can take longer than gunicorn's default 30 s on
        # the loaded machine, and an import of 100,000 rows does; a killed worker would end
        # the run instead of measuring it
        command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "4", "--bind",
                   f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "300",
                   "wsgi:app"]  # fmt: skip
        if Path(app_root) != ROOT:
            env["PYTHONPATH"] = str(app_root)  # its fundtrack before the installed one
        server = subprocess.Popen(command, cwd=app_root, env=env)
        try:
            _wait_for(f"http://127.0.0.1:{port}/login")
            yield port
        finally:
            server.terminate()
            server.wait(30)

    def pages(self, users: int, seconds: float, writer_counts=(0, 2, 8), app_root=ROOT):
        """``users`` clients loop over the dashboard and a fund page, with nobody writing and
        then while 2 and 8 more clients create and approve payments, each in a county of
        its own; served by the app of ``app_root`` (this checkout, or an older one)."""
        with self.gunicorn(Path(app_root)) as port:
            quiet: dict[str, float] = {}
            for writers in writer_counts:
                for label, p95, detail in self._load(port, users, seconds, writers):
                    if not writers:
                        quiet[label] = p95
                        target, ok = "p95 ≤ 200 ms", p95 <= 200
                    else:
                        ratio = p95 / quiet[label] if label in quiet else None
                        detail += f", {ratio:.2f}× the p95 with nobody writing" if ratio else ""
                        target, ok = (
                            ("p95 ≤ 250 ms and ≤ 1.5 × nobody writing",
                             p95 <= 250 and ratio is not None and ratio <= 1.5)
                            if writers == 2 else (None, None)
                        )  # fmt: skip
                    while_ = (f" while {writers} client{'s' if writers > 1 else ''} "
                              f"write{'' if writers > 1 else 's'}" if writers else "")  # fmt: skip
                    self.record(f"{label} under {users} concurrent readers{while_}, p95", p95,
                                "ms", target, ok, detail)  # fmt: skip

    def _load(self, port: int, users: int, seconds: float, writers: int):
        """One load run: (label, p95 ms, detail) of the dashboard and the fund page."""
        base = f"http://127.0.0.1:{port}"
        names = ["checker_430000", "maker_430000", "bench_auditor"]
        with self.engine.connect() as conn:
            codes = conn.execute(
                sa.text("SELECT code FROM regions WHERE level = 'prefecture' ORDER BY code")
            ).scalars()
            for code in codes:
                names += [f"maker_{code}", f"checker_{code}"]
        names = names[:users]
        fund_page = f"/funds/{self.funds[f'{self.last_year}-BX']}"
        latencies: dict[str, list[float]] = {"/": [], fund_page: []}
        lock = threading.Lock()
        sessions = [_login(base, name) for name in names]
        writer_heads = {c: (self._http_token(port, f"maker_{c}"),
                            self._http_token(port, f"checker_{c}"))
                        for c in CONCURRENT_COUNTIES[:writers]}  # fmt: skip
        stop = time.monotonic() + seconds
        pairs: list[float] = []

        def user_loop(opener):
            while time.monotonic() < stop:
                for path in ("/", fund_page):
                    started = time.perf_counter()
                    with opener.open(base + path) as response:
                        response.read()
                        assert response.status == 200
                    with lock:
                        latencies[path].append(time.perf_counter() - started)

        def writer_loop(county):
            self._write_loop(port, county, writer_heads[county], stop, pairs, lock, "W")

        with ThreadPoolExecutor(len(sessions) + writers) as pool:
            done = [pool.submit(writer_loop, county) for county in writer_heads]
            list(pool.map(user_loop, sessions))
            for future in done:
                future.result()
        total = sum(len(v) for v in latencies.values())
        wrote = (f", {len(pairs) / seconds:.1f} create + approve pairs/s written meanwhile"
                 if writers else "")  # fmt: skip
        for path, label in (("/", "dashboard /"), (fund_page, f"fund page {fund_page}")):
            samples = latencies[path]
            yield (
                label,
                percentile(samples, 95) * 1000,
                f"p50 {percentile(samples, 50) * 1000:.0f} ms, {len(samples)} requests, "
                f"{total / seconds:.1f} req/s in all (gunicorn 4 workers, {seconds:.0f} s"
                f"{wrote})",
            )

    def contention(self, import_rows: int):
        """Movements of different counties of one fund do not wait for each other: 4
        clients in 4 counties against 4 in one county, and a payment in one county while
        another county's import runs."""
        with self.gunicorn() as port:
            spread, spread_waits = self.sampled_throughput(port, CONCURRENT_COUNTIES[:4])
            same, same_waits = self.sampled_throughput(port, (COUNTY,) * 4)
            alone, alone_waits = self.sampled_throughput(port, (COUNTY,))
            ratio = spread / same
            self.record(
                "create + approve throughput, 4 clients in 4 counties of one fund",
                spread, "pairs/s", "≥ 1.5 × 4 clients in one county", ratio >= 1.5,
                f"4 clients in one county {same:.1f} pairs/s, ratio {ratio:.2f}×; one client "
                f"alone {alone:.1f} pairs/s; the writers' database sessions, while active — "
                f"4 counties: {spread_waits}; one county: {same_waits}; one client: "
                f"{alone_waits} (gunicorn 4 workers, 20 s each)",
            )  # fmt: skip
            # two clients leave the cores room (one alone keeps about half the machine
            # busy), so whether one county's balance row makes its writers queue shows here
            # rather than being hidden behind the CPU, as with four
            spread, spread_waits = self.sampled_throughput(port, CONCURRENT_COUNTIES[:2])
            same, same_waits = self.sampled_throughput(port, (COUNTY,) * 2)
            self.record(
                "create + approve throughput, 2 clients in 2 counties of one fund", spread,
                "pairs/s", None, None,
                f"2 clients in one county {same:.1f} pairs/s, ratio {spread / same:.2f}×; the "
                f"writers' database sessions, while active — 2 counties: {spread_waits}; one "
                f"county: {same_waits} (gunicorn 4 workers, 20 s each)",
            )  # fmt: skip
            heads = (self._http_token(port, f"maker_{OTHER_COUNTY}"),
                     self._http_token(port, f"checker_{OTHER_COUNTY}"))  # fmt: skip
            quiet = self._timed_pairs(port, OTHER_COUNTY, heads, time.monotonic() + 10, "Q")
            data = self.import_workbook(import_rows)
            answer: list[tuple[int, float]] = []

            def run_import():
                started = time.perf_counter()
                status = _upload(port, "/api/v1/imports/disbursements", data,
                                 self._http_token(port, f"maker_{COUNTY}"))  # fmt: skip
                answer.append((status, time.perf_counter() - started))

            importer = threading.Thread(target=run_import)
            importer.start()
            time.sleep(5)  # the sheet read and its rows locked: the import's transaction is open
            during = self._timed_pairs(port, OTHER_COUNTY, heads, time.monotonic() + 20, "I",
                                       while_alive=importer)  # fmt: skip
            importer.join()
            status, seconds = answer[0]
            assert status in (200, 201), status
            assert during, "the import ended before any payment was timed during it"
            ratio = median_ms(during) / median_ms(quiet)
            self.record(
                f"create + approve in another county during a {import_rows:,}-row import",
                median_ms(during), "ms", "≤ 2 × without the import", ratio <= 2,
                f"{len(during)} pairs during the import (which took {seconds:.1f} s), median "
                f"without it {median_ms(quiet):.0f} ms, ratio {ratio:.2f}×",
            )  # fmt: skip

    def sealing(self, app_root: str):
        """Issue #15 item 6: 4 writers in 4 counties against 4 in one, served by the app of
        ``app_root`` (this checkout, or an older one for the figure before a change), and
        what the writers' database sessions wait on meanwhile, sampled every 20 ms from
        pg_stat_activity: the chain's advisory lock, row locks, or nothing (CPU)."""
        label = "this checkout" if Path(app_root) == ROOT else f"the app of {app_root}"
        with self.gunicorn(Path(app_root)) as port:
            spread, shares = self.sampled_throughput(port, CONCURRENT_COUNTIES[:4])
            same = self.throughput(port, (COUNTY,) * 4)
        self.record(
            f"create + approve throughput, 4 clients in 4 counties ({label})", spread,
            "pairs/s", None, None,
            f"4 in one county {same:.1f} pairs/s, ratio {spread / same:.2f}×; the writers' "
            f"database sessions, while active: {shares} (gunicorn 4 workers, 20 s each)",
        )  # fmt: skip

    def sampled_throughput(self, port: int, counties) -> tuple[float, str]:
        """``throughput``, with the shares of what the writers' database sessions waited on
        meanwhile (sampled every 20 ms from pg_stat_activity), as text."""
        waits: dict[str, int] = {}
        stop = threading.Event()
        sampler = threading.Thread(target=self._sample_waits, args=(waits, stop))
        sampler.start()
        cpu_before = _cpu_times()
        try:
            rate = self.throughput(port, counties)
        finally:
            stop.set()
            sampler.join()
        busy = sum(waits.values()) or 1
        shares = ", ".join(
            f"{name} {count / busy:.0%}"
            for name, count in sorted(waits.items(), key=lambda w: -w[1])
        )
        return rate, f"{shares}; the machine's cores {_busy_since(cpu_before):.0%} busy"

    def _sample_waits(self, waits: dict[str, int], stop: threading.Event) -> None:
        with self.engine.connect() as conn:
            while not stop.is_set():
                rows = conn.execute(
                    sa.text(
                        "SELECT wait_event_type, wait_event FROM pg_stat_activity "
                        "WHERE state = 'active' AND pid <> pg_backend_pid() "
                        "AND datname = current_database()"
                    )
                ).all()
                for kind, event in rows:
                    if kind == "Lock" and event == "advisory":
                        name = "waiting for the chain's lock"
                    elif kind == "Lock":
                        name = f"waiting for a {event} lock"
                    elif kind is None:
                        name = "running (CPU)"
                    else:
                        name = f"{kind}:{event}"
                    waits[name] = waits.get(name, 0) + 1
                conn.rollback()
                time.sleep(0.02)

    def _timed_pairs(self, port, county, heads, stop, tag, while_alive=None) -> list[float]:
        pairs: list[float] = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        i = 0
        while time.monotonic() < stop and (while_alive is None or while_alive.is_alive()):
            started = time.perf_counter()
            self._pair(conn, county, heads, f"BENCH-{tag}-{county}-{time.time_ns()}-{i}")
            if while_alive is None or while_alive.is_alive():
                pairs.append(time.perf_counter() - started)
            i += 1
        return pairs

    def throughput(self, port: int, counties, seconds: float = 20) -> float:
        """create + approve pairs per second, one client per entry of ``counties``."""
        heads = {c: (self._http_token(port, f"maker_{c}"), self._http_token(port, f"checker_{c}"))
                 for c in set(counties)}  # fmt: skip
        stop = time.monotonic() + seconds
        pairs: list[float] = []
        lock = threading.Lock()

        def loop(n_county):
            n, county = n_county
            self._write_loop(port, county, heads[county], stop, pairs, lock, f"C{n}")

        with ThreadPoolExecutor(len(counties)) as pool:
            list(pool.map(loop, enumerate(counties)))
        return len(pairs) / seconds

    def _pair(self, conn, county, heads, voucher) -> None:
        maker, checker = heads
        body = json.dumps(self.payment_body(county, voucher))
        status, data = _call(conn, "POST", "/api/v1/disbursements", body, maker)
        assert status == 201, data[:300]
        pid = json.loads(data)["id"]
        status, data = _call(conn, "POST", f"/api/v1/disbursements/{pid}/approve", "", checker)
        assert status == 200, data[:300]

    def _write_loop(self, port, county, heads, stop, pairs, lock, tag) -> None:
        """create + approve payments of ``county`` until ``stop``, timing each pair."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        stamp = time.time_ns()
        i = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            self._pair(conn, county, heads, f"BENCH-{tag}-{county}-{stamp}-{i}")
            with lock:
                pairs.append(time.perf_counter() - started)
            i += 1

    def _http_token(self, port, username) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"username": username, "password": PASSWORD})
        status, data = _call(conn, "POST", "/api/v1/tokens", body, {})
        assert status == 201, data[:300]
        return {"Authorization": f"Bearer {json.loads(data)['token']}"}

    # -- 7: notice PDF -----------------------------------------------------------------

    def notice(self):
        with self.engine.connect() as conn:
            allocation = conn.execute(
                sa.text(
                    "SELECT id FROM allocations WHERE fund_id = :f AND from_region_code = '430000'"
                    " ORDER BY id LIMIT 1"
                ),
                {"f": self.funds[f"{self.last_year}-BX"]},
            ).scalar()
        headers = self.token("checker_430000")

        def pdf():
            response = self.client.get(f"/api/v1/allocations/{allocation}/notice.pdf",
                                       headers=headers)  # fmt: skip
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            assert response.data[:4] == b"%PDF"

        first = timed(pdf, 1, warmup=0)[0] * 1000
        ms = median_ms(timed(pdf, self.repeat, warmup=0))
        self.record(
            "allocation notice PDF (API)", ms, "ms", "≤ 1 s", ms <= 1000,
            f"first (cold: fonts) {first:.0f} ms",
        )  # fmt: skip

    # -- report ----------------------------------------------------------------------------

    def write(self, path: Path, args, elapsed: float, generated: str):
        mem = _meminfo_gb()
        lines = [
            "# Benchmarks",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/run.py` "
            f"(issue #9); medians of {args.repeat} runs after one warm-up unless a line says "
            "otherwise.",
            "",
            f"- **data**: N = {self.n:,} payments (`bench/generate.py --disbursements {self.n}`; "
            f"{self.transactions:,} sealed transactions, {self.versions:,} payment versions, "
            f"5 years × 3 funds, 137 regions){generated}",
            f"- **machine**: {os.cpu_count()} cores (nproc), {mem:.0f} GB RAM, "
            f"{platform.platform()}, Python {platform.python_version()}",
            f"- **database**: PostgreSQL {self.pg_version}, on the same machine, default "
            "settings; the app, gunicorn and the clients share the cores with it",
            f"- run time of the benchmark: {elapsed / 60:.1f} min",
            "",
            "| measure | figure | target | |",
            "|---|---|---|---|",
        ]
        for r in self.results:
            mark = "" if r["ok"] is None else ("met" if r["ok"] else "**missed**")
            lines.append(
                f"| {r['name']} | {r['figure']:,.1f} {r['unit']} — {r['detail']} "
                f"| {r['target'] or '—'} | {mark} |"
            )
        commands = [c.replace("1000000", str(self.n)) for c in COMMANDS]
        lines += ["", *self.notes, "", "## Reproduce", "", "```sh", *commands, "```", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        print(f"wrote {path}")


COMMANDS = [
    "psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE ft_bench'",
    "export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/ft_bench",
    "export SECRET_KEY=bench-secret-key-that-is-long-enough-0123456789",
    ".venv/bin/flask --app fundtrack db upgrade",
    ".venv/bin/python bench/generate.py --disbursements 1000000",
    "make bench          # = .venv/bin/python bench/run.py, writes BENCHMARKS.md",
    "# a database generated before balances were kept upgrades in place: flask db upgrade",
    "psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE ft_bench WITH (FORCE)'",
]


def _call(conn, method, path, body, headers):
    conn.request(method, path, body=body.encode() if body else None,
                 headers={"Content-Type": "application/json", **headers})  # fmt: skip
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def _upload(port: int, path: str, data: bytes, headers: dict) -> int:
    """POST ``data`` as the multipart file field of an import; the answer's status."""
    boundary = f"bench{time.time_ns()}"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="bench-import.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    content_type = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    conn.request("POST", path, body=body, headers={**content_type, **headers})
    response = conn.getresponse()
    response.read()
    return response.status


def _login(base: str, username: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login") as response:
        page = response.read().decode()
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    data = urllib.parse.urlencode(
        {"csrf_token": match.group(1), "username": username, "password": PASSWORD}
    ).encode()
    with opener.open(base + "/login", data=data) as response:
        response.read()
    with opener.open(base + "/") as response:
        assert "/login" not in response.url, f"{username} could not log in"
    return opener


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def _cpu_times() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and waiting for IO
    return sum(ticks) - idle, sum(ticks)


def _busy_since(before: tuple[int, int]) -> float:
    """The share of the machine's cores that were busy since ``before`` (all processes: the
    app, PostgreSQL and the clients share them)."""
    busy, total = _cpu_times()
    return (busy - before[0]) / max(total - before[1], 1)


def _meminfo_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--load-seconds", type=float, default=30)
    parser.add_argument("--writers", type=int, nargs="*", default=[0, 2, 8],
                        help="pages: clients writing payments during each page load")  # fmt: skip
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--note", action="append", default=[],
                        help="a paragraph to add to BENCHMARKS.md")  # fmt: skip
    parser.add_argument("--generated", default="", help="how long bench/generate.py took")
    parser.add_argument("--only", nargs="*", default=None,
                        help="balances writes import verify witnesses sealing pages "
                             "contention notice")  # fmt: skip
    parser.add_argument("--app-root", default=str(ROOT),
                        help="sealing, pages: the checkout whose app gunicorn serves (an older "
                             "commit's, to measure before a change)")  # fmt: skip
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql", "postgres:")):
        sys.exit("bench/run.py needs DATABASE_URL=postgresql+psycopg://… of a generated database")

    url = normalise_database_url(url)
    os.chdir(ROOT)
    started = time.monotonic()
    bench = Bench(url, args.repeat)
    steps = {
        "balances": bench.balances,
        "writes": bench.writes,
        "notice": bench.notice,
        "pages": lambda: bench.pages(args.users, args.load_seconds, args.writers, args.app_root),
        "contention": lambda: bench.contention(args.import_rows),
        "verify": bench.verify,
        "witnesses": bench.witnesses,
        "sealing": lambda: bench.sealing(args.app_root),
        "import": lambda: bench.excel_import(args.import_rows),
    }
    for name, step in steps.items():
        if args.only is None or name in args.only:
            step()
    bench.notes = args.note
    generated = f"; generated in {args.generated}" if args.generated else ""
    bench.write(Path(args.out), args, time.monotonic() - started, generated)


if __name__ == "__main__":
    main()
