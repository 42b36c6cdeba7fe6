"""The audit packet: PDF summary with an embedded CJK font, CSVs of all versions, head hash."""

import csv
import io
import json
import zipfile

import pytest
from pypdf import PdfReader

from tests.pdf_text import pdf_pages


@pytest.fixture
def packet(api, fund_id):
    checker = api("leiyang_checker")
    payment = checker.get(
        f"/api/v1/disbursements?fund_id={fund_id('2017-SJH')}&status=approved"
    ).get_json()["items"][0]
    checker.post(f"/api/v1/disbursements/{payment['id']}/reverse", json={"reason": "重复支付"})
    response = api("auditor").get(f"/api/v1/history/packets/funds/{fund_id('2017-SJH')}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    assert "audit-packet-2017-SJH" in response.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_packet_holds_summary_versions_transactions_and_head(packet, runner):
    names = set(packet.namelist())
    assert {"summary.pdf", "transactions.csv", "signed_head.json", "README.txt"} <= names
    assert "versions/allocations_version.csv" in names
    assert "versions/disbursements_version.csv" in names
    head = json.loads(packet.read("signed_head.json"))
    head_now = json.loads(runner.invoke(args=["audit", "head", "--json"]).output)
    assert (head["size"], head["root"]) == (head_now["size"], head_now["root"])
    # the summary prints the same head, and the packet's head verifies as a witness
    summary = "".join(pdf_pages(packet.read("summary.pdf")))
    assert head["root"] in summary and f"共封存{head['size']}笔交易" in summary


def test_summary_pdf_text_and_embedded_cjk_font(packet):
    reader = PdfReader(io.BytesIO(packet.read("summary.pdf")))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "三结合项目经费",
        "湘计生协〔2017〕12号",
        "耒阳市",
        "审批后的变更",
        "重复支付",
    ):
        assert expected in text, expected
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (
                descendants[0].get_object()["/FontDescriptor"]
                if descendants
                else font.get("/FontDescriptor")
            )
            descriptor = descriptor.get_object()
            fonts.append((str(font["/BaseFont"]), any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))))  # fmt: skip
    assert any("CJK" in name and embedded for name, embedded in fonts), fonts


def test_versions_csv_masks_id_numbers_and_keeps_amounts_numeric(packet):
    text = packet.read("versions/disbursements_version.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    for row in rows:
        if row["payee_id_number"]:
            assert "*" in row["payee_id_number"]
    assert any(row["amount_fen"].startswith("-") for row in rows)  # the reversal, as a number


def test_transactions_csv_carries_reasons_and_seal_hashes(packet):
    text = packet.read("transactions.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert any(row["reason"] == "重复支付" for row in rows)
    assert all(len(row["seal_hash"]) == 64 for row in rows)


def test_packet_is_for_auditors_and_its_export_is_logged(api, fund_id):
    response = api("province_maker").get(f"/api/v1/history/packets/funds/{fund_id('2017-SJH')}")
    assert response.status_code == 403
    auditor = api("auditor")
    auditor.get(f"/api/v1/history/packets/funds/{fund_id('2017-SJH')}")
    log = auditor.get("/api/v1/access-log?event=export").get_json()["items"]
    assert log and "2017-SJH" in log[0]["detail"] and log[0]["username"] == "auditor"


def test_packet_download_from_the_fund_page(client, web_login, fund_id):
    web_login("auditor")
    page = client.get(f"/funds/{fund_id('2017-BX')}").get_data(as_text=True)
    assert "下载审计资料包" in page
    response = client.get(f"/audit/packets/funds/{fund_id('2017-BX')}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
