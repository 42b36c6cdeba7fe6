"""How a large import reads and writes, made cheaper without changing what it reads or writes:
the shared strings as openpyxl reads them, ids in the order of the sheet from the table's
own sequence, and version rows that are the live rows' copies (``audit verify`` agrees)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.reader.strings import read_string_table
from sqlalchemy_continuum import versioning_manager
from sqlalchemy_continuum.utils import versioned_column_properties

from fundtrack.core.versioning import _versioned_keys
from fundtrack.disbursements.models import Disbursement
from fundtrack.exchange.contract import KINDS
from fundtrack.exchange.xlsx import _load_read_only, _read_string_table, _sheet_rows, read_rows
from tests.exchange.workbooks import filled_template, upload
from tests.helpers import payment_row

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="{NS}" count="9" uniqueCount="9">
<si><t>耒阳市某合作社</t></si>
<si><t xml:space="preserve">  spaces kept  </t></si>
<si><t/></si>
<si><r><rPr><b/></rPr><t>粗体</t></r><r><t xml:space="preserve"> 与常规</t></r></si>
<si><t>plain</t><r><t>run</t></r></si>
<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si>
<si><t>a_x005F_x000D_b</t></si>
<si><r><t/></r><r><t>only</t></r></si>
<si><t>6217000011112222333</t></si>
</sst>"""


def test_shared_strings_are_read_as_openpyxl_reads_them():

    ours = _read_string_table(io.BytesIO(SHARED_STRINGS.encode()))
    assert ours == list(read_string_table(io.BytesIO(SHARED_STRINGS.encode())))
    assert ours[3] == "粗体 与常规" and ours[5] == "漢字"


@pytest.mark.parametrize("write_only", [False, True], ids=["sized", "write-only, no size"])
def test_a_sheet_written_by_openpyxl_is_read_as_openpyxl_reads_it(write_only):
    """Inline strings (openpyxl writes every text so) read by ``_item_text``, beside
    numbers, dates, booleans, formulas, rich text, blank cells and missing rows; with and
    without the sheet's ``<dimension>`` (openpyxl's write-only mode writes none)."""
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("支出") if write_only else book.active
    sheet.append(["耒阳市某合作社", "  spaces kept  ", 12.5, 3, True, None, "末列"])
    sheet.append([datetime(2017, 10, 9), "=1+1", None, None, "", "a_x005F_x000D_b"])
    sheet.append([])
    sheet.append([])
    rich = CellRichText([TextBlock(InlineFont(b=True), "粗体"), " 与常规"])
    sheet.append([None, rich, None, "6217000011112222333"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()

    theirs = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    expected = {
        number: [(cell.value, cell.data_type) for cell in row]
        for number, row in enumerate(theirs.iter_rows(), start=1)
        if any(cell.value is not None for cell in row)
    }
    ours = {
        number: cells
        for number, cells in _sheet_rows(_load_read_only(data).worksheets[0])
        if any(value is not None for value, _type in cells)
    }
    assert set(ours) == set(expected) == {1, 2, 5}

    def typed(cells):  # a blank cell's type says nothing (openpyxl: "n" or "inlineStr")
        return [(value, kind if value is not None else None) for value, kind in cells]

    for number, cells in ours.items():
        padded = cells + [(None, None)] * (len(expected[number]) - len(cells))
        assert typed(padded) == typed(expected[number]), number
    assert ours[5][1] == ("粗体 与常规", "s")


def _shared_strings_workbook(rows: list[list[str]]) -> bytes:
    """A workbook as Excel writes it: every text in the shared strings table (openpyxl
    writes inline strings, so the template cannot show this)."""
    strings = sorted({text for row in rows for text in row})
    index = {text: i for i, text in enumerate(strings)}
    cells = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c r="{chr(65 + c)}{r}" t="s"><v>{index[text]}</v></c>' for c, text in enumerate(row)
        )
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    table = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings)
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/{part}" ContentType="{spreadsheet}.{kind}+xml"/>'
        for part, kind in (
            ("workbook.xml", "sheet.main"),
            ("worksheets/sheet1.xml", "worksheet"),
            ("sharedStrings.xml", "sharedStrings"),
        )
    )
    parts = {
        "[Content_Types].xml": f'''<Types xmlns="{package}/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>''',
        "_rels/.rels": f'''<Relationships xmlns="{package}/relationships">
<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>''',
        "xl/workbook.xml": f'''<workbook xmlns="{NS}" xmlns:r="{office}">
<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>''',
        "xl/_rels/workbook.xml.rels": f'''<Relationships xmlns="{package}/relationships">
<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{office}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>''',
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{NS}"><sheetData>{cells}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{NS}">{table}</sst>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_workbook_with_shared_strings_reads_as_before():

    kind = KINDS["disbursements"]
    labels = [c.label for c in kind.columns]
    rows = [labels, [" 某 合作社 " if c.key == "payee_name" else f"{c.key}1" for c in kind.columns]]
    data = _shared_strings_workbook(rows)
    header, read = read_rows(kind, data)
    sheet = load_workbook(io.BytesIO(data), read_only=True)["数据"]
    expected = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [cells for _, cells in read] == expected
    assert read[0][1][header["payee_name"]] == (" 某 合作社 ", "s")


def test_a_batch_takes_its_ids_in_sheet_order_and_audit_verify_accepts_it(api, db_session, runner):

    client = api("leiyang_finance")
    rows = [payment_row(**{"凭证号": f"耒-2017-序{i}", "金额（元）": "1.00"}) for i in range(30)]
    response = upload(client, "disbursements", filled_template(client, "disbursements", rows))
    assert response.status_code == 201, str(response.get_json())[:500]
    ids = response.get_json()["ids"]
    assert ids == sorted(ids) and len(set(ids)) == 30
    vouchers = dict(
        db_session.execute(
            sa.select(Disbursement.id, Disbursement.voucher_no).where(Disbursement.id.in_(ids))
        ).all()
    )
    assert [vouchers[i] for i in ids] == [f"耒-2017-序{i}" for i in range(30)]
    versions = db_session.execute(
        sa.text(
            "SELECT v.id, v.voucher_no, v.amount_fen, v.operation_type, v.end_transaction_id, "
            "v.transaction_id FROM disbursements_version v WHERE v.id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"ids": ids},
    ).all()
    assert sorted((v.id, v.voucher_no, v.amount_fen) for v in versions) == [
        (i, vouchers[i], 100) for i in ids
    ]
    assert {(v.operation_type, v.end_transaction_id) for v in versions} == {(0, None)}
    assert len({v.transaction_id for v in versions}) == 1
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_version_columns_are_continuums_own():

    assert versioning_manager.version_class_map
    for cls in versioning_manager.version_class_map:
        expected = tuple(prop.key for prop in versioned_column_properties(cls))
        assert _versioned_keys(cls) == expected
