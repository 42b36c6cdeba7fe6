"""Exports of balances, allocations, payments and histories: .xlsx and CSV with the right
numbers, only the caller's subtree, ID numbers masked, no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from fundtrack.allocations.models import Allocation
from fundtrack.audit.models import AccessLog
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.models import Fund

FORMULA_START = ("=", "+", "-", "@")
HOSTILE_TEXTS = ['=HYPERLINK("http://evil.example/","点我")', "+1+1", "-2+3", "@SUM(A1:A9)"]


def sheet_rows(data: bytes) -> list[list]:
    """The cells of the first sheet, also checking that none holds a formula."""
    sheet = load_workbook(io.BytesIO(data)).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM, so that Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_START), f"CSV cell starts a formula: {value!r}"
    return rows


def as_records(rows: list[list], header_first: str) -> list[dict]:
    """Rows below the header row (the first whose first cell is ``header_first``)."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == header_first)
    header = rows[start]
    return [dict(zip(header, row, strict=True)) for row in rows[start + 1 :]]


def test_balances_xlsx_has_the_api_figures_as_numbers(api, fund_id):
    client = api("auditor")
    fid = fund_id("2017-SJH")
    expected = client.get(f"/api/v1/funds/{fid}/balances").get_json()["items"]
    response = client.get(f"/api/v1/exports/balances?fund_id={fid}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "balances-2017-SJH" in response.headers["Content-Disposition"]
    rows = sheet_rows(response.data)
    assert "2017-SJH" in rows[0][0]
    records = as_records(rows, "地区代码")
    assert [r["地区代码"] for r in records] == [b["region"] for b in expected]
    for record, balance in zip(records, expected, strict=True):
        for label, key in (
            ("收到资金", "received"),
            ("已下达", "allocated_out"),
            ("已支出（含待审批）", "disbursed"),
            ("可用余额", "available"),
        ):
            assert isinstance(record[label], int | float), (label, record[label])
            assert Decimal(str(record[label])).quantize(Decimal("0.01")) == Decimal(balance[key])
    hengyang = next(r for r in records if r["地区代码"] == "430400")
    assert hengyang["收到资金"] == 460000
    sheet = load_workbook(io.BytesIO(response.data)).active
    money_cell = next(c for c in sheet["D"] if c.value == 460000)
    assert money_cell.number_format == "#,##0.00"


def test_balances_csv_now_and_as_of_before_a_new_allocation(api, fund_id):

    fid = fund_id("2018-SJH")
    before = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    draft = api("province_maker").post(
        "/api/v1/allocations",
        json={"fund_id": fid, "to_region": "430100", "amount": "1234.56",
              "document_no": "湘计生协〔2018〕88号"},
    )  # fmt: skip
    assert draft.status_code == 201, draft.get_json()
    client = api("auditor")

    def province(query: str) -> dict:
        response = client.get(f"/api/v1/exports/balances?fund_id={fid}&format=csv{query}")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        rows = csv_rows(response.data)
        records = as_records(rows, "地区代码")
        assert records[0]["地区代码"] == "430000"
        return rows[0][0], records[0]

    title_now, now = province("")
    title_then, then = province(f"&as_of={before}")
    assert "当前" in title_now and "截至" in title_then
    assert re.fullmatch(r"\d+\.\d\d", now["可用余额"])
    assert Decimal(then["可用余额"]) - Decimal(now["可用余额"]) == Decimal("1234.56")
    assert Decimal(now["已下达"]) - Decimal(then["已下达"]) == Decimal("1234.56")


def test_balances_of_a_fund_out_of_sight_is_404(api, fund_id, db_session):

    client = api("leiyang_finance")
    hidden = db_session.scalar(sa.select(sa.func.max(Fund.id))) + 1000
    assert client.get(f"/api/v1/exports/balances?fund_id={hidden}").status_code == 404
    bad = client.get(f"/api/v1/exports/balances?fund_id={fund_id('2017-SJH')}&format=pdf")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "validation_error"


def test_allocations_export_matches_the_filtered_list(api, fund_id):
    client = api("province_checker")
    fid = fund_id("2017-SJH")
    listed = client.get(f"/api/v1/allocations?fund_id={fid}&status=approved&per_page=200")
    listed = listed.get_json()
    response = client.get(f"/api/v1/exports/allocations?fund_id={fid}&status=approved")
    records = as_records(sheet_rows(response.data), "编号")
    assert sorted(r["编号"] for r in records) == sorted(a["id"] for a in listed["items"])
    assert len(records) == listed["total"] > 0
    hengyang = next(r for r in records if r["接收地区代码"] == "430400")
    assert hengyang["金额（元）"] == 460000
    assert hengyang["文号"] == "湘计生协〔2017〕12号"
    assert hengyang["状态"] == "已下达" or hengyang["状态"]  # label, not the code
    assert all(r["状态"] != "approved" for r in records)


def test_a_county_exports_only_its_own_records(api):
    client = api("leiyang_finance")
    allocations = as_records(sheet_rows(client.get("/api/v1/exports/allocations").data), "编号")
    assert allocations and all(r["接收地区代码"] == "430481" for r in allocations)
    payments = csv_rows(client.get("/api/v1/exports/disbursements?format=csv").data)
    records = as_records(payments, "编号")
    assert records and {r["地区代码"] for r in records} == {"430481"}


def test_disbursement_export_masks_id_numbers_and_keeps_reversals_negative(api, db_session):

    original = db_session.scalars(
        sa.select(Disbursement).where(
            Disbursement.status == "approved",
            Disbursement.payee_id_number.is_not(None),
            Disbursement.region_code == "430481",
        )
    ).first()
    assert original is not None
    original_id, full_id = original.id, original.payee_id_number  # the object ends with a request
    checker = api("leiyang_checker")
    reversed_ = checker.post(
        f"/api/v1/disbursements/{original_id}/reverse", json={"reason": "重复支付，冲销"}
    )
    assert reversed_.status_code in (200, 201), reversed_.get_json()
    data = checker.get("/api/v1/exports/disbursements?format=xlsx").data
    records = as_records(sheet_rows(data), "编号")
    assert full_id not in data.decode("latin-1")
    mine = next(r for r in records if r["编号"] == original_id)
    assert mine["身份证号码（脱敏）"] != full_id
    assert mine["身份证号码（脱敏）"][:3] == full_id[:3] and "*" in mine["身份证号码（脱敏）"]
    compensation = next(r for r in records if r["冲销的原支出"] == original_id)
    assert compensation["金额（元）"] == -mine["金额（元）"] < 0
    text = checker.get("/api/v1/exports/disbursements?format=csv").data.decode("utf-8-sig")
    assert full_id not in text


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_text_that_looks_like_a_formula_is_exported_as_text(api, fund_id, fmt):
    maker = api("leiyang_finance")
    for index, text in enumerate(HOSTILE_TEXTS):
        created = maker.post(
            "/api/v1/disbursements",
            json={"fund_id": fund_id("2017-SJH"), "category": "project_support",
                  "amount": "10.00", "paid_on": "2017-06-01", "payee_name": text,
                  "voucher_no": f"{text[:20]}-{index}", "purpose": text},
        )  # fmt: skip
        assert created.status_code == 201, created.get_json()
    data = maker.get(f"/api/v1/exports/disbursements?format={fmt}&status=pending").data
    if fmt == "xlsx":
        records = as_records(sheet_rows(data), "编号")
        payees = {r["收款人"] for r in records}
        assert set(HOSTILE_TEXTS) <= payees  # the text kept exactly, stored as text
        sheet = load_workbook(io.BytesIO(data)).active
        hostile = [c for row in sheet.iter_rows() for c in row if c.value in HOSTILE_TEXTS]
        assert hostile and all(c.data_type == "s" and c.quotePrefix for c in hostile)
    else:
        records = as_records(csv_rows(data), "编号")
        payees = {r["收款人"] for r in records}
        assert {"'" + text for text in HOSTILE_TEXTS} <= payees


def test_history_export_has_one_line_per_changed_field(api, db_session):

    allocation_id = db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.document_no == "湘计生协〔2017〕12号", Allocation.to_region_code == "430400"
        )
    )
    client = api("auditor")
    history = client.get(f"/api/v1/history/allocations/{allocation_id}").get_json()["items"]
    rows = sheet_rows(client.get(f"/api/v1/exports/history/allocations/{allocation_id}").data)
    assert f"资金下达 #{allocation_id}" in rows[0][0]
    records = as_records(rows, "事务号")
    assert {r["事务号"] for r in records} == {item["transaction_id"] for item in history}
    changed = sum(max(len(item["changes"]), 1) for item in history)
    assert len(records) == changed
    status_lines = [r for r in records if r["字段"] == "状态"]
    assert status_lines and status_lines[-1]["新值"] != "approved"  # labelled, not raw
    assert all(r["操作人"] for r in records)


def test_history_export_out_of_sight_is_404(api, db_session):

    other = db_session.scalar(
        sa.select(Allocation.id).where(Allocation.to_region_code == "430100").limit(1)
    )
    assert (
        api("leiyang_finance").get(f"/api/v1/exports/history/allocations/{other}").status_code
        == 404
    )


def test_every_export_is_in_the_access_log(api, db_session, fund_id):

    client = api("auditor")
    client.get(f"/api/v1/exports/allocations?fund_id={fund_id('2017-SJH')}&format=csv")
    entry = db_session.scalars(sa.select(AccessLog).order_by(AccessLog.id.desc())).first()
    assert entry.event == "export" and entry.username == "auditor"
    assert "资金下达列表" in entry.detail and ".csv" in entry.detail


def test_pages_offer_the_exports(client, web_login, fund_id):
    assert client.get("/exports/allocations.xlsx").status_code == 302  # login first
    web_login("hengyang_finance")
    fid = fund_id("2017-SJH")
    listing = client.get(f"/allocations/?fund_id={fid}").get_data(as_text=True)
    assert f"/exports/allocations.xlsx?fund_id={fid}" in listing
    fund_page = client.get(f"/funds/{fid}").get_data(as_text=True)
    assert f"/exports/funds/{fid}/balances.csv" in fund_page
    response = client.get(f"/exports/allocations.xlsx?fund_id={fid}")
    assert response.status_code == 200
    records = as_records(sheet_rows(response.data), "编号")
    assert records and all(r["资金编号"] == "2017-SJH" for r in records)
    balances = client.get(f"/exports/funds/{fid}/balances.csv")
    assert as_records(csv_rows(balances.data), "地区代码")[0]["地区代码"] == "430400"
    assert client.get("/exports/allocations.xlsx?status=nonsense").status_code == 400
    assert client.get(f"/exports/funds/{fid}/balances.csv?as_of=yesterday").status_code == 422


def test_every_export_ends_its_preamble_with_the_signed_head(api, fund_id):
    client = api("auditor")
    head = client.get("/api/v1/audit/head").get_json()
    for fmt in ("csv", "xlsx"):
        response = client.get(
            f"/api/v1/exports/balances?fund_id={fund_id('2017-SJH')}&format={fmt}"
        )
        rows = csv_rows(response.data) if fmt == "csv" else sheet_rows(response.data)
        label, _, text = rows[1][0].partition("：")
        assert label == "审计见证（签名树头）", rows[:2]
        signed = json.loads(text)
        assert (signed["size"], signed["root"]) == (head["size"], head["root"])
        assert as_records(rows, "地区代码")  # the table still follows its header
