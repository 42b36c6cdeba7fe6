"""axe-core (WCAG 2.1 A and AA rules: labels, contrast, landmarks, names of buttons and links,
keyboard focus order) over every main page, as each role sees it, in Chinese and in English.

Each page is kept as a screenshot (the English ones show the switch at work). A violation
fails the test with axe's own description of the rule and the offending markup.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.helpers import login

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: user -> the pages that user works on (paths, or "first:<selector>" to follow the first
#: link the selector finds on the page before, so no test depends on a record's id)
WALKS = {
    "province_checker": [
        "/",
        "first:table.data tbody a[href^='/funds/']",
        "/allocations/",
        "first:table.data tbody a[href^='/allocations/']",
        "/allocations/?status=draft",
        "/disbursements/?status=pending",
        "/evaluations/",
        "first:table.data tbody a[href^='/evaluations/']",
        "/evaluations/rankings",
    ],
    "leiyang_finance": [
        "/",
        "/disbursements/",
        "first:table.data tbody a[href^='/disbursements/']",
        "/disbursements/new",
        "/beneficiaries/",
        "first:table.data tbody a[href^='/beneficiaries/']",
        "/beneficiaries/publicities",
        "first:table.data tbody a[href^='/beneficiaries/publicities/']",
        "/allocations/new",
        "/imports/",
        "/bank-files/",
    ],
    "auditor": [
        "/audit/access-log",
        "/allocations/",
        "first:table.data tbody a[href^='/allocations/']",
        "first:main a[href*='/history/']",
    ],
}


def _axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = []
    for violation in results.response["violations"]:
        nodes = "; ".join(node["html"][:160] for node in violation["nodes"][:3])
        found.append(f"{page.url} [{violation['id']}] {violation['help']}: {nodes}")
    return found


def _walk(page: Page, steps: list[str], shot) -> list[str]:
    """Visit each step, check it with axe and keep a screenshot of it."""
    found = []
    for step in steps:
        if step.startswith("first:"):
            link = page.locator(step.removeprefix("first:")).first
            page.goto(link.get_attribute("href"))
        else:
            page.goto(step)
        found += _axe_violations(page)
        shot(re.sub(r"\W+", "-", page.url.split("/", 3)[-1]).strip("-") or "home")
    return found


def test_login_page_meets_wcag_aa(page):
    page.goto("/login")
    assert _axe_violations(page) == []


@pytest.mark.parametrize("username", sorted(WALKS))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_main_pages_meet_wcag_aa(page, shot, username, language):
    login(page, username)
    if language == "zh":
        assert _walk(page, WALKS[username], shot) == []
        return
    # the choice is kept on the account, and the browser tests share one database: the
    # demo user is switched back to Chinese whatever happens
    page.get_by_role("button", name="English").click()
    try:
        assert _walk(page, WALKS[username], shot) == []
    finally:
        page.goto("/")
        page.get_by_role("button", name="简体中文").click()


def test_the_check_finds_an_unlabelled_input(page):
    """The check is live: an input without a label on the login page is a violation."""
    page.goto("/login")
    page.evaluate("document.querySelector('form').append(document.createElement('input'))")
    assert any("[label]" in violation for violation in _axe_violations(page))
