"""A prefecture's finance officer downloads the notice of an allocation it issued."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import fact, login, nav, open_pdf, row_with


def test_notice_pdf_downloaded(page, shot):
    """衡阳市 opens an allocation it issued and downloads its notice (资金下达通知)."""
    login(page, "hengyang_finance")
    shot("home")

    nav(page, "资金下达")
    expect(page.get_by_role("heading", name="资金下达")).to_be_visible()
    shot("allocations")

    # 衡阳市's own allocation of 2017 三结合 money to its county 耒阳市
    row_with(page, "衡计生协〔2017〕5号", "2017-SJH").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^资金下达 #\d+"))).to_contain_text(
        "已审批"
    )
    expect(fact(page, "接收地区")).to_have_text("耒阳市")
    expect(fact(page, "金额")).to_have_text("200,000.00 元")
    shot("allocation")

    pdf = open_pdf(page, page.get_by_role("link", name="下载资金下达通知（PDF）"))
    assert pdf.startswith(b"%PDF")
    shot.pdf("notice-pdf", pdf)

    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    for expected in ("衡阳市计划生育协会", "衡计生协〔2017〕5号", "耒阳市", "200,000.00元"):
        assert expected in text, expected
    page.go_back()
    expect(page.get_by_role("heading", name=re.compile(r"^资金下达 #\d+"))).to_be_visible()
