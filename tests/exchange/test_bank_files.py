"""Bank payment files: approved payments of a region and period, full ID numbers in the file
only, count and total, each payment sent once, and a record of who exported it when."""

from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa

from fundtrack.audit.models import AccessLog
from fundtrack.exchange.models import BankBatchItem
from tests.conftest import csrf_token
from tests.helpers import assert_refused

PERSON_ID = "110101199003071233"  # a valid GB 11643 number (check digit 3)


def _pay(api, fund_id, voucher, amount, account="6217000011112222333", id_number=None,
         paid_on="2017-09-10", approve=True) -> int:  # fmt: skip
    maker = api("leiyang_finance")
    created = maker.post(
        "/api/v1/disbursements",
        json={"fund_id": fund_id("2017-SJH"), "category": "project_support", "amount": amount,
              "paid_on": paid_on, "payee_name": f"收款人{voucher}", "voucher_no": voucher,
              "payee_account": account, "payee_id_number": id_number},
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    payment_id = created.get_json()["id"]
    if approve:
        approved = api("leiyang_checker").post(f"/api/v1/disbursements/{payment_id}/approve")
        assert approved.status_code == 200, approved.get_json()
    return payment_id


def _file_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_batch_pays_each_approved_payment_once_with_full_id_numbers(api, fund_id, db_session):

    first = _pay(api, fund_id, "耒-BK-1", "1200.00", id_number=PERSON_ID)
    second = _pay(api, fund_id, "耒-BK-2", "300.50", paid_on="2017-09-20")
    _pay(api, fund_id, "耒-BK-3", "99.00", approve=False)  # pending: not payable yet
    _pay(api, fund_id, "耒-BK-4", "50.00", account=None)  # no account: left out
    _pay(api, fund_id, "耒-BK-5", "70.00", paid_on="2017-10-01")  # after the period
    maker = api("leiyang_finance")
    response = maker.post(
        "/api/v1/bank-files", json={"paid_from": "2017-09-01", "paid_to": "2017-09-30"}
    )
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    assert batch["region"] == "430481" and batch["count"] == 2 and batch["total"] == "1500.50"
    assert batch["created_by"] == "leiyang_finance" and batch["batch_no"].startswith("FT430481")
    download = maker.get(f"/api/v1/bank-files/{batch['id']}/file.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = _file_rows(download.data)
    assert rows[0] == ["批次号", "付款单位", "支付日期自", "支付日期至", "笔数", "总金额（元）"]
    assert rows[1] == [batch["batch_no"], "耒阳市计划生育协会", "2017-09-01", "2017-09-30",
                       "2", "1500.50"]  # fmt: skip
    assert rows[3] == ["序号", "收款人", "身份证号码", "收款账号", "金额（元）", "附言"]
    details, witness_row = rows[4:-2], rows[-1]
    assert rows[-2] == [] and witness_row[0] == "审计见证（签名树头）"
    head = json.loads(witness_row[1])
    assert head["size"] > 0 and re.fullmatch("[0-9a-f]{64}", head["root"]) and head["signature"]
    assert [r[1] for r in details] == ["收款人耒-BK-1", "收款人耒-BK-2"]
    assert details[0][2] == PERSON_ID  # in full: the bank pays by it
    assert details[0][3] == "6217000011112222333" and details[0][4] == "1200.00"
    assert details[0][5].startswith("耒-BK-1")
    entry = db_session.scalars(sa.select(AccessLog).order_by(AccessLog.id.desc())).first()
    assert entry.event == "export" and entry.username == "leiyang_finance"
    assert batch["batch_no"] in entry.detail and "2 笔" in entry.detail
    # the same payments are never put into a second batch
    error = assert_refused(
        db_session,
        lambda: maker.post(
            "/api/v1/bank-files", json={"paid_from": "2017-09-01", "paid_to": "2017-09-30"}
        ),
        422,
        "validation_error",
    )
    assert "没有待付的已审批支出" in error["message"]
    listed = maker.get("/api/v1/bank-files").get_json()["items"]
    assert listed[0]["id"] == batch["id"] and listed[0]["count"] == 2
    sent = db_session.scalars(sa.select(BankBatchItem.disbursement_id)).all()
    assert {first, second} <= set(sent)
    history = api("auditor").get(f"/api/v1/history/disbursements/{first}").get_json()["items"]
    assert history  # the payment itself is unchanged by being sent


def test_who_may_produce_and_download_bank_files(api, fund_id, db_session):
    _pay(api, fund_id, "耒-BK-9", "10.00")
    created = api("leiyang_checker").post(
        "/api/v1/bank-files", json={"paid_from": "2017-09-01", "paid_to": "2017-09-30"}
    )
    assert created.status_code == 201
    batch_id = created.get_json()["id"]
    assert api("hengyang_finance").get(f"/api/v1/bank-files/{batch_id}/file.csv").status_code == 200
    assert api("auditor").get(f"/api/v1/bank-files/{batch_id}/file.csv").status_code == 403
    assert api("anren_finance").get(f"/api/v1/bank-files/{batch_id}/file.csv").status_code == 404
    assert_refused(
        db_session,
        lambda: api("anren_finance").post(
            "/api/v1/bank-files",
            json={"region": "430481", "paid_from": "2017-01-01", "paid_to": "2017-12-31"},
        ),
        403,
        "forbidden",
    )
    error = assert_refused(
        db_session,
        lambda: api("leiyang_finance").post(
            "/api/v1/bank-files", json={"paid_from": "2017-12-31", "paid_to": "2017-01-01"}
        ),
        422,
    )
    assert error["details"]["fields"] == {"paid_to": ["结束日期不能早于开始日期"]}


def test_the_bank_file_page(client, web_login, api, fund_id):
    _pay(api, fund_id, "耒-BK-P", "88.00")
    _pay(api, fund_id, "耒-BK-Q", "9.00", account=None)
    web_login("leiyang_finance")
    page = client.get("/bank-files/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "银行代发文件" in html and "尚未生成批次" in html
    token = csrf_token(html)
    form = {"csrf_token": token, "region": "430481"}
    refused = client.post(
        "/bank-files/", data={**form, "paid_from": "2016-01-01", "paid_to": "2016-02-01"}
    )
    assert refused.status_code == 422
    assert "该期间没有待付的已审批支出" in refused.get_data(as_text=True)
    done = client.post(
        "/bank-files/", data={**form, "paid_from": "2017-09-01", "paid_to": "2017-09-30"}
    )
    assert done.status_code == 302
    listing = client.get("/bank-files/").get_data(as_text=True)
    assert "已生成代发批次 FT430481" in listing and "88.00" in listing
    left_out = re.search(r"另有 (\d+) 笔已审批支出没有银行账号，未列入批次", listing)
    assert left_out and int(left_out[1]) >= 1  # 耒-BK-Q at least
    (link,) = re.findall(r'href="(/bank-files/\d+\.csv)"', listing)
    download = client.get(link)
    assert download.status_code == 200 and "收款人耒-BK-P" in download.data.decode("utf-8-sig")


def test_auditors_get_no_bank_file_page(client, web_login):
    web_login("auditor")
    assert client.get("/bank-files/").status_code == 403
    assert "银行代发" not in client.get("/").get_data(as_text=True)
