"""Performance evaluation pages in English, and still in Chinese for a Chinese user.

Needs the English catalogue with the translations of ``i18n-pending/eval_audit.json`` merged
and compiled (``scripts/i18n.py update --merge …``). Also covers the review page showing the
self-score total and who submitted, and the list offering to file only funds not filed yet.
"""

from __future__ import annotations

import re

from tests.conftest import csrf_token, switch_language
from tests.helpers import submitted_evaluation


def _logout(client):
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})


def _open(client, fund: int) -> str:
    """Open the evaluation of ``fund`` from the list page; the form's URL."""
    html = client.get("/evaluations/").get_data(as_text=True)
    response = client.post(f"/evaluations/open/{fund}", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    return response.headers["Location"]


def _form_fields(html: str) -> dict:
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    for name in re.findall(r'<input[^>]*name="([^"]+)"(?![^>]*value=)', html):
        fields.setdefault(name, "")
    return fields


def test_the_evaluation_list_in_english(client, web_login):
    web_login("leiyang_finance")
    switch_language(client, "en")
    html = client.get("/evaluations/").get_data(as_text=True)
    assert "<h1>Performance evaluations</h1>" in html
    assert "To be filed by your region" in html and "Start filing" in html
    assert "Evaluation ranking" in html and "Filter by status" in html
    headers = re.findall(r"<th[^>]*>\s*(?:<a [^>]*>)?([^<]+)", html)
    for header in ("Fiscal year", "Region", "Self score", "Final score", "Grade"):
        assert header in headers
    # the demo's approved 2017 evaluations of 耒阳市: status and grade in English
    assert "Approved</span>" in html and "<td>Excellent</td>" in html
    assert "绩效评价" not in html and "开始填报" not in html and "已审定" not in html


def test_the_evaluation_form_and_its_errors_in_english(client, web_login, fund_id):
    web_login("leiyang_finance")
    switch_language(client, "en")
    url = _open(client, fund_id("2017-DKTX"))
    html = client.get(url).get_data(as_text=True)
    assert "Performance indicators (weights add up to 100; a self score cannot exceed" in html
    for text in (
        "Target",
        "Actual",
        "Self score",
        "Save and submit",
        "Declared uses",
        "Output indicators",
        "Quantity",
        "Amount (yuan)",
        "Self-evaluation summary",
    ):
        assert text in html, text
    # indicator names are data of the template: they stay as written
    assert "贴息贷款户数" in html
    assert "自评分" not in html and "保存并提交" not in html

    fields = _form_fields(html)
    lines = sorted({k.split("-")[1] for k in fields if k.startswith("indicators-")}, key=int)
    for index in lines:
        fields[f"indicators-{index}-actual"] = "done"
        fields[f"indicators-{index}-self_score"] = fields[f"indicators-{index}-weight"]
    fields["indicators-0-self_score"] = "25"
    response = client.post(url, data={**fields, "action": "save"})
    assert response.status_code == 422
    assert "The self score must be between 0 and the weight 20.00" in response.get_data(
        as_text=True
    )

    fields["indicators-0-self_score"] = "18"
    fields["declared_uses-0-category"] = "meeting"
    fields["declared_uses-0-amount"] = "800.00"
    response = client.post(url, data={**fields, "action": "submit"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Uses outside the special fund&#39;s earmark prevent submission" in html
    assert "800.00 yuan (declared)" in html


def test_the_same_pages_stay_chinese_for_a_chinese_user(client, web_login, fund_id):
    web_login("leiyang_finance")
    html = client.get("/evaluations/").get_data(as_text=True)
    assert "<h1>绩效评价</h1>" in html and "本地区待填报" in html and "开始填报" in html
    assert "<td>优</td>" in html and "已审定</span>" in html
    html = client.get(_open(client, fund_id("2017-DKTX"))).get_data(as_text=True)
    assert "绩效指标（权重合计 100；自评分不超过权重）" in html and "保存并提交" in html
    assert "产出指标" in html and "金额（元）" in html


def test_the_reviewer_sees_the_self_score_total_and_who_submitted(client, web_login, api, fund_id):
    evaluation = submitted_evaluation(api("leiyang_finance"), fund_id("2017-DKTX"))
    web_login("hengyang_checker")
    html = client.get(f"/evaluations/{evaluation}").get_data(as_text=True)
    assert "审定通过" in html
    assert re.search(r"<dt>自评分合计</dt><dd>100\.00</dd>", html)
    assert "<dt>提交人</dt><dd>耒阳市计生协财务（leiyang_finance）</dd>" in html
    assert "（北京时间）" in html
    switch_language(client, "en")
    html = client.get(f"/evaluations/{evaluation}").get_data(as_text=True)
    assert "<dt>Self score total</dt><dd>100.00</dd>" in html
    assert "<dt>Submitted by</dt><dd>耒阳市计生协财务 (leiyang_finance)</dd>" in html


def test_a_status_filter_does_not_offer_to_file_a_fund_already_filed(client, web_login, fund_id):
    web_login("leiyang_finance")
    dktx = fund_id("2017-DKTX")
    opening = f'action="/evaluations/open/{dktx}"'
    assert opening in client.get("/evaluations/").get_data(as_text=True)
    _open(client, dktx)  # a draft now
    for status in ("", "draft", "approved", "submitted"):
        html = client.get(f"/evaluations/?status={status}").get_data(as_text=True)
        assert opening not in html, status
