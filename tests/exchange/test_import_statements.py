"""An import asks the database what does not change within the batch once per batch, not once
per row (earmark, benefit rule, region, category): a longer sheet sends no more SELECTs."""

from __future__ import annotations

from tests.exchange.workbooks import filled_template, upload
from tests.helpers import allocation_row, payment_row
from tests.query_count import count_queries


def _selects(app, client, kind: str, rows: list[dict]) -> list[str]:
    data = filled_template(client, kind, rows)
    with count_queries(app) as counted:
        response = upload(client, kind, data)
    assert response.status_code == 201, str(response.get_json())[:500]
    assert response.get_json()["created"] == len(rows)
    return [s for s in counted.statements if s.lstrip().upper().startswith("SELECT")]


def test_payment_import_selects_do_not_grow_with_the_rows(app, api, db_session):
    client = api("leiyang_finance")

    def rows(n: int, start: int) -> list[dict]:
        return [
            payment_row(**{"金额（元）": "1.00", "凭证号": f"耒-批-{start + i}",
                           "收款人": f"耒阳市合作社{i}"})
            for i in range(n)
        ]  # fmt: skip

    few = _selects(app, client, "disbursements", rows(3, 0))
    many = _selects(app, client, "disbursements", rows(40, 100))
    assert len(many) == len(few), "\n".join(many)


def test_allocation_import_selects_do_not_grow_with_the_rows(app, api, db_session):
    client = api("province_maker")
    prefectures = ["430100", "430200", "430300", "430500"]

    def rows(n: int, start: int) -> list[dict]:
        return [
            allocation_row(
                prefectures[i % 4], "1.00", document_no=f"湘计生协〔2018〕批{start + i}号"
            )
            for i in range(n)
        ]

    few = _selects(app, client, "allocations", rows(4, 0))
    many = _selects(app, client, "allocations", rows(40, 100))
    assert len(many) == len(few), "\n".join(many)
