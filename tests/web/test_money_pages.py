"""A finance officer does each money task in the browser (server-side forms, CSRF included)."""

import re

import sqlalchemy as sa

from fundtrack.core.idnumber import check_digit
from fundtrack.extensions import db
from fundtrack.models import Allocation, AllocationRecall, Disbursement
from tests.conftest import csrf_token, switch_language
from tests.helpers import pay


def _form_post(client, page_url, post_url, data):
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(post_url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                       **data})  # fmt: skip


def test_fund_page_shows_the_tree_with_figures_at_every_node(client, web_login, fund_id):
    web_login("auditor")
    html = client.get(f"/funds/{fund_id('2017-SJH')}").get_data(as_text=True)
    # province first, then 衡阳市 followed by its county 耒阳市
    assert html.index("湖南省") < html.index("衡阳市") < html.index("耒阳市")
    assert "5,180,000.00" in html  # province received
    assert "107,000.00" in html  # 耒阳市 available
    assert "项目扶持" in html and "技能培训" in html  # the earmark


def test_fund_page_as_of_a_past_moment_shows_the_state_then(client, web_login, fund_id):
    web_login("auditor")
    html = client.get(f"/funds/{fund_id('2017-SJH')}?as_of=2000-01-01").get_data(as_text=True)
    assert "该时点本地区没有这笔资金的记录" in html
    html = client.get(f"/funds/{fund_id('2017-SJH')}?as_of=not-a-date").get_data(as_text=True)
    assert "时点格式不正确" in html


def test_county_sees_only_its_node_and_not_other_funds(client, web_login, fund_id):
    web_login("leiyang_finance")
    html = client.get(f"/funds/{fund_id('2017-SJH')}").get_data(as_text=True)
    assert "耒阳市" in html and "衡阳市 <small>" not in html
    assert client.get(f"/funds/{fund_id('2018-DKTX')}").status_code == 404


def test_maker_allocates_and_checker_approves_in_the_browser(client, web_login, fund_id):

    web_login("province_maker")
    response = _form_post(
        client,
        f"/allocations/new?fund_id={fund_id('2018-SJH')}",
        "/allocations/new",
        {
            "fund_id": fund_id("2018-SJH"),
            "to_region": "430500",
            "amount": "300,000.00",
            "document_no": "湘计生协〔2018〕30号",
            "reason": "邵阳市三结合项目",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    allocation_url = response.headers["Location"]
    html = client.get(allocation_url).get_data(as_text=True)
    assert "草稿" in html and "300,000.00" in html
    assert "审批通过" not in html  # the maker cannot approve its own

    client.post("/logout", data={"csrf_token": csrf_token(html)})
    web_login("province_checker")
    allocation_id = int(allocation_url.rstrip("/").rsplit("/", 1)[1])
    response = _form_post(client, allocation_url, f"/allocations/{allocation_id}/approve", {})
    assert response.status_code == 302
    assert "已审批" in client.get(allocation_url).get_data(as_text=True)
    status = db.session.scalar(sa.select(Allocation.status).where(Allocation.id == allocation_id))
    assert status == "approved"


def test_a_provincial_checker_overrides_the_evaluation_gate_on_the_page(
    client, web_login, api, fund_id
):
    """张家界市's 2017 三结合 was graded 差: the page says so before the approval is tried,
    refuses it without a reason, and takes the provincial checker's reason for the override."""
    body = api("province_maker").post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-SJH"), "to_region": "430800", "amount": "1000.00",
              "document_no": "湘计生协〔2018〕例1号"},
    ).get_json()  # fmt: skip
    url = f"/allocations/{body['id']}"
    web_login("province_checker")
    html = client.get(url).get_data(as_text=True)
    assert (
        "接收地区绩效评价未通过：张家界市 2017 年度三结合项目经费绩效评价为差（56.00 分）" in html
    )
    assert 'name="evaluation_override_reason"' in html

    response = _form_post(client, url, f"{url}/approve", {"reason": "同意"})
    assert response.status_code == 302
    assert "如确需下达，须由省级审批人员填写例外理由" in client.get(url).get_data(as_text=True)
    assert db.session.get(Allocation, body["id"]).status == "draft"

    reason = "张家界市已整改到位，经研究同意例外下达"
    response = _form_post(
        client, url, f"{url}/approve", {"reason": "同意", "evaluation_override_reason": reason}
    )
    assert response.status_code == 302
    db.session.expire_all()
    allocation = db.session.get(Allocation, body["id"])
    assert allocation.status == "approved"
    assert allocation.evaluation_override_reason == reason


def test_a_redistribution_into_a_gated_region_takes_the_override_on_the_page(
    client, web_login, api, fund_id
):
    maker, checker = api("province_maker"), api("province_checker")
    body = maker.post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-SJH"), "to_region": "430400", "amount": "1000.00",
              "document_no": "湘计生协〔2018〕例2号"},
    ).get_json()  # fmt: skip
    assert checker.post(f"/api/v1/allocations/{body['id']}/approve", json={}).status_code == 200
    recall = maker.post(
        f"/api/v1/allocations/{body['id']}/recall",
        json={"amount": "1000.00", "reason": "调剂", "redistribute_to": "430800"},
    ).get_json()
    url = f"/allocations/{body['id']}"
    web_login("province_checker")
    html = client.get(url).get_data(as_text=True)
    assert "张家界市 2017 年度三结合项目经费绩效评价为差（56.00 分）" in html
    prefix = f"approve-recall{recall['id']}-"
    assert f'name="{prefix}evaluation_override_reason"' in html

    post_url = f"/allocations/recalls/{recall['id']}/approve"
    _form_post(client, url, post_url, {f"{prefix}reason": "同意"})
    assert db.session.get(AllocationRecall, recall["id"]).status == "draft"
    override = {f"{prefix}reason": "同意", f"{prefix}evaluation_override_reason": "同意例外调剂"}
    _form_post(client, url, post_url, override)
    db.session.expire_all()
    onward = db.session.get(AllocationRecall, recall["id"]).redistributed_as
    assert onward.to_region_code == "430800"
    assert onward.evaluation_override_reason == "同意例外调剂"


def test_allocation_form_keeps_values_and_shows_chinese_errors(client, web_login, fund_id):
    web_login("province_maker")
    response = _form_post(
        client,
        "/allocations/new",
        "/allocations/new",
        {
            "fund_id": fund_id("2018-SJH"),
            "to_region": "430500",
            "amount": "99999999.00",
            "document_no": "湘计生协〔2018〕31号",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "可用余额不足" in html
    assert 'value="99999999.00"' in html
    assert 'value="湘计生协〔2018〕31号"' in html

    response = _form_post(
        client,
        "/allocations/new",
        "/allocations/new",
        {"fund_id": fund_id("2018-SJH"), "to_region": "430500", "amount": "1.234",
         "document_no": ""},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "金额最多保留两位小数" in html
    assert "请填写文号" in html


def test_disbursement_form_offers_only_the_earmark_and_shows_the_balance(
    client, web_login, fund_id
):
    web_login("leiyang_finance")
    html = client.get(f"/disbursements/new?fund_id={fund_id('2017-SJH')}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([a-z_]+)"', html)
    assert set(options) == {"project_support", "skills_training"}
    assert "107,000.00" in html


def test_a_running_cost_is_refused_in_the_browser_and_nothing_is_written(
    client, web_login, fund_id, db_session
):

    before = db_session.scalar(sa.select(sa.func.count()).select_from(Disbursement))
    web_login("leiyang_finance")
    url = f"/disbursements/new?fund_id={fund_id('2017-SJH')}"
    response = _form_post(
        client,
        url,
        url,
        {
            "category": "office",
            "amount": "100.00",
            "paid_on": "2017-12-01",
            "payee_name": "某文具店",
            "voucher_no": "耒财〔2017〕凭1201-99",
            "beneficiary_id": "0",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "办公费" in html and "专款专用" in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Disbursement)) == before


def test_disburse_approve_and_reverse_in_the_browser(client, web_login, fund_id):
    web_login("leiyang_finance")
    url = f"/disbursements/new?fund_id={fund_id('2017-SJH')}"
    response = _form_post(
        client,
        url,
        url,
        {
            "category": "project_support",
            "amount": "12000.00",
            "paid_on": "2017-12-05",
            "payee_name": "耒阳市某养殖户",
            "voucher_no": "耒财〔2017〕凭1205-07",
            "beneficiary_id": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    detail_url = response.headers["Location"]
    disbursement_id = int(detail_url.rsplit("/", 1)[1])
    html = client.get(detail_url).get_data(as_text=True)
    assert "待审批" in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    web_login("leiyang_checker")
    html = client.get(detail_url).get_data(as_text=True)
    assert "审批意见" in html and "同意</textarea>" in html  # prefilled, as on paper
    _form_post(
        client, detail_url, f"/disbursements/{disbursement_id}/approve", {"reason": "同意支付"}
    )
    html = client.get(detail_url).get_data(as_text=True)
    assert "已审批" in html and "申请冲销" in html
    assert "同意支付" in html  # the approver's words on the record's page
    response = _form_post(
        client,
        detail_url,
        f"/disbursements/{disbursement_id}/reverse",
        {"reverse-reason": "收款人信息错误，退回重付", "reverse-reversed_on": "2017-12-20"},
    )
    assert response.status_code == 302
    proposal_url = response.headers["Location"]
    assert proposal_url != detail_url
    html = client.get(proposal_url).get_data(as_text=True)
    assert "待审批" in html and "收款人信息错误，退回重付" in html
    assert "须由另一位审批人员审批" in html  # the proposer is told why there is no button
    assert f'action="{proposal_url}/approve"' not in html
    html = client.get(detail_url).get_data(as_text=True)
    assert "已审批" in html and "冲销申请待审批" in html
    # the proposer posting the approval anyway is refused, in Chinese
    page = client.get(proposal_url).get_data(as_text=True)
    response = client.post(
        proposal_url + "/approve", data={"csrf_token": csrf_token(page), "reason": "同意"}
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "经办人不能审批自己经办的记录" in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    web_login("hengyang_checker")
    html = client.get(proposal_url).get_data(as_text=True)
    assert "leiyang_checker" in html and "收款人信息错误，退回重付" in html  # who, and why
    _form_post(client, proposal_url, proposal_url + "/approve", {"reason": "核实无误，同意冲销"})
    html = client.get(detail_url).get_data(as_text=True)
    assert "已冲销" in html and "冲销记录" in html


def test_queues_list_what_waits_for_approval(client, web_login):
    web_login("leiyang_checker")
    html = client.get("/disbursements/?status=pending").get_data(as_text=True)
    assert "耒财〔2017〕凭1120-05" in html  # the demo's pending payment
    assert ">审批<" in html
    html = client.get("/allocations/?status=draft").get_data(as_text=True)
    assert "没有符合条件的资金下达记录" in html


def test_list_pages_render_for_every_demo_role(client, web_login):
    for username in ("admin", "province_maker", "province_checker", "auditor",
                     "hengyang_finance", "leiyang_finance", "anren_finance"):  # fmt: skip
        web_login(username)
        for url in ("/", "/allocations/", "/disbursements/"):
            assert client.get(url).status_code == 200, (username, url)
        page = client.get("/").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(page)})


def test_year_end_closing_from_the_fund_page(client, web_login, fund_id):
    web_login("province_maker")
    url = f"/funds/{fund_id('2018-DKTX')}"
    html = client.get(url).get_data(as_text=True)
    assert "申请年度结算" in html
    response = _form_post(client, url, url + "/close", {"close-reason": "2018年度结算"})
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "年度结算待审批" in html and "审批通过后将发生的资金变动" in html
    assert "须由另一位审批人员审批" in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    web_login("province_checker")
    html = client.get(url).get_data(as_text=True)
    assert "2018年度结算" in html and "省计生协财务经办" in html  # why, and who proposed
    close_id = html.split("/year-end-closes/", 1)[1].split("/", 1)[0]
    _form_post(client, url, f"/year-end-closes/{close_id}/approve", {"reason": "同意结算"})
    html = client.get(url).get_data(as_text=True)
    assert "已结束" in html and "同意结算" in html
    assert f"{url}/close" not in html  # no second close


def test_beneficiaries_are_registered_with_a_checked_and_masked_id(client, web_login):

    web_login("leiyang_finance")
    html = client.get("/beneficiaries/").get_data(as_text=True)
    assert "李桂兰" in html and "**" in html
    first17 = "43048119700101234"
    good = first17 + check_digit(first17)
    bad = first17 + ("0" if check_digit(first17) != "0" else "1")
    url = "/beneficiaries/"
    data = {"name": "赵新民", "family_type": "special", "region": "430481"}
    response = _form_post(client, url, url, {**data, "id_number": bad})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "校验码" in html and f'value="{bad}"' in html
    response = _form_post(client, url, url, {**data, "id_number": good})
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "赵新民" in html and good not in html and good[-4:] in html


def test_recording_a_payment_starts_by_choosing_a_fund(client, web_login, fund_id):
    """From the payments list a county maker reaches the form through the funds its region
    received (a fund it never received money of is not offered)."""
    web_login("leiyang_finance")
    listing = client.get("/disbursements/").get_data(as_text=True)
    assert 'href="/disbursements/new"' in listing
    page = client.get("/disbursements/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    offered = re.findall(r'href="/disbursements/new\?fund_id=(\d+)"', html)
    assert str(fund_id("2017-SJH")) in offered
    form = client.get(f"/disbursements/new?fund_id={offered[0]}")
    assert form.status_code == 200 and 'name="category"' in form.get_data(as_text=True)


def test_a_checker_has_no_payment_form_to_choose_from(client, web_login):
    web_login("leiyang_checker")
    assert 'href="/disbursements/new"' not in client.get("/disbursements/").get_data(as_text=True)
    assert client.get("/disbursements/new").status_code == 403


def _leiyang_row(html: str) -> str:
    return re.search(r'<tr[^>]*id="tree-430481".*?</tr>', html, re.S).group(0)


def test_the_fund_page_shows_every_change_at_once_in_the_readers_language_and_unit(
    client, web_login, fund_id, api
):
    """The balance tree is kept rendered per process (core.fragments): a payment in between,
    another language or another amount unit never shows the kept HTML of before."""
    web_login("leiyang_finance")
    page = f"/funds/{fund_id('2017-SJH')}"
    assert "107,000.00" in _leiyang_row(client.get(page).get_data(as_text=True))
    paid = pay(api("leiyang_finance"), fund_id("2017-SJH"), amount="100.00")
    assert paid.status_code == 201, paid.get_json()
    approved = api("leiyang_checker").post(
        f"/api/v1/disbursements/{paid.get_json()['id']}/approve", json={}
    )
    assert approved.status_code == 200, approved.get_json()
    row = _leiyang_row(client.get(page).get_data(as_text=True))
    assert "106,900.00" in row and "107,000.00" not in row

    switch_language(client, "en", page)
    english = client.get(page).get_data(as_text=True)
    assert "Available" in english and "可用余额" not in english
    assert "106,900.00" in _leiyang_row(english)

    form = client.get(page).get_data(as_text=True)
    client.post(
        "/preferences/amount-unit",
        data={"csrf_token": csrf_token(form), "unit": "wan", "next": page},
    )
    assert "10.69" in _leiyang_row(client.get(page).get_data(as_text=True))
