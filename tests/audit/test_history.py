"""History of a record: who, with which role then, when, from where, why, and what changed."""

import time
from datetime import UTC, datetime

from tests.conftest import csrf_token


def _approved_allocation(api, fund_id, opinion=None):
    maker, checker = api("province_maker"), api("province_checker")
    response = maker.post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-DKTX"), "to_region": "431300", "amount": "1000.00",
              "document_no": "湘计生协〔2018〕40号", "reason": "娄底市贷款贴息"},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )  # fmt: skip
    allocation_id = response.get_json()["id"]
    checker.post(
        f"/api/v1/allocations/{allocation_id}/approve",
        json={"reason": opinion} if opinion else {},
        environ_base={"REMOTE_ADDR": "10.2.2.2"},
    )
    return allocation_id


def test_history_of_an_approved_allocation_names_maker_checker_addresses_reasons(api, fund_id):
    allocation_id = _approved_allocation(api, fund_id)
    response = api("auditor").get(f"/api/v1/history/allocations/{allocation_id}")
    assert response.status_code == 200
    created, approved = response.get_json()["items"]
    assert created["operation"] == "insert"
    assert created["user"]["username"] == "province_maker"
    assert created["user"]["role"] == "maker" and created["user"]["region"] == "430000"
    assert created["remote_addr"] == "10.1.1.1"
    assert created["reason"] == "娄底市贷款贴息"
    assert created["changes"]["amount"] == [None, "1000.00"]
    assert created["changes"]["status"] == [None, "draft"]
    assert approved["operation"] == "update"
    assert approved["user"]["username"] == "province_checker"
    assert approved["user"]["role"] == "checker"
    assert approved["remote_addr"] == "10.2.2.2"
    assert approved["action"].startswith("审批资金下达")  # the program's sentence
    assert approved["reason"] is None  # the approver said nothing: nothing is made up
    assert approved["changes"]["status"] == ["draft", "approved"]
    assert "amount" not in approved["changes"]
    assert approved["issued_at"].endswith("Z")


def test_the_approvers_own_words_are_the_approvals_reason(api, fund_id):
    allocation_id = _approved_allocation(api, fund_id, opinion="同意，按文件执行")
    items = api("auditor").get(f"/api/v1/history/allocations/{allocation_id}").get_json()
    created, approved = items["items"]
    assert created["reason"] == "娄底市贷款贴息"
    assert approved["reason"] == "同意，按文件执行"
    assert "湘计生协〔2018〕40号" in approved["action"]


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(api, fund_id):
    maker = api("province_maker")
    payload = {"fund_id": fund_id("2018-DKTX"), "to_region": "430100", "amount": "1.00",
               "document_no": "X-1"}  # fmt: skip
    trusted = maker.post(
        "/api/v1/allocations",
        json=payload,
        headers={**maker.headers, "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    ).get_json()["id"]
    spoofed = maker.post(
        "/api/v1/allocations",
        json=payload,
        headers={**maker.headers, "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    ).get_json()["id"]
    auditor = api("auditor")
    first = auditor.get(f"/api/v1/history/allocations/{trusted}").get_json()["items"][0]
    second = auditor.get(f"/api/v1/history/allocations/{spoofed}").get_json()["items"][0]
    assert first["remote_addr"] == "203.0.113.9"
    assert second["remote_addr"] == "198.51.100.7"


def test_history_of_a_reversed_payment_shows_the_reason_and_masks_id_numbers(api, fund_id):
    checker = api("leiyang_checker")
    payments = checker.get(
        f"/api/v1/disbursements?fund_id={fund_id('2017-BX')}&category=hospital_allowance"
    ).get_json()["items"]
    original = payments[0]["id"]
    compensation = checker.post(
        f"/api/v1/disbursements/{original}/reverse", json={"reason": "重复发放"}
    ).get_json()["id"]
    api("hengyang_checker").post(
        f"/api/v1/disbursements/{compensation}/approve", json={"reason": "核实重复，同意冲销"}
    )
    auditor = api("auditor")
    items = auditor.get(f"/api/v1/history/disbursements/{original}").get_json()["items"]
    assert items[-1]["changes"]["status"] == ["approved", "reversed"]
    assert items[-1]["reason"] == "核实重复，同意冲销"
    proposal = auditor.get(f"/api/v1/history/disbursements/{compensation}").get_json()["items"]
    assert proposal[0]["reason"] == "重复发放"
    assert proposal[0]["user"]["username"] == "leiyang_checker"
    assert proposal[-1]["user"]["username"] == "hengyang_checker"
    id_number = items[0]["changes"]["payee_id_number"][1]
    assert "*" in id_number and len(id_number) == 18


def test_history_outside_the_region_is_404_and_unknown_kinds_too(api, fund_id):
    allocation_id = _approved_allocation(api, fund_id)  # province → 娄底市
    leiyang = api("leiyang_finance")
    assert leiyang.get(f"/api/v1/history/allocations/{allocation_id}").status_code == 404
    assert leiyang.get("/api/v1/history/users/1").status_code == 404
    assert api("auditor").get("/api/v1/history/allocations/999999").status_code == 404


def test_history_page_shows_plain_language_diffs(client, web_login, api, fund_id):
    allocation_id = _approved_allocation(api, fund_id)
    web_login("auditor")
    html = client.get(f"/history/allocations/{allocation_id}").get_data(as_text=True)
    assert "1,000.00" in html
    assert "草稿" in html and "已审批" in html  # 状态 草稿 → 已审批
    assert "省计生协财务经办" in html and "财务经办" in html
    assert "省计生协财务审批" in html and "财务审批" in html
    assert "娄底市" in html  # the receiving region by name, not code
    assert "10.2.2.2" in html
    page = client.get(f"/allocations/{allocation_id}").get_data(as_text=True)
    assert f"/history/allocations/{allocation_id}" in page
    assert csrf_token(page)


def test_history_page_links_a_reversal_and_its_original(client, web_login, api, fund_id):
    checker = api("leiyang_checker")
    payments = checker.get(
        f"/api/v1/disbursements?fund_id={fund_id('2017-SJH')}&status=approved"
    ).get_json()["items"]
    original = payments[0]["id"]
    compensation = checker.post(
        f"/api/v1/disbursements/{original}/reverse", json={"reason": "凭证作废"}
    ).get_json()["id"]
    web_login("leiyang_checker")
    html = client.get(f"/history/disbursements/{original}").get_data(as_text=True)
    assert f"/history/disbursements/{compensation}" in html
    html = client.get(f"/history/disbursements/{compensation}").get_data(as_text=True)
    assert f"/history/disbursements/{original}" in html


def test_a_record_as_it_stood_at_a_past_moment(client, web_login, api, fund_id):

    maker, checker = api("province_maker"), api("province_checker")
    allocation_id = maker.post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-DKTX"), "to_region": "431300", "amount": "2500.00",
              "document_no": "湘计生协〔2018〕41号"},
    ).get_json()["id"]  # fmt: skip
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    checker.post(f"/api/v1/allocations/{allocation_id}/approve", json={})

    auditor = api("auditor")
    then = auditor.get(f"/api/v1/history/allocations/{allocation_id}/state?as_of={between}")
    assert then.status_code == 200
    assert then.get_json()["state"]["status"] == "draft"
    assert then.get_json()["state"]["amount"] == "2500.00"
    now = auditor.get(
        f"/api/v1/history/allocations/{allocation_id}/state?as_of="
        + datetime.now(UTC).isoformat().replace("+00:00", "Z")
    )
    assert now.get_json()["state"]["status"] == "approved"
    before = auditor.get(f"/api/v1/history/allocations/{allocation_id}/state?as_of=2001-01-01")
    assert before.status_code == 404
    bad = auditor.get(f"/api/v1/history/allocations/{allocation_id}/state?as_of=soon")
    assert bad.status_code == 422

    web_login("auditor")
    html = client.get(f"/history/allocations/{allocation_id}?as_of={between}").get_data(
        as_text=True
    )
    assert "截至" in html and "草稿" in html and "2,500.00" in html


def test_evaluation_history_shows_changes_of_its_lines(client, web_login, api, fund_id):
    leiyang = api("leiyang_finance")
    body = leiyang.post("/api/v1/evaluations", json={"fund_id": fund_id("2017-DKTX")}).get_json()
    lines = body["indicators"]
    lines[0]["self_score"] = "18.50"
    lines[0]["actual"] = "126"
    response = leiyang.put(f"/api/v1/evaluations/{body['id']}", json={"indicators": lines})
    assert response.status_code == 200
    items = api("auditor").get(f"/api/v1/history/evaluations/{body['id']}").get_json()["items"]
    changes = items[-1]["changes"]
    assert changes["indicators[贴息贷款户数].self_score"] == [None, "18.50"]
    assert changes["indicators[贴息贷款户数].actual"] == ["", "126"]
    web_login("auditor")
    html = client.get(f"/history/evaluations/{body['id']}").get_data(as_text=True)
    assert "指标「贴息贷款户数」自评分" in html and "18.50" in html
