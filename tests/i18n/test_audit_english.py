"""An English auditor reads a record's history and the access log in English; a Chinese
auditor still reads them in Chinese; the history PDF stays Chinese either way.

Needs the English catalogue with the translations of ``i18n-pending/eval_audit.json`` merged
and compiled (``scripts/i18n.py update --merge …``).
"""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.evaluations.models import Evaluation
from tests.conftest import switch_language
from tests.pdf_text import pdf_pages


def _demo_evaluation(db_session, fund_id) -> int:
    """The demo's approved 2017 三结合 evaluation of 耒阳市 (lines, review, grade)."""
    return db_session.scalar(
        sa.select(Evaluation.id).where(
            Evaluation.fund_id == fund_id("2017-SJH"), Evaluation.region_code == "430481"
        )
    )


def test_an_english_auditor_reads_a_history_in_english(client, web_login, db_session, fund_id):
    evaluation = _demo_evaluation(db_session, fund_id)
    web_login("auditor")
    switch_language(client, "en")
    html = client.get(f"/history/evaluations/{evaluation}").get_data(as_text=True)
    assert f"<h1>Performance evaluations #{evaluation} · Change history</h1>" in html
    assert "Times are Beijing time; roles and regions are those the user held" in html
    assert "History report (PDF)" in html and "Show the record as it stood at" in html
    for text in ("<dt>User</dt>", "<dt>Address</dt>", "<dt>Reason or opinion</dt>",
                 "<dt>Action</dt>", "<dt>Transaction</dt>",
                 ">Field</th>", ">Old value</th>", ">New value</th>"):  # fmt: skip
        assert text in html, text
    # operations, field labels, status values and child rows of the diffs
    assert "<h2>Changed · " in html
    for label in ("Final score", "Reviewed by", "Reviewed at", "Status", "Prepared by"):
        assert f'<th scope="row">{label}</th>' in html, label
    assert "<td>Approved</td>" in html
    assert "Indicator “扶持计生家庭户数”: Self score" in html
    assert "变更历史" not in html and "审定得分" not in html and "指标「" not in html
    assert "<h2>修改" not in html


def test_the_state_at_a_moment_and_its_errors_in_english(client, web_login, fund_id):
    web_login("auditor")
    switch_language(client, "en")
    fund = fund_id("2017-SJH")
    html = client.get(f"/history/funds/{fund}?as_of=2099-01-01").get_data(as_text=True)
    assert "The record as of 2099-01-01 (Beijing time)" in html
    assert '<th scope="row">Budget</th>' in html
    html = client.get(f"/history/funds/{fund}?as_of=yesterday").get_data(as_text=True)
    assert "Invalid point in time" in html


def test_an_english_auditor_reads_the_access_log_in_english(client, web_login):
    web_login("auditor")
    switch_language(client, "en")
    html = client.get("/audit/access-log").get_data(as_text=True)
    assert "<h1>Access log</h1>" in html and "<caption>Times are Beijing time</caption>" in html
    for header in ("Time", "Event", "User", "Address", "Note"):
        assert f'<th scope="col">{header}</th>' in html, header
    assert "<td>Login</td>" in html  # the auditor's own login, just now
    assert '<option value="login_failed" >Failed login</option>' in html
    html = client.get("/audit/access-log?since=2018-13-01&event=nope").get_data(as_text=True)
    assert "Invalid date: 2018-13-01 (expected e.g. 2018-03-31)" in html
    assert "Invalid event type" in html
    assert "登录" not in html and "事件" not in html


def test_a_chinese_auditor_still_reads_them_in_chinese(client, web_login, db_session, fund_id):
    evaluation = _demo_evaluation(db_session, fund_id)
    web_login("auditor")
    html = client.get(f"/history/evaluations/{evaluation}").get_data(as_text=True)
    assert f"<h1>绩效评价 #{evaluation} · 变更历史</h1>" in html
    assert "<dt>操作人</dt>" in html and '<th scope="row">审定得分</th>' in html
    assert "指标「扶持计生家庭户数」自评分" in html and "<td>已审定</td>" in html
    assert "<h2>修改 · " in html
    html = client.get("/audit/access-log").get_data(as_text=True)
    assert "<h1>访问日志</h1>" in html and "<td>登录</td>" in html


def test_the_history_pdf_stays_chinese_for_an_english_auditor(client, web_login, fund_id):
    web_login("auditor")
    switch_language(client, "en")
    response = client.get(f"/history/funds/{fund_id('2017-SJH')}/report.pdf")
    assert response.status_code == 200
    text = "".join(pdf_pages(response.data))
    assert "变更历史报告" in text and "预算" in text and "新建" in text
    assert "Changehistory" not in text and "Budget" not in text and "Created" not in text
