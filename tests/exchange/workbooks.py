"""Filling the import template the way a finance officer does: download, write rows, upload."""

from __future__ import annotations

import io

from openpyxl import load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filled_template(client, kind: str, rows: list[dict], keep_example: bool = False) -> bytes:
    """The template from the API with ``rows`` (column label -> value) from row 2 on."""
    response = client.get(f"/api/v1/imports/{kind}/template")
    assert response.status_code == 200, response.data[:200]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["数据"]
    labels = [cell.value for cell in sheet[1]]
    first = 3 if keep_example else 2
    if not keep_example:
        for cell in sheet[2]:
            cell.value = None
    for offset, row in enumerate(rows):
        for label, value in row.items():
            sheet.cell(row=first + offset, column=labels.index(label) + 1).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, kind: str, data: bytes, name: str = "batch.xlsx", **kw):
    return client.post(
        f"/api/v1/imports/{kind}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kw,
    )
