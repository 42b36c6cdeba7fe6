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
from fundtrack.config import normalise_database_url
from fundtrack.exchange.contract import DATA_SHEET, KINDS
from fundtrack.exchange.xlsx import template_bytes
from fundtrack.extensions import db
from fundtrack.users.models import User

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-Password-2021"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
COUNTY = "430481"  # 耒阳市
#: four counties of four prefectures, one per concurrent client
CONCURRENT_COUNTIES = ("430481", "431028", "431126", "430623")

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

        def hand():
            with self.engine.connect() as conn:
                return conn.execute(sa.text(HAND_SQL), {"f": fund_id}).all()

        items = {i["region"]: i for i in api()}
        sql = {row[0]: row for row in hand()}
        assert set(items) == set(sql), "the hand-written SQL disagrees with the API"
        for code, row in sql.items():
            assert items[code]["available"] == f"{row[4] / 100:.2f}", code
        as_of = f"{self.last_year}-09-30"
        # the computation itself, as after every write: the balance cache off (its hits are
        # reported beside, not instead)
        cache_size = self.app.config.get("BALANCE_CACHE_SIZE")
        self.app.config["BALANCE_CACHE_SIZE"] = 0
        try:
            api_ms = median_ms(timed(api, self.repeat))
            past_ms = median_ms(timed(lambda: api(f"?as_of={as_of}"), self.repeat))
        finally:
            self.app.config["BALANCE_CACHE_SIZE"] = cache_size
        cached_ms = median_ms(timed(api, self.repeat)) if cache_size else None
        sql_ms = median_ms(timed(hand, self.repeat))
        ratio = api_ms / sql_ms
        rows = self.fund_rows(fund_id)
        cached = f"; with the balance cache hit {cached_ms:.1f} ms" if cached_ms else ""
        self.record(
            f"province-wide balances of {self.last_year}-BX ({rows:,} payments), API",
            api_ms, "ms", "≤ 1.5 × SQL", ratio <= 1.5,
            f"hand-written SQL {sql_ms:.1f} ms, ratio {ratio:.2f}× (balance cache off{cached})",
        )  # fmt: skip
        ratio = past_ms / api_ms
        self.record(
            f"the same balances as of {as_of}, API", past_ms, "ms", "≤ 3 × today's",
            ratio <= 3, f"ratio {ratio:.2f}× today's {api_ms:.1f} ms (balance cache off)",
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
        ratio = sealed_ms / plain_ms
        self.record(
            "create + approve a payment via the API, versioned and sealed", sealed_ms, "ms",
            "≤ 2 × unversioned", ratio <= 2,
            f"versioning off {plain_ms:.1f} ms, ratio {ratio:.2f}× (test client, in process)",
        )  # fmt: skip

    # -- 4: import -------------------------------------------------------------------

    def excel_import(self, rows: int):

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
        for i in range(rows):
            row = dict(values, payee_name=f"导入测试合作社{i % 500}", voucher_no=f"IMP-{i:06d}")
            sheet.append([row.get(labels.get(title)) for title in header])
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
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
        self.record(
            "`flask audit verify` over all versions", seconds, "s", "≤ 60 s", seconds <= 60,
            f"{done.stdout.strip()} (one run)",
        )  # fmt: skip

    # -- 6: pages under load -------------------------------------------------------------

    def pages(self, users: int, seconds: float, writers: int = 0):
        """``users`` clients loop over the dashboard and a fund page; with ``writers``, as
        many more clients create and approve payments all the while (each commit is a new
        chain head, so the balance cache misses after every write)."""
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET,
               "FUNDTRACK_ENV": "development"}  # fmt: skip
        # --timeout: at N = 1,000,000 a page can take longer than gunicorn's default 30 s on
        # the loaded machine; a killed worker would end the run instead of measuring it
        gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "4", "--bind",
                    f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "300",
                    "wsgi:app"]  # fmt: skip
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(base + "/login")
            if not writers:
                self.throughput(port)
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
            #: (path, latency) of the requests started after the first third of the run:
            #: the cache has been filled by then (steady state without writes)
            late: dict[str, list[float]] = {"/": [], fund_page: []}
            lock = threading.Lock()
            sessions = [_login(base, name) for name in names]
            writer_heads = {c: (self._http_token(port, f"maker_{c}"),
                                self._http_token(port, f"checker_{c}"))
                            for c in CONCURRENT_COUNTIES[:writers]}  # fmt: skip
            stop = time.monotonic() + seconds
            settled = stop - seconds * 2 / 3
            pairs: list[float] = []

            def user_loop(opener):
                while time.monotonic() < stop:
                    for path in ("/", fund_page):
                        started = time.perf_counter()
                        later = time.monotonic() >= settled
                        with opener.open(base + path) as response:
                            response.read()
                            assert response.status == 200
                        with lock:
                            latencies[path].append(time.perf_counter() - started)
                            if later:
                                late[path].append(latencies[path][-1])

            def writer_loop(county):
                self._write_loop(port, county, writer_heads[county], stop, pairs, lock, "W")

            with ThreadPoolExecutor(len(sessions) + writers) as pool:
                done = [pool.submit(writer_loop, county) for county in writer_heads]
                list(pool.map(user_loop, sessions))
                for future in done:
                    future.result()
            total = sum(len(v) for v in latencies.values())
            cache = self.app.config.get("BALANCE_CACHE_SIZE", 0)
            cache = f"balance cache {cache} entries" if cache else "balance cache off"
            while_ = (f" while {writers} client{'s' if writers > 1 else ''} "
                      f"write{'' if writers > 1 else 's'}" if writers else "")  # fmt: skip
            wrote = (f", {len(pairs) / seconds:.1f} create + approve pairs/s written meanwhile"
                     if writers else "")  # fmt: skip
            for path, label in (("/", "dashboard /"), (fund_page, f"fund page {fund_page}")):
                samples = latencies[path]
                p95 = percentile(samples, 95) * 1000
                self.record(
                    f"{label} under {len(sessions)} concurrent users{while_}, p95", p95, "ms",
                    "p95 ≤ 200 ms", p95 <= 200,
                    f"p50 {percentile(samples, 50) * 1000:.0f} ms, {len(samples)} requests, "
                    f"after the first {seconds / 3:.0f} s p95 "
                    f"{percentile(late[path] or samples, 95) * 1000:.0f} ms "
                    f"p50 {percentile(late[path] or samples, 50) * 1000:.0f} ms, "
                    f"{total / seconds:.1f} req/s in all (gunicorn 4 workers, {seconds:.0f} s, "
                    f"{cache}{wrote})",
                )  # fmt: skip
        finally:
            server.terminate()
            server.wait(30)

    def throughput(self, port: int, seconds: float = 20):
        """create + approve pairs per second with 4 clients, one county each, on gunicorn."""
        headers = {c: (self._http_token(port, f"maker_{c}"), self._http_token(port, f"checker_{c}"))
                   for c in CONCURRENT_COUNTIES}  # fmt: skip
        stop = time.monotonic() + seconds
        pairs: list[float] = []
        lock = threading.Lock()

        def loop(county):
            self._write_loop(port, county, headers[county], stop, pairs, lock, "C")

        with ThreadPoolExecutor(len(CONCURRENT_COUNTIES)) as pool:
            list(pool.map(loop, CONCURRENT_COUNTIES))
        self.record(
            f"create + approve throughput, {len(CONCURRENT_COUNTIES)} concurrent clients",
            len(pairs) / seconds, "pairs/s", None, None,
            f"median pair {median_ms(pairs):.0f} ms, p95 {percentile(pairs, 95) * 1000:.0f} ms "
            f"(gunicorn 4 workers, same fund, {seconds:.0f} s)",
        )  # fmt: skip

    def _write_loop(self, port, county, heads, stop, pairs, lock, tag) -> None:
        """create + approve payments of ``county`` until ``stop``, timing each pair."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        maker, checker = heads
        stamp = int(time.time())
        i = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            body = json.dumps(self.payment_body(county, f"BENCH-{tag}-{county}-{stamp}-{i}"))
            status, data = _call(conn, "POST", "/api/v1/disbursements", body, maker)
            assert status == 201, data[:300]
            pid = json.loads(data)["id"]
            status, data = _call(conn, "POST", f"/api/v1/disbursements/{pid}/approve", "",
                                 checker)  # fmt: skip
            assert status == 200, data[:300]
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
    "psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE ft_bench WITH (FORCE)'",
]


def _call(conn, method, path, body, headers):
    conn.request(method, path, body=body.encode() if body else None,
                 headers={"Content-Type": "application/json", **headers})  # fmt: skip
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


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
    parser.add_argument("--writers", type=int, default=0,
                        help="pages: clients writing payments during the page load "
                             "(instead of the separate throughput measure)")  # fmt: skip
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--note", action="append", default=[],
                        help="a paragraph to add to BENCHMARKS.md")  # fmt: skip
    parser.add_argument("--generated", default="", help="how long bench/generate.py took")
    parser.add_argument("--only", nargs="*", default=None,
                        help="balances writes import verify pages notice")  # fmt: skip
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
        "pages": lambda: bench.pages(args.users, args.load_seconds, args.writers),
        "verify": bench.verify,
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
