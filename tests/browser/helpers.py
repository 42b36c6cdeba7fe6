"""What a person does on every page: log in and out, read amounts and table rows."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Download, Locator, Page, Route, expect

from tests.conftest import DEMO_PASSWORD

#: the columns of a fund page's balance tree, after the region
TREE_COLUMNS = ("received", "allocated", "disbursed", "carried_over", "available", "rate")


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form; lands on the home page."""
    page.goto("/login")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_have_text("已退出登录")


def nav(page: Page, name: str) -> None:
    """Follow one link of the main menu (首页, 资金下达, 下达待审批, 支出, …)."""
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name=name, exact=True).click()


def yuan(text: str) -> Decimal:
    """``"5,180,000.00"`` (as the pages show it) as a Decimal."""
    return Decimal(text.replace(",", "").replace("元", "").strip())


def flash(page: Page) -> Locator:
    """The message shown after an action (success or refusal)."""
    return page.locator("p.flash")


def row_with(page: Page, *texts: str, table: str = "table.data") -> Locator:
    """The one table row that contains every one of ``texts``."""
    rows = page.locator(f"{table} tbody tr")
    for text in texts:
        rows = rows.filter(has_text=text)
    expect(rows).to_have_count(1)
    return rows


def tree_row(page: Page, region_code: str) -> dict[str, str]:
    """One region's figures in a fund page's balance tree, by column."""
    row = row_with(page, region_code, table="table.tree")
    cells = row.locator("td").all_inner_texts()
    return dict(zip(TREE_COLUMNS, cells, strict=True))


def fact(page: Page, term: str) -> Locator:
    """The value (``dd``) of one term (``dt``) in a record's fact list."""
    return page.locator(f"dl.facts dt:text-is('{term}') + dd")


def open_pdf(page: Page, link: Locator) -> bytes:
    """Follow a link to a PDF as a person would, and return the bytes the browser received.

    Chromium saves a PDF sent as an ``attachment`` as a download, whose file is read here.
    One sent ``inline`` it shows in its own viewer, which keeps the bytes to itself: the
    answer is then read on its way to the browser (passed on unchanged).
    """
    received: dict[str, bytes] = {}
    downloads: list[Download] = []

    def pass_on(route: Route) -> None:
        response = route.fetch()
        received["body"] = response.body()
        route.fulfill(response=response)

    def keep(download: Download) -> None:
        downloads.append(download)

    pdf_url = re.compile(r"\.pdf(\?.*)?$")
    page.route(pdf_url, pass_on)
    page.on("download", keep)
    try:
        with page.expect_response(pdf_url) as info:
            link.click()
        response = info.value
        assert response.ok, response.status
        assert response.header_value("content-type") == "application/pdf"
        if "attachment" in (response.header_value("content-disposition") or ""):
            download = downloads[0] if downloads else page.wait_for_event("download")
            assert download.failure() is None, download.failure()
            return download.path().read_bytes()
        expect(page).to_have_url(pdf_url)  # shown in Chromium's PDF viewer
        return received["body"]
    finally:
        page.remove_listener("download", keep)
        page.unroute(pdf_url, pass_on)
