"""Allocations and payments in English for a user who chose English; Chinese for everyone else.

These read the English catalogue: they pass once the translations of ``i18n-pending/money.json``
are merged and compiled (``scripts/i18n.py update --merge``).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation, AllocationRecall
from tests.conftest import DEMO_PASSWORD, csrf_token, switch_language


def _logged_in(app, username: str):
    """A new browser logged in as ``username`` through the login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(page), "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302, username
    return client


def _field_error(html: str, field: str) -> str:
    """The refusal shown next to a form field (``macros.field``)."""
    match = re.search(rf'<p class="error" id="{field}-error" role="alert">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def _refuse_office_supplies(client, fund_id: int):
    url = f"/disbursements/new?fund_id={fund_id}"
    page = client.get(url).get_data(as_text=True)
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "category": "office",
            "amount": "100.00",
            "paid_on": "2017-12-01",
            "payee_name": "某文具店",
            "voucher_no": "耒财〔2017〕凭1201-98",
            "beneficiary_id": "0",
        },
    )


def test_an_english_maker_sees_the_allocation_list_and_form_in_english(
    app, client, web_login, user, fund_id
):
    web_login("province_maker")
    switch_language(client, "en", "/allocations/")
    assert user("province_maker").language == "en"

    html = client.get("/allocations/").get_data(as_text=True)
    assert "<h1>Allocations</h1>" in html
    assert ">Allocate funds</a>" in html
    assert "Document number" in html and "Receiving region" in html
    assert 'aria-label="Filter by status"' in html
    assert ">Draft (to approve)</a>" in html and ">Approved</span>" in html
    assert "资金下达</h1>" not in html and "下达资金</a>" not in html
    assert "已审批</span>" not in html

    html = client.get(f"/allocations/new?fund_id={fund_id('2018-SJH')}").get_data(as_text=True)
    assert "Allocate funds" in html and "from 湖南省" in html
    assert ">Receiving region</label>" in html and ">Amount (yuan)</label>" in html
    assert ">Save draft</button>" in html
    assert "接收地区</label>" not in html and "保存草稿" not in html

    # a refused form: the field messages in English
    page = client.get("/allocations/new").get_data(as_text=True)
    response = client.post(
        "/allocations/new",
        data={"csrf_token": csrf_token(page), "fund_id": fund_id("2018-SJH"),
              "to_region": "430500", "amount": "100.00", "document_no": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Please enter the document number" in _field_error(
        response.get_data(as_text=True), "document_no"
    )

    # the province's checker did not switch: Chinese
    chinese = _logged_in(app, "province_checker").get("/allocations/").get_data(as_text=True)
    assert "<h1>资金下达</h1>" in chinese and "已审批</span>" in chinese
    assert "<h1>Allocations</h1>" not in chinese


def test_a_non_earmarked_payment_is_refused_in_english_next_to_its_field(
    client, web_login, fund_id
):
    web_login("leiyang_finance")
    sjh = fund_id("2017-SJH")

    response = _refuse_office_supplies(client, sjh)
    assert response.status_code == 422
    chinese = _field_error(response.get_data(as_text=True), "category")
    assert chinese.startswith("「办公费」不在") and "专款专用" in chinese

    switch_language(client, "en", f"/disbursements/new?fund_id={sjh}")
    response = _refuse_office_supplies(client, sjh)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    english = _field_error(html, "category")
    # the category and the fund are data: their names stay as recorded
    assert english.startswith("“办公费” is not an earmarked category of ")
    assert "earmarked funds only" in english and "不在" not in english
    assert 'for="category">Expenditure category (only the fund' in html
    assert "Available balance of 耒阳市: " in html
    assert ">Save (pending approval)</button>" in html


def test_a_recall_draft_is_cancelled_from_the_allocation_page_in_either_language(
    app, client, web_login, api, db_session
):

    allocation_id = db_session.scalar(
        sa.select(Allocation.id)
        .where(Allocation.from_region_code == "430000", Allocation.status == "approved")
        .order_by(Allocation.id)
        .limit(1)
    )
    recall = api("province_maker").post(
        f"/api/v1/allocations/{allocation_id}/recall", json={"amount": "1.00", "reason": "测试收回"}
    )
    assert recall.status_code == 201, recall.get_json()
    recall_id = recall.get_json()["id"]
    cancel_url = f"/allocations/recalls/{recall_id}/cancel"

    # the province's checker, in Chinese, may cancel it too: the button is there
    chinese = _logged_in(app, "province_checker").get(f"/allocations/{allocation_id}")
    assert f'action="{cancel_url}"' in chinese.get_data(as_text=True)
    assert ">撤销收回草稿</button>" in chinese.get_data(as_text=True)
    # a county cannot: no button
    county = _logged_in(app, "leiyang_finance").get(f"/allocations/{allocation_id}")
    assert county.status_code in (200, 404)
    assert cancel_url not in county.get_data(as_text=True)

    web_login("province_maker")
    switch_language(client, "en", f"/allocations/{allocation_id}")
    html = client.get(f"/allocations/{allocation_id}").get_data(as_text=True)
    assert f'action="{cancel_url}"' in html and ">Cancel recall draft</button>" in html

    # without a reason: refused, nothing changes
    response = client.post(cancel_url, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    assert "A reason is required to cancel" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    response = client.post(
        cancel_url,
        data={"csrf_token": csrf_token(html), f"recall{recall_id}-reason": "录入错误"},
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Recall draft cancelled" in html and ">Cancelled</td>" in html
    assert cancel_url not in html
    status = db_session.scalar(
        sa.select(AllocationRecall.status).where(AllocationRecall.id == recall_id)
    )
    assert status == "cancelled"
