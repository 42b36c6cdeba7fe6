"""A county files its performance self-evaluation (绩效自评); the prefecture's checker
reviews it."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect

from tests.browser.helpers import flash, login, logout, nav, row_with

FUND = "2017-DKTX"  # 耒阳市 received 250,000.00 of it from 衡阳市 and has not filed yet


def _fill_indicators(page) -> Decimal:
    """Every indicator: what was achieved and a self score of 85 % of its weight."""
    rows = page.locator("table.indicators tbody tr")
    expect(rows).to_have_count(8)
    total = Decimal(0)
    for row in rows.all():
        weight = Decimal(row.get_by_label(re.compile("权重$")).input_value())
        score = (weight * Decimal("0.85")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        row.get_by_label(re.compile("实际完成值$")).fill("已完成")
        row.get_by_label(re.compile("自评分$")).fill(f"{score:.2f}")
        total += score
    return total


def test_evaluation_filed_and_reviewed(page, shot):
    """耒阳市 files its 2017 贷款贴息 evaluation; 衡阳市's checker approves it with a score."""
    login(page, "leiyang_finance")
    nav(page, "绩效评价")
    to_file = page.locator("section").filter(has=page.get_by_role("heading", name="本地区待填报"))
    expect(to_file).to_contain_text(FUND)
    shot("to-file")
    to_file.get_by_role("row").filter(has_text=FUND).get_by_role("button", name="开始填报").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("耒阳市 绩效自评")
    expect(page.get_by_role("heading", level=1)).to_contain_text("草稿")
    shot("form")
    total = _fill_indicators(page)
    page.get_by_label("自评总结").fill(
        "2017年度贴息资金全部按期拨付到户，带动计生家庭发展生产；个别贷款户还款延迟，已督促。"
    )
    shot("filled")
    page.get_by_role("button", name="保存并提交").click()

    expect(flash(page)).to_have_text("已提交，等待审核")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已提交")
    expect(page.get_by_role("button", name="保存并提交")).to_have_count(0)  # no longer editable
    shot("submitted")

    nav(page, "绩效评价")
    row = row_with(page, FUND, "耒阳市")
    expect(row).to_contain_text("已提交")
    expect(row).to_contain_text(f"{total:.2f}")
    logout(page)

    login(page, "hengyang_checker")
    nav(page, "绩效评价")
    page.get_by_role("navigation", name="按状态筛选").get_by_role("link", name="已提交").click()
    shot("queue")
    row_with(page, FUND, "耒阳市").get_by_role("link").click()
    review = page.locator("section").filter(has=page.get_by_role("heading", name="审核"))
    expect(review).to_be_visible()
    review.get_by_label("审定得分").fill("86.50")
    shot("review")
    review.get_by_role("button", name="审定通过").click()

    expect(flash(page)).to_have_text("已审定")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审定")
    expect(page.get_by_text("审定得分 86.50")).to_be_visible()
    expect(page.get_by_role("heading", name="审核")).to_have_count(0)
    shot("approved")

    nav(page, "绩效评价")
    expect(row_with(page, FUND, "耒阳市")).to_contain_text("86.50")
    shot("evaluations")
