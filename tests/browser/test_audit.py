"""An auditor reads a payment's history with its changes, and the access log."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fact, login, nav, row_with

VOUCHER = "耒财〔2017〕凭0612-01"  # 20,000.00 元 to 王建国, made and approved in the demo


def test_auditor_reads_history_and_access_log(page, shot):
    """The auditor follows a payment to its history (who changed what, when, why), reveals
    the payee's ID number once, and finds that reveal and the login in the access log."""
    login(page, "auditor")
    shot("home")
    nav(page, "支出")
    row_with(page, VOUCHER).get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已审批")
    expect(fact(page, "收款人")).to_have_text("王建国")
    # an auditor reads and changes nothing
    expect(page.get_by_role("button", name=re.compile("^(冲销|审批|退回)"))).to_have_count(0)
    masked = fact(page, "身份证号码")
    expect(masked).to_contain_text("*")
    shot("payment")

    masked.get_by_role("button", name="显示完整号码").click()
    expect(fact(page, "身份证号码")).to_contain_text("已记录本次查看")
    expect(fact(page, "身份证号码").locator("strong")).to_have_text(
        re.compile(r"^430481\d{11}[\dX]$")
    )
    shot("revealed")

    page.get_by_role("link", name="变更历史").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^支出 #\d+ · 变更历史$"))
    entries = page.locator("section.history-entry")
    expect(entries).to_have_count(2)
    created, approved = entries.nth(0), entries.nth(1)
    expect(created.get_by_role("heading")).to_contain_text("新建")
    expect(created).to_contain_text("耒阳市计生协财务")
    expect(created.get_by_role("row").filter(has_text="金额")).to_contain_text("20,000.00")
    expect(approved.get_by_role("heading")).to_contain_text("修改")
    expect(approved).to_contain_text("耒阳市计生协审批")
    expect(approved).to_contain_text(f"审批支出 {VOUCHER}")  # the reason
    status = approved.get_by_role("row").filter(has_text="状态")
    expect(status.get_by_role("cell")).to_have_text(["待审批", "已审批"])
    approver = approved.get_by_role("row").filter(has_text="审批人")
    expect(approver.get_by_role("cell")).to_have_text(["—", "耒阳市计生协审批"])
    shot("history")

    nav(page, "访问日志")
    expect(page.get_by_role("heading", name="访问日志")).to_be_visible()
    page.get_by_label("用户名").fill("auditor")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("table.data tbody tr")
    # newest first: this test's reveal, then its login (other browser tests log in as the
    # auditor too, earlier)
    expect(rows.nth(0)).to_contain_text("查看完整身份证号码")
    expect(rows.nth(1)).to_contain_text("登录")
    expect(rows.nth(0)).to_contain_text("127.0.0.1")
    expect(rows.nth(1)).to_contain_text("127.0.0.1")
    shot("access-log")

    page.get_by_label("事件").select_option(label="登录")
    page.get_by_role("button", name="筛选").click()
    expect(rows.first).to_contain_text("auditor")
    expect(rows.filter(has_text="查看完整身份证号码")).to_have_count(0)
    shot("access-log-logins")
