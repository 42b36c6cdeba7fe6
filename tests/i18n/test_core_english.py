"""Core pieces in English for a user who chose English, official documents in Chinese for all.

What a user reads (refusals of the API, error pages, the import page) follows the user's
language; documents (PDF notices and reports, exports, bank files, the import template)
stay Chinese whatever it is. The English assertions read the catalogue: they pass once
``i18n-pending/core.json`` is merged and compiled (``scripts/i18n.py update --merge``).
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from fundtrack.allocations.models import Allocation
from tests.conftest import csrf_token
from tests.pdf_text import pdf_pages


def _to_english(client, page: str = "/") -> None:
    html = client.get(page).get_data(as_text=True)
    response = client.post(
        "/preferences/language",
        data={"csrf_token": csrf_token(html), "language": "en", "next": page},
    )
    assert response.status_code == 302


def _english(user, username: str):
    """The demo user ``username`` with English chosen on the account (as the switch does)."""
    account = user(username)
    account.language = "en"
    return account


def _hengyang_allocation(db_session) -> int:

    return db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.document_no == "湘计生协〔2017〕12号", Allocation.to_region_code == "430400"
        )
    )


# -- documents stay Chinese ----------------------------------------------------------------


def test_an_english_user_downloads_a_chinese_notice(client, web_login, user, db_session):
    allocation_id = _hengyang_allocation(db_session)
    web_login("hengyang_finance")
    _to_english(client)
    assert user("hengyang_finance").language == "en"
    response = client.get(f"/allocations/{allocation_id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (page,) = pdf_pages(response.data)
    for expected in ("湖南省计划生育协会", "湘计生协〔2017〕12号", "衡阳市计划生育协会",
                     "人民币肆拾陆万元整", "专款专用"):  # fmt: skip
        assert expected in page, expected


def test_an_english_users_history_report_and_export_are_chinese(client, web_login, db_session):
    allocation_id = _hengyang_allocation(db_session)
    web_login("hengyang_finance")
    _to_english(client)
    report = client.get(f"/history/allocations/{allocation_id}/report.pdf")
    assert report.status_code == 200
    text = "".join(pdf_pages(report.data))
    assert f"资金下达#{allocation_id}变更历史报告" in text
    assert "Status" not in text and "Amount" not in text
    export = client.get(f"/exports/history/allocations/{allocation_id}.csv")
    assert export.status_code == 200
    csv = export.data.decode("utf-8-sig")
    assert "事务号" in csv and "字段" in csv
    # the field and operation labels (lazy translations) come out Chinese too
    assert "状态" in csv and "新建" in csv
    assert "Status" not in csv and "Created" not in csv


def test_the_bank_file_page_in_english(client, web_login):
    web_login("leiyang_finance")
    _to_english(client, "/bank-files/")
    page = client.get("/bank-files/").get_data(as_text=True)
    assert "Bank payment files" in page and "No batch created yet" in page
    assert "银行代发文件" not in page
    refused = client.post(
        "/bank-files/",
        data={"csrf_token": csrf_token(page), "region": "430481",
              "paid_from": "2016-01-01", "paid_to": "2016-02-01"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "No approved payments awaiting payment in this period" in refused.get_data(as_text=True)


# -- refusals follow the user's language ---------------------------------------------------


def test_a_malformed_amount_is_refused_in_the_callers_language(api, user, fund_id):
    payload = {
        "fund_id": fund_id("2017-SJH"),
        "to_region": "430400",
        "amount": "12,34.5x",
        "document_no": "湘计生协〔2017〕测试1号",
    }
    chinese = api("province_maker").post("/api/v1/allocations", json=payload)
    assert chinese.status_code == 422
    zh = chinese.get_json()["error"]
    assert zh["message"] == "输入不正确"
    assert zh["details"]["fields"]["amount"] == ["金额格式不正确"]

    _english(user, "province_maker")
    english = api("province_maker").post("/api/v1/allocations", json=payload)
    assert english.status_code == 422
    en = english.get_json()["error"]
    assert en["code"] == zh["code"] == "validation_error"
    assert en["message"] == "Invalid input"
    assert en["details"]["fields"]["amount"] == ["Invalid amount"]


def test_a_domain_refusal_of_the_api_is_english(api, user):
    _english(user, "leiyang_finance")
    response = api("leiyang_finance").get("/api/v1/allocations/999999")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error == {"code": "not_found", "message": "Record not found", "details": {}}


def test_unknown_address_and_missing_record_pages(client, web_login):
    web_login("leiyang_finance")
    unknown = client.get("/no-such-page")
    assert unknown.status_code == 404 and "页面不存在" in unknown.get_data(as_text=True)
    missing = client.get("/allocations/999999")
    assert missing.status_code == 404 and "记录不存在" in missing.get_data(as_text=True)
    _to_english(client)
    unknown = client.get("/no-such-page").get_data(as_text=True)
    assert "Page not found" in unknown and "Back to the home page" in unknown
    assert "页面不存在" not in unknown
    missing = client.get("/allocations/999999").get_data(as_text=True)
    assert "Record not found" in missing and "记录不存在" not in missing


def test_the_import_page_in_english_keeps_the_chinese_template(client, web_login):
    web_login("province_maker")
    html = client.get("/imports/").get_data(as_text=True)
    assert "资金下达表" in html and "导入资金下达表" in html
    _to_english(client, "/imports/")
    html = client.get("/imports/").get_data(as_text=True)
    assert "Allocation sheet" in html and "Import: Allocation sheet" in html
    assert "导入" not in html
    # the template is the file contract: Chinese sheet, headers and instructions
    template = load_workbook(io.BytesIO(client.get("/imports/allocations/template.xlsx").data))
    assert template.sheetnames == ["数据", "说明"]
    assert template["数据"]["A1"].value == "资金编号"
    token = csrf_token(html)
    refused = client.post(
        "/imports/allocations",
        data={"allocations-csrf_token": token, "csrf_token": token,
              "allocations-file": (io.BytesIO(b"not a workbook"), "batch.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "The file is not a valid Excel workbook (.xlsx)" in page
    assert "文件不是有效的" not in page
