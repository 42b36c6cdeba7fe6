"""Allocation notices: Chinese text, capital numerals, the earmark, an embedded CJK font."""

import sqlalchemy as sa

from fundtrack.models import Allocation
from tests.pdf_text import embedded_fonts as _embedded_fonts
from tests.pdf_text import pdf_pages as _text


def _allocation_id(db_session, document_no, to_region):

    return db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.document_no == document_no, Allocation.to_region_code == to_region
        )
    )


def test_notice_of_one_allocation(api, db_session):
    allocation_id = _allocation_id(db_session, "湘计生协〔2017〕12号", "430400")
    response = api("hengyang_finance").get(f"/api/v1/allocations/{allocation_id}/notice.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    (page,) = _text(response.data)
    for expected in (
        "湖南省计划生育协会",
        "湘计生协〔2017〕12号",
        "关于下达2017年三结合项目经费的通知",
        "衡阳市计划生育协会",
        "460,000.00元",
        "人民币肆拾陆万元整",
        "专款专用",
        "项目扶持、技能培训",
        "2017年4月10日",
        "盖章",
    ):
        assert expected in page, expected
    # the document covers twelve prefectures: their table and its total
    assert "长沙市" in page and "怀化市" in page
    assert "人民币肆佰肆拾肆万元整" in page
    assert any("CJK" in name for name in _embedded_fonts(response.data))


def test_one_document_numbers_notices_together(api, fund_id):
    response = api("auditor").get(
        f"/api/v1/allocations/notices.pdf?fund_id={fund_id('2017-SJH')}"
        "&document_no=湘计生协〔2017〕12号"
    )
    assert response.status_code == 200
    pages = _text(response.data)
    assert len(pages) == 12
    assert "长沙市计划生育协会：" in pages[0]


def test_no_notice_for_a_draft(api, fund_id):
    draft = api("province_maker").post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-SJH"), "to_region": "430100", "amount": "1.00",
              "document_no": "湘计生协〔2018〕77号"},
    ).get_json()  # fmt: skip
    response = api("province_maker").get(f"/api/v1/allocations/{draft['id']}/notice.pdf")
    assert response.status_code == 409


def test_notice_of_another_branch_is_404(api, db_session):
    allocation_id = _allocation_id(db_session, "郴计生协〔2017〕4号", "431028")
    assert (
        api("leiyang_finance").get(f"/api/v1/allocations/{allocation_id}/notice.pdf").status_code
        == 404
    )


def test_notice_button_on_the_allocation_page(client, web_login, db_session):
    allocation_id = _allocation_id(db_session, "衡计生协〔2017〕5号", "430481")
    web_login("leiyang_finance")
    html = client.get(f"/allocations/{allocation_id}").get_data(as_text=True)
    assert "下载资金下达通知" in html
    response = client.get(f"/allocations/{allocation_id}/notice.pdf")
    assert response.status_code == 200
    assert "人民币贰拾万元整" in _text(response.data)[0]


def test_user_text_cannot_make_the_pdf_fetch_files(api, fund_id):
    """A reason with HTML in it is printed as text, and nothing is fetched from file://."""
    maker, checker = api("province_maker"), api("province_checker")
    allocation = maker.post(
        "/api/v1/allocations",
        json={"fund_id": fund_id("2018-SJH"), "to_region": "430100", "amount": "5.00",
              "document_no": "湘计生协〔2018〕78号",
              "reason": '<img src="file:///etc/passwd"><link rel=stylesheet href="http://10.0.0.1/x.css">'},
    ).get_json()  # fmt: skip
    checker.post(f"/api/v1/allocations/{allocation['id']}/approve", json={})
    response = maker.get(f"/api/v1/allocations/{allocation['id']}/notice.pdf")
    assert response.status_code == 200
    assert "<imgsrc=" in _text(response.data)[0]  # escaped, shown as text


def test_every_pdf_download_is_recorded_as_an_export(api, db_session):
    allocation_id = _allocation_id(db_session, "湘计生协〔2017〕12号", "430400")
    hengyang = api("hengyang_finance")
    assert hengyang.get(f"/api/v1/allocations/{allocation_id}/notice.pdf").status_code == 200
    log = api("auditor").get("/api/v1/access-log?event=export").get_json()["items"]
    assert log[0]["username"] == "hengyang_finance"
    assert "湘计生协〔2017〕12号" in log[0]["detail"]
