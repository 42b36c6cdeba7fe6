"""A reversal is proposed by one person and takes effect when a checker approves it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fact, flash, login, logout, nav, row_with, tree_row, yuan

VOUCHER = "耒财〔2017〕凭0821-03"  # 8,000.00 元 of 技能培训, approved in the demo
REASON = "培训未按计划举办，款项已退回（银行回单 2017-12-20）"
OPINION = "同意冲销，已核对银行回单"


def _open_payment(page) -> None:
    nav(page, "支出")
    row_with(page, VOUCHER).get_by_role("link", name=re.compile(r"^#\d+$")).click()


def test_payment_reversed_by_two_people(page, shot):
    """耒阳市's finance officer proposes reversing the demo's 技能培训 payment; the money
    stays spent until 耒阳市's checker approves, and the history keeps both people's words."""
    login(page, "leiyang_finance")
    _open_payment(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审批")
    expect(fact(page, "金额")).to_have_text("8,000.00 元")
    fact(page, "专项资金").get_by_role("link").click()
    before = tree_row(page, "430481")
    page.go_back()
    shot("payment")

    page.get_by_label("冲销原因").fill(REASON)
    page.get_by_label("冲销日期").fill("2017-12-20")
    page.get_by_role("button", name="提交冲销申请").click()
    expect(flash(page)).to_have_text("已提交冲销申请，须由另一位审批人员审批后生效")
    expect(page.get_by_role("heading", level=1)).to_contain_text("待审批")
    expect(fact(page, "金额")).to_have_text("-8,000.00 元")
    # the proposer is told why the approval is not theirs
    expect(page.get_by_role("note")).to_contain_text("须由另一位审批人员审批后才能生效")
    expect(page.get_by_role("button", name=re.compile("^审批通过"))).to_have_count(0)
    shot("proposed")

    # nothing has moved yet
    fact(page, "冲销的原支出").get_by_role("link").click()
    expect(fact(page, "冲销记录")).to_contain_text("冲销申请待审批")
    fact(page, "专项资金").get_by_role("link").click()
    assert tree_row(page, "430481") == before
    logout(page)

    login(page, "leiyang_checker")
    waiting = page.locator("section.waiting")
    waiting.get_by_role("link", name=re.compile("^待审批的冲销申请：1 件")).click()
    row_with(page, VOUCHER, "-8,000.00").get_by_role("link", name=re.compile(r"^#\d+$")).click()
    trail = page.locator("table.trail")
    expect(trail).to_contain_text("耒阳市计生协财务")
    expect(trail).to_contain_text(REASON)
    page.get_by_label("审批意见").fill(OPINION)
    shot("decision")
    page.get_by_role("button", name="审批通过，冲销生效").click()
    expect(flash(page)).to_have_text("已审批，冲销已生效")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审批")
    expect(fact(page, "用途")).to_contain_text(REASON)
    expect(page.locator("table.trail")).to_contain_text(OPINION)
    shot("approved")

    fact(page, "冲销的原支出").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已冲销")
    page.get_by_role("link", name="变更历史").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("变更历史")
    latest = page.locator("section.history-entry").last
    expect(latest).to_contain_text(OPINION)
    expect(latest).to_contain_text("耒阳市计生协审批")
    expect(latest.get_by_role("row").filter(has_text="状态")).to_contain_text("已冲销")
    shot("history")

    page.go_back()
    fact(page, "专项资金").get_by_role("link").click()
    after = tree_row(page, "430481")
    assert yuan(after["disbursed"]) == yuan(before["disbursed"]) - 8000
    assert yuan(after["available"]) == yuan(before["available"]) + 8000
    shot("fund")
