"""The home page lists what waits for the signed-in user, counted as the lists count it."""

from __future__ import annotations

import re

from fundtrack.home import dashboard
from tests.helpers import created, pay


def _waiting(html: str) -> dict[str, tuple[int, str]]:
    """label -> (count, link) of the home page's to-do list."""
    section = html.split('id="waiting-title"', 1)[1].split("</section>", 1)[0]
    return {
        label: (int(count), href.replace("&amp;", "&"))
        for href, label, count in re.findall(r'<a href="([^"]+)">([^<：]+)：(\d+) 件</a>', section)
    }


def _pending_in_list(client, query: str) -> int:
    html = client.get(query).get_data(as_text=True)
    return int(re.search(r"共 (\d+) 条", html).group(1))


def test_a_checker_sees_the_payments_waiting_and_the_list_agrees(api, client, web_login, fund_id):
    web_login("hengyang_checker")
    before = _waiting(client.get("/").get_data(as_text=True)).get("待审批的支出", (0, ""))[0]
    payment = created(pay(api("leiyang_finance"), fund_id("2017-SJH")))

    waiting = _waiting(client.get("/").get_data(as_text=True))
    count, link = waiting["待审批的支出"]
    assert count == before + 1
    assert link == "/disbursements/?status=pending"
    assert _pending_in_list(client, link) == count

    api("hengyang_checker").post(f"/api/v1/disbursements/{payment['id']}/approve")
    after = _waiting(client.get("/").get_data(as_text=True)).get("待审批的支出", (0, ""))[0]
    assert after == before


def test_a_checker_elsewhere_does_not_see_them(api, client, web_login, fund_id):
    web_login("chenzhou_checker")
    before = _waiting(client.get("/").get_data(as_text=True))
    created(pay(api("leiyang_finance"), fund_id("2017-SJH")))
    assert _waiting(client.get("/").get_data(as_text=True)) == before


def test_a_maker_sees_its_own_payments_awaiting_approval(api, client, web_login, fund_id):
    web_login("leiyang_finance")
    created(pay(api("leiyang_finance"), fund_id("2017-SJH")))
    count, link = _waiting(client.get("/").get_data(as_text=True))["本级已录入、等待审批的支出"]
    assert count >= 1 and _pending_in_list(client, link) == count


def test_a_recall_waiting_is_listed_with_its_allocation(api, client, web_login, fund_id):
    province = api("province_maker")
    allocations = province.get("/api/v1/allocations?status=approved&from_region=430000").get_json()
    allocation = allocations["items"][0]
    response = province.post(
        f"/api/v1/allocations/{allocation['id']}/recall",
        json={"amount": "1.00", "reason": "测试收回"},
    )
    assert response.status_code == 201, response.get_json()
    web_login("province_checker")
    count, link = _waiting(client.get("/").get_data(as_text=True))["待审批的资金收回"]
    assert count >= 1
    html = client.get(link).get_data(as_text=True)
    assert f'href="/allocations/{allocation["id"]}"' in html


def test_auditors_have_no_to_do_list(client, web_login):
    web_login("auditor")
    assert 'id="waiting-title"' not in client.get("/").get_data(as_text=True)


def test_a_long_queue_is_counted_up_to_the_cap_and_the_list_has_them_all(
    api, client, web_login, fund_id, monkeypatch
):
    """The home page reads at most COUNT_CAP rows per count (a province's queue can hold
    hundreds of thousands of payments); beyond it the count shows as "N+"."""
    web_login("hengyang_checker")
    maker = api("leiyang_finance")
    for n in range(3):
        created(pay(maker, fund_id("2017-SJH"), "1.00", voucher_no=f"耒-上限-{n}"))
    monkeypatch.setattr(dashboard, "COUNT_CAP", 2)
    html = client.get("/").get_data(as_text=True)
    assert re.search(r"待审批的支出：2\+ 件", html), html.split('id="waiting-title"', 1)[1][:400]
    assert _pending_in_list(client, "/disbursements/?status=pending") >= 3
