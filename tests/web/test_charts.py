"""The fund page's charts are drawn from the same figures as its table and the balances API:
execution-rate bars per region below the viewer, the money flow of the fund, the as-of view,
and regions without money that must not break a chart."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fundtrack.funds.charts import BAR_PLOT, money_flow, rate_charts
from fundtrack.ledger.balances import BalanceRow
from tests.helpers import created, draft

BAR = re.compile(
    r'<g class="chart-bar" data-region="(\d+)" data-rate="([0-9.]*)">\s*<title[^>]*>.*?</title>\s*'
    r'<text class="chart-label"[^>]*>([^<]+)</text>',
    re.S,
)
NODE = re.compile(
    r'<g class="flow-node flow-node-(\w+)" data-key="([\w-]+)" data-column="(\d)" '
    r'data-amount-fen="(-?\d+)"'
)
LINK = re.compile(
    r'<path class="flow-link flow-link-(\w+)" d="([^"]+)"[^>]*data-source="([\w-]+)" '
    r'data-target="([\w-]+)" data-amount-fen="(-?\d+)"'
)


def _page(client, fund: int, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.get(f"/funds/{fund}" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _api_rows(api, username: str, fund: int, **params) -> dict[str, dict]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api(username).get(f"/api/v1/funds/{fund}/balances" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_json()
    return {row["region"]: row for row in response.get_json()["items"]}


def _rate_charts(html: str) -> dict[str, list[tuple[str, str, str]]]:
    """level -> [(region code, rate, name shown)] of each execution-rate chart, in order."""
    charts = {}
    for level, body in re.findall(
        r'<svg class="chart rate-chart"[^>]*data-level="(\w+)".*?>(.*?)</svg>', html, re.S
    ):
        charts[level] = BAR.findall(body)
    return charts


def _flow(html: str):
    (svg,) = re.findall(r'<svg class="chart flow-chart".*?</svg>', html, re.S)
    nodes = {
        key: (kind, int(column), int(amount)) for kind, key, column, amount in NODE.findall(svg)
    }
    links = [(kind, source, target, int(amount)) for kind, _d, source, target, amount
             in LINK.findall(svg)]  # fmt: skip
    return svg, nodes, links


def _fen(text: str) -> int:
    return int(Decimal(text) * 100)


def _assert_conserved(nodes, links):
    """Every node passes on what it receives; the outcomes hold all the money of the sources."""
    into, out_of = defaultdict(int), defaultdict(int)
    for _kind, source, target, amount in links:
        assert amount > 0
        out_of[source] += amount
        into[target] += amount
    for key, (_kind, column, amount) in nodes.items():
        if column == 0:
            assert out_of[key] == amount, key
        elif column == 1:
            assert into[key] == amount == out_of[key], key
        else:
            assert into[key] == amount, key
    sources = sum(amount for _k, column, amount in nodes.values() if column == 0)
    outcomes = sum(amount for _k, column, amount in nodes.values() if column == 2)
    assert sources == outcomes


def test_rate_bars_carry_the_regions_and_the_rates_of_the_balances(client, web_login, api, fund_id):
    fund = fund_id("2017-SJH")
    web_login("auditor")
    html = _page(client, fund)
    rows = _api_rows(api, "auditor", fund)
    charts = _rate_charts(html)
    assert set(charts) == {"prefecture", "county"}
    for level, bars in charts.items():
        expected = {code: row for code, row in rows.items() if row["level"] == level}
        assert {code for code, _rate, _name in bars} == set(expected)
        for code, rate, name in bars:
            assert name == expected[code]["region_name"]
            assert rate == (expected[code]["execution_rate"] or "")
        rates = [Decimal(rate) for _code, rate, _name in bars if rate]
        assert rates == sorted(rates, reverse=True)  # highest first
    # 耒阳市: 78,000.00 of 200,000.00 approved and paid; the table says the same
    assert ("430481", "0.3900", "耒阳市") in charts["county"]
    assert "39.00%" in html
    # the province's own rate is the reference line
    assert f"湖南省 整体 {Decimal(rows['430000']['execution_rate']) * 100:.2f}%" in html
    # accessible: a named image with a description, and the table stays as the data
    assert re.search(r'<svg class="chart rate-chart" role="img"[^>]*aria-labelledby=', html)
    assert '<title id="rate-chart-prefecture-title">各市州执行率</title>' in html
    assert '<desc id="rate-chart-prefecture-desc">' in html
    assert '<table class="data tree"' in html


def test_a_prefecture_sees_its_counties_and_a_county_its_own_bar(client, web_login, api, fund_id):
    fund = fund_id("2017-SJH")
    web_login("hengyang_finance")
    charts = _rate_charts(_page(client, fund))
    rows = _api_rows(api, "hengyang_finance", fund)
    assert list(charts) == ["county"]
    assert charts["county"] == [("430481", rows["430481"]["execution_rate"], "耒阳市")]

    web_login("leiyang_finance")
    html = _page(client, fund)
    assert _rate_charts(html) == {"own": [("430481", "0.3900", "耒阳市")]}
    assert "衡阳市" not in re.sub(r"<header.*?</header>", "", html, flags=re.S)


def test_the_flow_chart_holds_the_figures_of_the_fund(client, web_login, api, fund_id, fund):
    sjh = fund_id("2017-SJH")
    web_login("auditor")
    svg, nodes, links = _flow(_page(client, sjh))
    rows = _api_rows(api, "auditor", sjh)
    # the province received the budget, and all of it is somewhere
    assert nodes["root"] == ("root", 0, fund("2017-SJH").budget_fen)
    assert nodes["root"][2] == _fen(rows["430000"]["received"])
    _assert_conserved(nodes, links)
    for outcome, column in (("disbursed", "disbursed"), ("available", "available")):
        total = sum(_fen(row[column]) for row in rows.values())
        assert nodes.get(outcome, (outcome, 2, 0))[2] == total, outcome
    # each prefecture gets what it received from the province
    for code, row in rows.items():
        if row["parent"] == "430000":
            assert (f"r-{code}" in nodes) == (_fen(row["received"]) > 0)
            if f"r-{code}" in nodes:
                assert ("allocated", "root", f"r-{code}", _fen(row["received"])) in links
    # the province's own part: what it did not allocate
    assert nodes["own"][2] == _fen(rows["430000"]["available"])
    assert "湖南省本级" in svg and "可用余额" in svg
    assert not re.search(r'="[^"]*(nan|inf)[^"]*"', svg.lower())  # no broken geometry


def test_drafts_recalls_and_a_direct_allocation_keep_the_flow_whole(
    client, web_login, api, fund_id
):
    """A draft is money reserved; a county that got money straight from the province shows
    it as coming from elsewhere on its prefecture's page."""
    fund = fund_id("2018-SJH")
    created(draft(api("province_maker"), fund, "430200", "30000.00"))  # 株洲市: draft only
    direct = created(draft(api("province_maker"), fund, "430481", "50000.00"))  # to 耒阳市
    approved = api("province_checker").post(f"/api/v1/allocations/{direct['id']}/approve", json={})
    assert approved.status_code == 200, approved.get_json()

    web_login("auditor")
    html = _page(client, fund)
    _svg, nodes, links = _flow(html)
    _assert_conserved(nodes, links)
    assert nodes["reserved"][2] >= 3_000_000  # the draft, reserved at the province
    rows = _api_rows(api, "auditor", fund)
    assert nodes["root"][2] == _fen(rows["430000"]["received"])

    web_login("hengyang_finance")
    _svg, nodes, links = _flow(_page(client, fund))
    _assert_conserved(nodes, links)
    assert nodes["other"][1:] == (0, 5_000_000)  # the province's direct 50,000.00
    assert ("other", "other", "r-430481", 5_000_000) in links


def test_a_region_without_money_shows_no_broken_bar(client, web_login, api, fund_id):

    fund = fund_id("2018-SJH")
    created(draft(api("province_maker"), fund, "430200", "30000.00"))
    web_login("auditor")
    html = _page(client, fund)
    bars = dict((code, rate) for code, rate, _name in _rate_charts(html)["prefecture"])
    assert bars["430200"] == ""  # received nothing yet: no rate, no bar
    zhuzhou = re.search(r'<g class="chart-bar" data-region="430200".*?</g>', html, re.S).group(0)
    assert "<rect" not in zhuzhou and "未收到资金" in zhuzhou
    assert bars.popitem()[0] == "430200"  # after every region with a rate


@pytest.mark.parametrize("moment", ["2000-01-01"])
def test_before_any_record_there_is_no_chart_at_all(client, web_login, fund_id, moment):
    web_login("auditor")
    html = _page(client, fund_id("2017-SJH"), as_of=moment)
    assert "该时点本地区没有这笔资金的记录" in html
    assert "<svg" not in html.split("<main", 1)[1]


def test_an_as_of_view_draws_the_figures_of_then(client, web_login, api, fund_id):
    sjh = fund_id("2017-SJH")
    web_login("leiyang_finance")
    before = _rate_charts(_page(client, sjh))["own"]
    moment = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    # a payment recorded and approved: the rate of 耒阳市 goes up
    payment = api("leiyang_finance").post(
        "/api/v1/disbursements",
        json={"fund_id": sjh, "category": "project_support", "amount": "20000.00",
              "paid_on": "2017-12-10", "payee_name": "图表测试户", "voucher_no": "图表-1"},
    )  # fmt: skip
    assert payment.status_code == 201, payment.get_json()
    approved = api("leiyang_checker").post(
        f"/api/v1/disbursements/{payment.get_json()['id']}/approve", json={}
    )
    assert approved.status_code == 200, approved.get_json()

    now = _rate_charts(_page(client, sjh))["own"]
    assert now == [("430481", "0.4900", "耒阳市")] != before
    then = _page(client, sjh, as_of=moment)
    assert _rate_charts(then)["own"] == before
    _svg, nodes, _links = _flow(then)
    rows = _api_rows(api, "leiyang_finance", sjh, as_of=moment)
    assert nodes["disbursed"][2] == _fen(rows["430481"]["disbursed"])
    assert "截至 " in then and "（北京时间）的记录" in then


def test_the_home_page_shows_a_rate_bar_per_fund(client, web_login, api):
    web_login("leiyang_finance")
    html = client.get("/").get_data(as_text=True)
    assert '<svg class="minibar"' in html
    assert "39.00%" in html  # 2017 三结合 at 耒阳市


def test_the_tree_script_is_loaded_and_rows_know_their_parent(client, web_login, fund_id):
    web_login("auditor")
    html = _page(client, fund_id("2017-SJH"))
    assert '<script src="/static/tree.js" defer></script>' in html
    assert re.search(
        r'<tr class="depth-1" id="tree-430400" data-region="430400" data-parent="430000" '
        r'data-toggle-label="衡阳市的下级地区">',
        html,
    )
    assert re.search(r'<tr class="depth-2" id="tree-430481" data-region="430481" '
                     r'data-parent="430400">', html)  # fmt: skip
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles
    script = client.get("/static/tree.js")
    script.close()
    assert script.status_code == 200


def _row(code, parent, level, received=0, out=0, paid=0, spent=0):

    depth = {"province": 0, "prefecture": 1, "county": 2}[level]
    return BalanceRow(code, received, out, paid, 0, spent, f"地区{code}", level, parent, depth)


def test_the_flow_keeps_carry_ins_direct_allocations_and_drafts_apart(app_ctx):
    """Built from figures alone: a county got money carried in and one got money straight
    from the province; a draft to another prefecture is still reserved at the province."""
    rows = [
        _row("430000", None, "province", received=100_000, out=80_000, paid=5_000),
        _row("430100", "430000", "prefecture", received=60_000, out=20_000),
        _row("430102", "430100", "county", received=25_000, paid=3_000),  # 5,000 carried in
        _row("430103", "430100", "county", received=10_000),  # straight from the province
        _row("430200", "430000", "prefecture"),  # a draft of 10,000 only
    ]
    flows = {("430000", "430100"): 60_000, ("430100", "430102"): 20_000,
             ("430000", "430103"): 10_000}  # fmt: skip
    chart = money_flow(rows, "430000", flows)
    nodes = {n.key: (n.kind, n.column, n.amount_fen) for n in chart.nodes}
    links = [(link.kind, link.source, link.target, link.amount_fen) for link in chart.links]
    _assert_conserved(nodes, links)
    assert nodes["root"][2] == 100_000
    assert nodes["r-430100"][2] == 75_000 and "r-430200" not in nodes
    assert ("allocated", "root", "r-430100", 70_000) in links
    assert ("other", "other", "r-430100", 5_000) in links
    assert nodes["own"][2] == 30_000  # 5,000 paid, 15,000 available, 10,000 in a draft
    assert {k: nodes[k][2] for k in ("disbursed", "available", "reserved")} == {
        "disbursed": 8_000,
        "available": 87_000,
        "reserved": 10_000,
    }
    assert chart.total_fen == 105_000
    assert all("nan" not in link.path for link in chart.links)


def test_rates_above_100_percent_are_capped_in_length_but_not_in_value(app_ctx):

    rows = [
        _row("430000", None, "province", received=100, out=100, spent=150),
        _row("430100", "430000", "prefecture", received=100, paid=150, spent=150),
        _row("430200", "430000", "prefecture"),
    ]
    (chart,) = rate_charts(rows, "430000")
    first, empty = chart.bars
    assert (first.region_code, first.percent, first.width) == ("430100", "150.00%", BAR_PLOT)
    assert (empty.region_code, empty.rate, empty.width, empty.percent) == ("430200", None, 0, "—")
    assert rate_charts([], "430000") == [] and money_flow([], "430000", {}) is None
