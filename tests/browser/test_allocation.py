"""The province allocates money to a prefecture: a maker prepares, a checker approves."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fact, flash, login, logout, nav, row_with, tree_row, yuan

OPINION = "同意，按湘计生协〔2018〕文件执行"
DOCUMENT_NO = "湘计生协〔2018〕21号"


def _open_fund(page, code: str) -> None:
    """From the home page to a fund's page, by the fund's row."""
    nav(page, "首页")
    row_with(page, code).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)


def test_allocation_approved_from_queue(page, shot):
    """A provincial maker prepares an allocation to 株洲市, a provincial checker approves it
    from the queue, and the fund page shows the money move."""
    login(page, "province_maker")
    shot("home")
    _open_fund(page, "2018-SJH")
    province_before = tree_row(page, "430000")
    # 株洲市 has no 2018 三结合 money yet
    expect(page.locator("table.tree tbody tr").filter(has_text="430200")).to_have_count(0)
    shot("fund-before")

    page.get_by_role("link", name="下达资金").click()
    expect(page.get_by_role("heading", name=re.compile("^下达资金"))).to_be_visible()
    expect(page.get_by_label("专项资金").locator("option:checked")).to_contain_text("2018-SJH")
    page.get_by_label("接收地区").select_option(label="430200 株洲市")
    page.get_by_label("金额（元）").fill("300,000")
    page.get_by_label("文号").fill(DOCUMENT_NO)
    page.get_by_label("事由").fill("2018年三结合项目经费第二批：株洲市计生家庭种养殖扶持")
    shot("form")
    page.get_by_role("button", name="保存草稿").click()

    expect(flash(page)).to_have_text(f"已保存资金下达草稿（{DOCUMENT_NO}），等待审批")
    expect(page.get_by_role("heading", level=1)).to_contain_text("草稿")
    expect(fact(page, "接收地区")).to_have_text("株洲市")
    expect(fact(page, "金额")).to_have_text("300,000.00 元")
    # a maker never approves its own draft
    expect(page.get_by_role("button", name=re.compile("^审批"))).to_have_count(0)
    shot("draft")

    # the draft already holds the money at the province
    fact(page, "专项资金").get_by_role("link").click()
    province_draft = tree_row(page, "430000")
    assert yuan(province_draft["allocated"]) == yuan(province_before["allocated"]) + 300_000
    assert yuan(province_draft["available"]) == yuan(province_before["available"]) - 300_000
    shot("fund-with-draft")
    logout(page)

    login(page, "province_checker")
    nav(page, "下达待审批")
    expect(page.get_by_role("heading", name="资金下达")).to_be_visible()
    row = row_with(page, DOCUMENT_NO)
    expect(row).to_contain_text("株洲市")
    expect(row).to_contain_text("300,000.00")
    shot("queue")
    row.get_by_role("link", name="审批").click()
    # the decision page shows who proposed, when and why, before the checker decides
    trail = page.locator("table.trail")
    expect(trail).to_contain_text("省计生协财务经办")
    expect(trail).to_contain_text("2018年三结合项目经费第二批")
    expect(page.get_by_label("审批意见")).to_have_value("同意")
    page.get_by_label("审批意见").fill(OPINION)
    page.get_by_role("button", name="审批通过").click()

    expect(flash(page)).to_have_text("已审批，资金已下达")
    expect(page.locator("table.trail")).to_contain_text(OPINION)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审批")
    expect(page.get_by_role("link", name="下载资金下达通知（PDF）")).to_be_visible()
    shot("approved")

    fact(page, "专项资金").get_by_role("link").click()
    zhuzhou = tree_row(page, "430200")
    assert yuan(zhuzhou["received"]) == 300_000
    assert yuan(zhuzhou["available"]) == 300_000
    province_after = tree_row(page, "430000")
    assert yuan(province_after["available"]) == yuan(province_before["available"]) - 300_000
    shot("fund-after")

    # the queue is empty of it now
    nav(page, "下达待审批")
    expect(page.locator("table.data tbody tr").filter(has_text=DOCUMENT_NO)).to_have_count(0)
