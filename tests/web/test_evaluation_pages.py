"""A county files and submits its evaluation in the browser; a reviewer returns and approves."""

import re

import sqlalchemy as sa

from fundtrack.evaluations.models import Evaluation
from tests.conftest import csrf_token


def _logout(client):
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})


def _form_fields(html: str) -> dict:
    """The named inputs of the evaluation form with their current values."""
    fields = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        fields[name] = value
    for name in re.findall(r'<input[^>]*name="([^"]+)"(?![^>]*value=)', html):
        fields.setdefault(name, "")
    return fields


def test_county_fills_submits_and_reviewer_returns_then_approves(client, web_login, fund_id):
    web_login("leiyang_finance")
    html = client.get("/evaluations/").get_data(as_text=True)
    assert "开始填报" in html and "计生家庭发展生产贷款贴息" in html
    response = client.post(
        f"/evaluations/open/{fund_id('2017-DKTX')}", data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 302
    url = response.headers["Location"]
    html = client.get(url).get_data(as_text=True)
    assert "贴息贷款户数" in html

    fields = _form_fields(html)
    lines = sorted({k.split("-")[1] for k in fields if k.startswith("indicators-")}, key=int)
    for index in lines:
        fields[f"indicators-{index}-actual"] = "已完成"
        fields[f"indicators-{index}-self_score"] = fields[f"indicators-{index}-weight"]
    # a line scored above its weight is refused next to the line, with the values kept
    fields["indicators-0-self_score"] = "25"
    response = client.post(url, data={**fields, "action": "save"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "自评分须在 0 到权重 20.00 之间" in html and 'value="25"' in html

    # a declared use in a running cost blocks submission, named on the page
    fields["indicators-0-self_score"] = "18"
    fields["declared_uses-0-category"] = "meeting"
    fields["declared_uses-0-amount"] = "800.00"
    fields["declared_uses-0-description"] = "贴息政策培训会"
    response = client.post(url, data={**fields, "action": "submit"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "会议费 800.00 元" in html and "不能提交" in html

    fields["declared_uses-0-category"] = ""
    fields["declared_uses-0-amount"] = ""
    response = client.post(url, data={**fields, "action": "submit"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert "已提交" in client.get(url).get_data(as_text=True)
    _logout(client)

    web_login("hengyang_checker")
    html = client.get(url).get_data(as_text=True)
    assert "审定通过" in html and "退回修改" in html
    client.post(url + "/return", data={"csrf_token": csrf_token(html),
                                       "return-comment": "请补充贴息户名单"})  # fmt: skip
    html = client.get(url).get_data(as_text=True)
    assert "已退回" in html and "请补充贴息户名单" in html
    _logout(client)

    web_login("leiyang_finance")
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data={**_form_fields(html), "action": "submit"})
    assert response.status_code == 302
    _logout(client)

    web_login("hengyang_checker")
    html = client.get(url).get_data(as_text=True)
    client.post(url + "/approve", data={"csrf_token": csrf_token(html),
                                        "approve-final_score": "88.5"})  # fmt: skip
    html = client.get(url).get_data(as_text=True)
    assert "已审定" in html and "88.50" in html and "（良）" in html


def test_rankings_page_shows_the_spread_and_a_chart(client, web_login, fund_id):
    web_login("auditor")
    html = client.get(f"/evaluations/rankings?fund_id={fund_id('2017-SJH')}").get_data(as_text=True)
    assert "相差 <strong>39.50</strong> 分" in html
    assert "<svg" in html and "衡阳市" in html and "张家界市" in html
    assert html.index("衡阳市") < html.index("张家界市")


def test_overdue_evaluations_show_on_the_home_pages_of_region_and_parent(client, web_login):
    web_login("leiyang_finance")
    html = client.get("/").get_data(as_text=True)
    assert "逾期未提交的绩效评价" in html and "计生家庭发展生产贷款贴息" in html
    _logout(client)
    web_login("hengyang_finance")
    html = client.get("/").get_data(as_text=True)
    assert "耒阳市：2017年 计生家庭发展生产贷款贴息" in html


def test_the_evaluations_page_pages_through_the_overdue_on_its_own(client, web_login, monkeypatch):
    """The overdue list has its own pager (``overdue_page``), which keeps the list's page,
    and the list's pager keeps the overdue page."""
    monkeypatch.setattr("fundtrack.evaluations.views.OVERDUE_PER_PAGE", 10)
    monkeypatch.setattr("fundtrack.evaluations.views.PER_PAGE", 3)
    web_login("province_checker")

    def overdue_items(html: str) -> list[str]:
        section = html.split('id="overdue"', 1)[1].split("</section>", 1)[0]
        return re.findall(r"<li>(.*?)</li>", section)

    first = client.get("/evaluations/").get_data(as_text=True)
    total = int(re.search(r"逾期未提交的绩效评价（(\d+)）", first).group(1))
    assert total > 20
    assert len(overdue_items(first)) == 10
    pages = -(-total // 10)
    assert f"共 {total} 条，第 1 / {pages} 页" in first
    assert 'href="/evaluations/?page=1&amp;overdue_page=2#overdue"' in first

    second = client.get("/evaluations/?overdue_page=2").get_data(as_text=True)
    assert f"共 {total} 条，第 2 / {pages} 页" in second
    assert not set(overdue_items(first)) & set(overdue_items(second))
    assert 'href="/evaluations/?page=1&amp;overdue_page=1#overdue"' in second
    assert 'href="/evaluations/?overdue_page=2&amp;page=2"' in second  # the list's pager
    last = client.get(f"/evaluations/?overdue_page={pages}").get_data(as_text=True)
    assert len(overdue_items(last)) == total - 10 * (pages - 1)


def test_evaluation_pdf_from_the_page(client, web_login, db_session):

    evaluation_id = db_session.scalar(
        sa.select(Evaluation.id).where(Evaluation.region_code == "430481").limit(1)
    )
    web_login("leiyang_finance")
    response = client.get(f"/evaluations/{evaluation_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
