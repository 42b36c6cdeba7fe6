"""A checker reverses an approved payment, with a reason; the money is back."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fact, flash, login, nav, row_with, tree_row, yuan

VOUCHER = "耒财〔2017〕凭0821-03"  # 8,000.00 元 of 技能培训, approved in the demo
REASON = "培训未按计划举办，款项已退回（银行回单 2017-12-20）"


def test_payment_reversed_with_reason(page, shot):
    """耒阳市's checker reverses the demo's 技能培训 payment and the history keeps why."""
    login(page, "leiyang_checker")
    nav(page, "支出")
    expect(row_with(page, VOUCHER)).to_contain_text("已审批")
    shot("payments")
    row_with(page, VOUCHER).get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审批")
    expect(fact(page, "金额")).to_have_text("8,000.00 元")

    fact(page, "专项资金").get_by_role("link").click()
    before = tree_row(page, "430481")
    page.go_back()
    shot("payment")

    page.get_by_label("原因").fill(REASON)
    page.get_by_role("button", name="冲销").click()
    expect(flash(page)).to_have_text("已冲销，冲销记录已生成")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已冲销")
    expect(page.get_by_role("button", name="冲销")).to_have_count(0)  # once only
    shot("reversed")

    fact(page, "冲销记录").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审批")
    expect(fact(page, "金额")).to_have_text("-8,000.00 元")
    expect(fact(page, "用途")).to_contain_text(REASON)
    expect(fact(page, "冲销的原支出")).to_be_visible()
    shot("reversal-record")

    fact(page, "冲销的原支出").get_by_role("link").click()
    page.get_by_role("link", name="变更历史").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("变更历史")
    latest = page.locator("section.history-entry").last
    expect(latest).to_contain_text(REASON)
    expect(latest).to_contain_text("耒阳市计生协审批")
    expect(latest.get_by_role("row").filter(has_text="状态")).to_contain_text("已冲销")
    shot("history")

    page.go_back()
    fact(page, "专项资金").get_by_role("link").click()
    after = tree_row(page, "430481")
    assert yuan(after["disbursed"]) == yuan(before["disbursed"]) - 8000
    assert yuan(after["available"]) == yuan(before["available"]) + 8000
    shot("fund")
