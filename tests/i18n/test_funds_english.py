"""An English user reads the home dashboard and a fund page (facts, charts, balance tree,
year-end closing) in English; a Chinese user still reads them in Chinese. Reference data
(region and fund names) stays as it is in either language.

Needs the English catalogue with the translations of ``i18n-pending/funds.json`` merged and
compiled (``scripts/i18n.py update --merge …``).
"""

from __future__ import annotations

from tests.conftest import switch_language


def test_an_english_user_reads_the_home_dashboard_in_english(client, web_login):
    web_login("province_maker")
    switch_language(client, "en")
    html = client.get("/").get_data(as_text=True)
    assert "湖南省 · Special funds" in html
    assert "Special funds held or received by your region (amounts in" in html
    assert "Received by your region" in html and "Execution rate" in html
    assert "Budget lines and their itemisation" in html
    assert "本地区持有或收到的专项资金" not in html and "执行率" not in html
    assert "三结合项目经费" in html  # a fund's name is data


def test_an_english_user_reads_a_fund_page_in_english(client, web_login, fund_id):
    web_login("province_checker")  # may close the year: the page carries that form
    switch_language(client, "en")
    html = client.get(f"/funds/{fund_id('2018-SJH')}").get_data(as_text=True)
    for text in (
        "Earmarked categories (earmarked use only)",
        "Show the fund as it stood at a point in time",
        "Money flow",
        "Execution rate by prefecture",
        "Distribution of the fund (amounts in",
        "Allocated (incl. drafts)",
        "Paid (incl. pending approval)",
        "Available balance",
        "Year-end closing",
        "Active",  # the fund's status
        "Recall to the province (reuse of idle funds)",  # its year-end policy
        "Expand all",
    ):
        assert text in html, text
    for text in ("资金分布", "查看某一时点的资金状况", "各市州执行率", "年度结算</h2>", "执行中"):
        assert text not in html, text
    assert "衡阳市" in html  # region names are reference data
    tree = client.get(f"/funds/{fund_id('2017-SJH')}").get_data(as_text=True)
    assert 'data-toggle-label="Regions below 衡阳市"' in tree  # the tree's buttons
    assert "Execution rate by county" in tree


def test_an_english_user_sees_an_as_of_refusal_in_english(client, web_login, fund_id):
    web_login("auditor")
    switch_language(client, "en")
    html = client.get(f"/funds/{fund_id('2017-SJH')}?as_of=not-a-date").get_data(as_text=True)
    assert "enter a date (e.g. 2017-12-31)" in html
    assert "时点格式不正确" not in html


def test_a_chinese_user_still_reads_them_in_chinese(client, web_login, fund_id):
    web_login("province_checker")
    switch_language(client, "zh")
    home = client.get("/").get_data(as_text=True)
    assert "湖南省 · 专项资金" in home and "本地区持有或收到的专项资金" in home
    html = client.get(f"/funds/{fund_id('2018-SJH')}").get_data(as_text=True)
    for text in ("资金流向", "各市州执行率", "资金分布（金额单位：元）", "年度结算</h2>", "执行中",
                 "收回省级（盘活存量）", "全部展开"):  # fmt: skip
        assert text in html, text
    assert "Money flow" not in html and "Execution rate" not in html
