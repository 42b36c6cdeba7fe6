"""A county records a payment; a running cost outside the fund's earmark is refused.

The payment form offers only the fund's earmarked categories, so the refusal is reached by
a forged form: the page's category list is given an extra option (办公费) before sending.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fact, flash, login, nav, row_with, yuan

NOT_EARMARKED = "「办公费」不在三结合项目经费的用途范围内（专款专用），不能列支"


def _payment_form(page):
    """From the home page to the payment form of 耒阳市's 2017 三结合 money."""
    nav(page, "首页")
    row_with(page, "2017-SJH").get_by_role("link").first.click()
    page.get_by_role("link", name="记录支出").click()
    expect(page.get_by_role("heading", name=re.compile("^记录支出"))).to_contain_text("2017-SJH")


def _fill(page, *, amount, paid_on, payee, voucher, purpose):
    page.get_by_label("金额（元）").fill(amount)
    page.get_by_label("支付日期").fill(paid_on)
    page.get_by_label("收款人", exact=True).fill(payee)
    page.get_by_label("凭证号").fill(voucher)
    page.get_by_label("用途说明").fill(purpose)


def _forge_category(page, code: str, name: str) -> None:
    """What a forged request sends: a category the form does not offer."""
    page.get_by_label("支出科目").evaluate(
        """(select, [code, name]) => {
            select.add(new Option(name, code));
            select.value = code;
        }""",
        [code, name],
    )


def test_payment_outside_earmark_refused(page, shot):
    """耒阳市 records a 技能培训 payment, then is refused 办公费 with its values kept."""
    login(page, "leiyang_finance")
    _payment_form(page)
    available = yuan(page.locator("#available").inner_text())
    categories = page.get_by_label("支出科目").locator("option").all_inner_texts()
    assert categories == ["请选择", "项目扶持", "技能培训"]  # the earmark, and nothing else
    shot("form")

    page.get_by_label("支出科目").select_option(label="技能培训")
    _fill(
        page,
        amount="6,000.00",
        paid_on="2017-12-05",
        payee="耒阳市农业技术推广站",
        voucher="耒财〔2017〕凭1205-11",
        purpose="计生家庭油茶种植技能培训",
    )
    shot("filled")
    page.get_by_role("button", name="保存（待审批）").click()
    expect(flash(page)).to_have_text("已记录支出（凭证号 耒财〔2017〕凭1205-11），等待审批")
    expect(page.get_by_role("heading", level=1)).to_contain_text("待审批")
    expect(fact(page, "科目")).to_have_text("技能培训")
    expect(fact(page, "金额")).to_have_text("6,000.00 元")
    shot("recorded")

    _payment_form(page)
    # a pending payment holds its money at once
    assert yuan(page.locator("#available").inner_text()) == available - 6000
    _fill(
        page,
        amount="3,000.00",
        paid_on="2017-12-06",
        payee="耒阳市某文具店",
        voucher="耒财〔2017〕凭1206-12",
        purpose="协会办公用品",
    )
    _forge_category(page, "office", "办公费")
    shot("forged")
    page.get_by_role("button", name="保存（待审批）").click()

    expect(page.get_by_role("alert").filter(has_text=NOT_EARMARKED)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^记录支出"))).to_be_visible()
    # what was typed is kept; the refused category is not offered again
    expect(page.get_by_label("金额（元）")).to_have_value("3,000.00")
    expect(page.get_by_label("支付日期")).to_have_value("2017-12-06")
    expect(page.get_by_label("收款人", exact=True)).to_have_value("耒阳市某文具店")
    expect(page.get_by_label("凭证号")).to_have_value("耒财〔2017〕凭1206-12")
    expect(page.get_by_label("用途说明")).to_have_value("协会办公用品")
    expect(page.get_by_label("支出科目").locator("option")).to_have_text(
        ["请选择", "项目扶持", "技能培训"]
    )
    assert yuan(page.locator("#available").inner_text()) == available - 6000
    shot("refused")

    nav(page, "支出")
    expect(row_with(page, "耒财〔2017〕凭1205-11")).to_contain_text("待审批")
    expect(page.get_by_text("耒财〔2017〕凭1206-12")).to_have_count(0)
    shot("payments")


def test_earmark_refusal_next_to_category(page, shot):
    """The refusal sits at the field it is about: 支出科目."""
    login(page, "leiyang_finance")
    _payment_form(page)
    page.get_by_label("支出科目").select_option(label="项目扶持")
    _fill(
        page,
        amount="500.00",
        paid_on="2017-12-07",
        payee="耒阳市某印刷厂",
        voucher="耒财〔2017〕凭1207-13",
        purpose="协会宣传册印刷",
    )
    _forge_category(page, "printing", "印刷费")
    page.get_by_role("button", name="保存（待审批）").click()
    expect(page.get_by_role("alert").filter(has_text="专款专用")).to_be_visible()
    shot("refused")
    category_field = page.locator(".field").filter(has=page.get_by_label("支出科目"))
    expect(category_field.get_by_role("alert")).to_contain_text("印刷费", timeout=1000)
    expect(page.get_by_label("支出科目")).to_have_attribute("aria-invalid", "true", timeout=1000)
