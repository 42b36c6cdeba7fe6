"""Excel import: the template, all-or-nothing batches checked row by row with the API's
rules, errors handed back per row (JSON, the same workbook, the page), and the history."""

from __future__ import annotations

import io
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy_continuum import version_class

from fundtrack.allocations.models import Allocation
from fundtrack.beneficiaries.models import Beneficiary
from fundtrack.disbursements.models import Disbursement
from tests.conftest import csrf_token
from tests.exchange.workbooks import XLSX, filled_template, upload
from tests.helpers import (
    allocation_row,
    assert_refused,
    ledger_state,
    payment_row,
)


def province_available(client, fund_id) -> Decimal:
    items = client.get(f"/api/v1/funds/{fund_id}/balances").get_json()["items"]
    return Decimal(next(i for i in items if i["region"] == "430000")["available"])


def test_template_has_the_columns_an_example_and_the_codes_to_use(api):
    response = api("province_maker").get("/api/v1/imports/allocations/template")
    assert response.status_code == 200 and response.mimetype == XLSX
    workbook = load_workbook(io.BytesIO(response.data))
    data = workbook["数据"]
    assert [c.value for c in data[1]] == ["资金编号", "下达地区代码", "接收地区代码",
                                          "金额（元）", "文号", "事由"]  # fmt: skip
    assert data["A2"].value == "2018-SJH" and data["C2"].value == "430100"
    notes = "\n".join(str(c.value) for c in workbook["说明"]["A"] if c.value)
    assert "示例" in notes and "2018-SJH" in notes and "430100　长沙市" in notes
    county = load_workbook(
        io.BytesIO(api("leiyang_finance").get("/api/v1/imports/disbursements/template").data)
    )
    county_notes = "\n".join(str(c.value) for c in county["说明"]["A"] if c.value)
    assert "430481　耒阳市" in county_notes and "430100" not in county_notes
    assert "project_support（项目扶持）" in county_notes


def test_a_good_allocation_table_creates_exactly_its_rows_with_their_history(api, db_session):

    client = api("province_maker")
    rows = [
        allocation_row("430100", "120000.00", reason="示范点"),
        allocation_row("430200", 80000, document_no="湘计生协〔2018〕32号"),
        allocation_row("430300", "1,500.50"),
    ]
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Allocation))
    response = upload(client, "allocations", filled_template(client, "allocations", rows),
                      name="三月下达.xlsx")  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "allocations" and body["created"] == 3
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Allocation)) == before + 3
    created = db_session.scalars(
        sa.select(Allocation).where(Allocation.id.in_(body["ids"])).order_by(Allocation.id)
    ).all()
    assert [(a.to_region_code, a.amount_fen, a.status) for a in created] == [
        ("430100", 12_000_000, "draft"), ("430200", 8_000_000, "draft"),
        ("430300", 150_050, "draft"),
    ]  # fmt: skip
    assert created[0].reason == "示范点" and created[1].document_no == "湘计生协〔2018〕32号"
    versions = db_session.scalars(
        sa.select(version_class(Allocation)).where(version_class(Allocation).id.in_(body["ids"]))
    ).all()
    assert len(versions) == 3 and len({v.transaction_id for v in versions}) == 1
    history = client.get(f"/api/v1/history/allocations/{body['ids'][0]}").get_json()["items"]
    assert history[0]["action"] == "Excel 导入资金下达表「三月下达.xlsx」，3 行"
    assert history[0]["reason"] is None
    assert history[0]["user"]["username"] == "province_maker"
    assert history[0]["changes"]["amount"] == [None, "120000.00"]


def test_one_bad_row_changes_nothing_and_names_that_row(api, db_session):
    client = api("province_maker")
    data = filled_template(client, "allocations", [
        allocation_row("430100"),
        allocation_row("999999"),
        allocation_row("430300", "12.345"),
        allocation_row("430400", document_no=""),
    ])  # fmt: skip
    error = assert_refused(db_session, lambda: upload(client, "allocations", data), 422,
                           "import_rejected")  # fmt: skip
    assert "3 行有错误" in error["message"]
    rows = {row["row"]: row for row in error["details"]["rows"]}
    assert set(rows) == {3, 4, 5}
    assert rows[3]["fields"] == {"接收地区代码": ["接收地区不存在"]}
    assert rows[4]["fields"]["金额（元）"] == ["金额最多保留两位小数"]
    assert rows[5]["fields"]["文号"] == ["必填"]


def test_the_batch_is_checked_as_a_whole_against_the_balance(api, db_session, fund_id):
    client = api("province_maker")
    available = province_available(client, fund_id("2018-SJH"))
    data = filled_template(client, "allocations", [
        allocation_row("430100", str(available - 1)),
        allocation_row("430200", "2.00"),
    ])  # fmt: skip
    error = assert_refused(db_session, lambda: upload(client, "allocations", data), 422,
                           "import_rejected")  # fmt: skip
    (row,) = error["details"]["rows"]
    assert row["row"] == 3 and row["code"] == "insufficient_funds"
    assert "可用余额不足：可用 1.00 元" in row["messages"][0]


def test_the_example_row_left_in_is_refused(api, db_session):
    client = api("province_maker")
    data = filled_template(client, "allocations", [allocation_row()], keep_example=True)
    error = assert_refused(db_session, lambda: upload(client, "allocations", data), 422)
    (row,) = error["details"]["rows"]
    assert row["row"] == 2 and row["code"] == "example_row"


def test_errors_come_back_in_the_same_workbook(api, db_session):
    client = api("province_maker")
    data = filled_template(client, "allocations", [allocation_row(), allocation_row("999999")])
    before = ledger_state(db_session)
    response = upload(client, "allocations", data, headers={"Accept": XLSX})
    assert response.status_code == 422 and response.mimetype == XLSX
    assert ledger_state(db_session) == before
    sheet = load_workbook(io.BytesIO(response.data))["数据"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["资金编号", "下达地区代码", "接收地区代码", "金额（元）", "文号", "事由"]
    assert header[-1] == "错误（导入时填写）"
    assert sheet.cell(row=2, column=len(header)).value is None
    assert "接收地区代码：接收地区不存在" in sheet.cell(row=3, column=len(header)).value
    assert sheet.cell(row=3, column=3).value == "999999"  # the user's own data kept


def test_payments_keep_the_earmark_and_link_registered_beneficiaries(api, db_session):

    person = db_session.scalar(sa.select(Beneficiary).where(Beneficiary.name == "王建国"))
    person_id, id_number = person.id, person.id_number
    client = api("leiyang_finance")
    refused = filled_template(client, "disbursements", [
        payment_row(),
        payment_row(**{"支出科目代码": "office", "凭证号": "耒-2017-902"}),
    ])  # fmt: skip
    error = assert_refused(db_session, lambda: upload(client, "disbursements", refused), 422)
    (row,) = error["details"]["rows"]
    assert row["row"] == 3 and row["code"] == "not_earmarked"
    assert "专款专用" in row["messages"][0]
    good = filled_template(client, "disbursements", [
        payment_row(),
        payment_row(**{"收款人": "王建国", "身份证号码": id_number, "凭证号": "耒-2017-903",
                       "金额（元）": "300.00", "支付日期": "2017-09-02"}),
    ])  # fmt: skip
    response = upload(client, "disbursements", good)
    assert response.status_code == 201, response.get_json()
    payments = db_session.scalars(
        sa.select(Disbursement).where(Disbursement.id.in_(response.get_json()["ids"]))
    ).all()
    by_voucher = {p.voucher_no: p for p in payments}
    assert by_voucher["耒-2017-901"].status == "pending"
    assert by_voucher["耒-2017-901"].payee_account == "6217000011112222333"
    assert by_voucher["耒-2017-903"].beneficiary_id == person_id
    assert by_voucher["耒-2017-903"].amount_fen == 30_000


def test_files_that_are_not_the_template_are_refused(api, db_session):
    client = api("province_maker")
    error = assert_refused(
        db_session, lambda: upload(client, "allocations", b"not a workbook"), 422,
        "import_rejected",
    )  # fmt: skip
    assert error["details"]["file"] == ["文件不是有效的 Excel 工作簿（.xlsx）"]
    workbook = Workbook()
    workbook.active.append(["资金编号", "金额（元）"])
    workbook.active.append(["2018-SJH", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = assert_refused(
        db_session, lambda: upload(client, "allocations", buffer.getvalue()), 422
    )
    assert "缺少必填列：接收地区代码、文号" in error["details"]["file"][0]


def test_formulas_are_not_imported(api, db_session):
    client = api("province_maker")
    data = filled_template(client, "allocations", [allocation_row(amount="=1000*2")])
    error = assert_refused(db_session, lambda: upload(client, "allocations", data), 422)
    (row,) = error["details"]["rows"]
    assert "公式" in row["fields"]["金额（元）"][0]


def test_only_finance_makers_import(api, db_session):
    client = api("auditor")
    data = filled_template(api("province_maker"), "allocations", [allocation_row()])
    assert_refused(db_session, lambda: upload(client, "allocations", data), 403, "forbidden")
    assert api("province_checker").get("/api/v1/imports/nonsense/template").status_code == 404


def test_a_10000_row_batch_imports_in_one_go(api, db_session):

    client = api("province_maker")
    prefectures = ["430100", "430200", "430300", "430500", "430600", "430700"]
    rows = [
        allocation_row(prefectures[i % 6], "1.00", document_no=f"湘计生协〔2018〕批{i}号")
        for i in range(10_000)
    ]
    response = upload(client, "allocations", filled_template(client, "allocations", rows))
    assert response.status_code == 201, str(response.get_json())[:500]
    assert response.get_json()["created"] == 10_000
    total = db_session.scalar(
        sa.select(sa.func.sum(Allocation.amount_fen)).where(
            Allocation.document_no.like("湘计生协〔2018〕批%")
        )
    )
    assert total == 10_000 * 100


def test_the_import_page(client, web_login, db_session):
    web_login("province_maker")
    page = client.get("/imports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "资金下达表" in html and "/imports/allocations/template.xlsx" in html
    template = client.get("/imports/allocations/template.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX
    token = csrf_token(html)

    def post(rows, name="batch.xlsx"):
        workbook = load_workbook(io.BytesIO(template.data))
        sheet = workbook["数据"]
        for cell in sheet[2]:
            cell.value = None
        for offset, row in enumerate(rows):
            labels = [c.value for c in sheet[1]]
            for label, value in row.items():
                sheet.cell(row=2 + offset, column=labels.index(label) + 1).value = value
        buffer = io.BytesIO()
        workbook.save(buffer)
        return client.post(
            "/imports/allocations",
            data={"allocations-csrf_token": token, "csrf_token": token,
                  "allocations-file": (io.BytesIO(buffer.getvalue()), name)},
            content_type="multipart/form-data",
        )  # fmt: skip

    before = ledger_state(db_session)
    refused = post([allocation_row(), allocation_row("999999", reason="<script>x</script>")])
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "导入未执行：1 行有错误，整批 2 行均未写入" in html
    assert "接收地区代码：接收地区不存在" in html and "<script>x" not in html
    assert ledger_state(db_session) == before
    download_token = csrf_token(html)
    blob = html.split('name="workbook" type="hidden" value="')[1].split('"')[0]
    errors = client.post("/imports/errors.xlsx",
                         data={"csrf_token": download_token, "kind": "allocations",
                               "workbook": blob})  # fmt: skip
    assert errors.status_code == 200 and errors.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(errors.data))["数据"]
    assert "接收地区不存在" in sheet.cell(row=3, column=sheet.max_column).value
    forged = client.post("/imports/errors.xlsx",
                         data={"csrf_token": download_token, "kind": "allocations",
                               "workbook": blob[:-4] + "AAAA"})  # fmt: skip
    assert forged.status_code == 400
    done = post([allocation_row(), allocation_row("430200")])
    assert done.status_code == 302 and "status=draft" in done.headers["Location"]
    listing = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已导入资金下达表 2 条，均待审批" in listing


def test_the_import_page_is_for_makers(client, web_login):
    web_login("auditor")
    assert client.get("/imports/").status_code == 403
    assert "Excel 导入" not in client.get("/").get_data(as_text=True)
