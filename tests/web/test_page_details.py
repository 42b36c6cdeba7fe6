"""Details the browser run caught: titles are plain text, history shows Beijing time and
names rather than raw ids, a refused category is marked at its field."""

from __future__ import annotations

import re

import sqlalchemy as sa

from fundtrack.disbursements.models import Disbursement
from tests.conftest import csrf_token


def test_the_fund_page_title_is_only_the_fund(client, web_login, fund_id):
    web_login("province_checker")  # may close the year: the page carries that form
    html = client.get(f"/funds/{fund_id('2018-SJH')}").get_data(as_text=True)
    (title,) = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert "2018-SJH 三结合项目经费" in title
    assert "<" not in title and "csrf" not in title
    assert "年度结算</h2>" in html  # the form is still on the page, in its content


def test_history_shows_beijing_time_and_names(client, web_login, db_session):

    payment_id = db_session.scalar(
        sa.select(Disbursement.id).where(
            Disbursement.beneficiary_id.is_not(None), Disbursement.status == "approved"
        )
    )
    web_login("auditor")
    html = client.get(f"/history/disbursements/{payment_id}").get_data(as_text=True)
    assert " UTC" not in html
    assert re.search(r"<th scope=\"row\">受益人</th><td>—</td><td>[^<]+（#\d+）</td>", html)
    assert '<th scope="row">编号</th>' in html and '<th scope="row">id</th>' not in html


def test_a_category_outside_the_earmark_is_marked_at_its_field(client, web_login, fund_id):

    web_login("leiyang_finance")
    fid = fund_id("2017-SJH")
    form = client.get(f"/disbursements/new?fund_id={fid}").get_data(as_text=True)
    assert 'value="office"' not in form  # only earmarked categories are offered
    response = client.post(
        f"/disbursements/new?fund_id={fid}",
        data={"csrf_token": csrf_token(form), "fund_id": fid, "category": "office",
              "amount": "10.00", "paid_on": "2017-09-01", "payee_name": "某印刷厂",
              "voucher_no": "耒-X-1"},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422, response.status_code
    assert re.search(r'id="category-error"[^>]*>[^<]*专款专用', html)
    assert "某印刷厂" in html  # what was entered is kept


def test_a_reversed_payment_shows_why_and_when(client, web_login, api, db_session):

    payment_id = db_session.scalar(
        sa.select(Disbursement.id).where(
            Disbursement.status == "approved", Disbursement.region_code == "430481"
        )
    )
    reversed_ = api("leiyang_checker").post(
        f"/api/v1/disbursements/{payment_id}/reverse",
        json={"reason": "收款人重复领取"},
    )
    assert reversed_.status_code in (200, 201), reversed_.get_json()
    web_login("leiyang_finance")
    html = client.get(f"/disbursements/{payment_id}").get_data(as_text=True)
    reversal_date = db_session.scalar(
        sa.select(Disbursement.paid_on).where(Disbursement.reverses_id == payment_id)
    )
    assert "冲销：收款人重复领取" in html and f"（{reversal_date}，" in html
