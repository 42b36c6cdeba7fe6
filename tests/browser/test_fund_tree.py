"""The fund page's balance tree folds a prefecture's counties away and back, by mouse and by
keyboard, and all at once (static/tree.js)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import login, row_with


def test_a_prefecture_folds_its_counties(page, shot):
    login(page, "province_checker")
    row_with(page, "2018-BX").get_by_role("link").first.click()
    tree = page.locator("table.tree")
    county = tree.locator("tbody tr", has_text="430481")
    expect(county).to_be_visible()
    toggle = page.get_by_role("button", name="衡阳市的下级地区")
    expect(toggle).to_have_attribute("aria-expanded", "true")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(county).to_be_hidden()
    expect(tree.locator("tbody tr", has_text="431100")).to_be_visible()  # another prefecture
    shot("folded")

    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(county).to_be_visible()

    page.get_by_role("button", name="全部收起").click()
    expect(county).to_be_hidden()
    page.get_by_role("button", name="全部展开").click()
    expect(county).to_be_visible()
    shot("unfolded")
