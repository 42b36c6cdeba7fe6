"""A record's history report as PDF: current state, every change with who and why, each
change's seal in the hash chain, Chinese text in an embedded font; scoped and logged."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.audit.models import AccessLog, AuditSeal
from tests.pdf_text import embedded_fonts, pdf_pages


def _hengyang_allocation(db_session) -> int:

    return db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.document_no == "湘计生协〔2017〕12号", Allocation.to_region_code == "430400"
        )
    )


def test_history_report_lists_every_change_with_its_seal(api, db_session):

    allocation_id = _hengyang_allocation(db_session)
    client = api("auditor")
    history = client.get(f"/api/v1/history/allocations/{allocation_id}").get_json()["items"]
    response = client.get(f"/api/v1/history/allocations/{allocation_id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "".join(pdf_pages(response.data))
    assert f"资金下达#{allocation_id}变更历史报告" in text
    assert "湘计生协〔2017〕12号" in text and "衡阳市" in text
    assert f"共{len(history)}次变更" in text
    for item in history:
        assert item["user"]["display_name"] in text
        if item["reason"]:
            assert item["reason"].replace(" ", "") in text
    seals = db_session.scalars(
        sa.select(AuditSeal.hash).where(
            AuditSeal.transaction_id.in_([item["transaction_id"] for item in history])
        )
    ).all()
    assert len(seals) == len(history)
    for seal in seals:
        assert seal in text
    assert any("CJK" in name for name in embedded_fonts(response.data))
    entry = db_session.scalars(sa.select(AccessLog).order_by(AccessLog.id.desc())).first()
    assert entry.event == "export" and "变更历史报告" in entry.detail


def test_history_report_page_link_and_scope(client, web_login, db_session):
    allocation_id = _hengyang_allocation(db_session)
    web_login("leiyang_finance")  # a county of 衡阳 does not see the province's gift to 衡阳
    assert client.get(f"/history/allocations/{allocation_id}/report.pdf").status_code == 404
    web_login("hengyang_finance")
    page = client.get(f"/history/allocations/{allocation_id}").get_data(as_text=True)
    assert f"/history/allocations/{allocation_id}/report.pdf" in page
    assert f"/exports/history/allocations/{allocation_id}.xlsx" in page
    response = client.get(f"/history/allocations/{allocation_id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
