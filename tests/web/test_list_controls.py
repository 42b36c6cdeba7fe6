"""Lists sorted and searched on the server, amounts in 元 or 万元 by a toggle; the API list and
the export honour the same search."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.conftest import csrf_token
from tests.helpers import register


def _amounts(html: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]+)</td>', html)


def test_the_unit_toggle_switches_overviews_to_wan_yuan(client, web_login, fund_id):
    web_login("province_maker")
    home = client.get("/").get_data(as_text=True)
    assert "金额单位：元" in home and "5,180,000.00" in home
    toggled = client.post(
        "/preferences/amount-unit",
        data={"csrf_token": csrf_token(home), "unit": "wan", "next": "/?x=1"},
    )
    assert toggled.status_code == 302 and toggled.headers["Location"].endswith("/?x=1")
    home = client.get("/").get_data(as_text=True)
    assert "金额单位：万元" in home and "5,180,000.00" not in home
    assert "518" in _amounts(home)  # 2017 三结合: 5,180,000.00 元 = 518 万元
    detail = client.get(f"/funds/{fund_id('2017-SJH')}").get_data(as_text=True)
    assert "5,180,000.00 元" in detail  # a record's own amount stays exact, in 元
    assert "金额单位：万元" in detail
    back = client.post(
        "/preferences/amount-unit",
        data={"csrf_token": csrf_token(home), "unit": "yuan", "next": "https://evil.example/"},
    )
    assert back.headers["Location"] == "/"  # never off-site
    assert "金额单位：元" in client.get("/").get_data(as_text=True)


def test_lists_sort_on_the_server_and_keep_their_filters(client, web_login, fund_id):
    web_login("province_checker")
    fid = fund_id("2017-SJH")
    html = client.get(f"/allocations/?fund_id={fid}&sort=amount&dir=desc").get_data(as_text=True)
    amounts = [float(a.replace(",", "")) for a in _amounts(html)]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) > 3
    assert 'aria-sort="descending"' in html
    assert f"fund_id={fid}" in html.split('aria-sort="descending"')[1].split("</th>")[0]
    ascending = client.get(f"/allocations/?fund_id={fid}&sort=amount&dir=asc")
    amounts = [float(a.replace(",", "")) for a in _amounts(ascending.get_data(as_text=True))]
    assert amounts == sorted(amounts)
    ignored = client.get("/allocations/?sort=password_hash")
    assert ignored.status_code == 200  # an unknown column is ignored, not an error


def test_search_in_pages_api_and_exports(client, web_login, api):
    web_login("leiyang_finance")
    html = client.get("/disbursements/?q=油茶").get_data(as_text=True)
    assert "耒阳市黄市镇油茶合作社" in html and "王建国" not in html
    assert client.get("/disbursements/?q=100%25").status_code == 200  # % is literal
    underscore = client.get("/disbursements/?q=_").get_data(as_text=True)
    assert "没有符合条件" in underscore  # _ matches itself only, not any character
    listed = api("leiyang_finance").get("/api/v1/disbursements?q=油茶").get_json()
    assert listed["total"] >= 1
    assert all("油茶" in item["payee_name"] for item in listed["items"])
    exported = api("leiyang_finance").get("/api/v1/exports/disbursements?q=油茶").data
    sheet = load_workbook(io.BytesIO(exported)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[7] == "收款人")
    payees = [row[7] for row in rows[header + 1 :]]
    assert payees and all("油茶" in p for p in payees)
    link = re.search(r'href="(/exports/disbursements\.xlsx\?[^"]+)"', html)
    assert link and "q=" in link[1]


def test_the_evaluation_list_pages_sorts_and_searches(client, web_login):
    web_login("province_checker")
    html = client.get("/evaluations/?sort=year&dir=asc").get_data(as_text=True)
    total = int(re.search(r"共 (\d+) 条", html).group(1))
    years = [int(y) for y in re.findall(r"<tr>\s*<td>(\d{4})</td>", html)]
    assert years == sorted(years) and len(years) == min(total, 50)
    assert 'aria-sort="ascending"' in html
    codes = set(re.findall(r"（(\d{4}-[A-Z]+)）</a>", html))
    assert len(codes) > 1
    code = sorted(codes)[0]
    html = client.get(f"/evaluations/?q={code}").get_data(as_text=True)
    assert set(re.findall(r"（(\d{4}-[A-Z]+)）</a>", html)) == {code}
    assert f'value="{code}"' in html  # the search text stays in its box
    # the status filter keeps the search
    assert f"q={code}" in html.split('aria-label="按状态筛选"', 1)[1].split("</nav>", 1)[0]


def test_the_beneficiary_list_pages_and_searches_by_name(client, web_login, api):

    maker = api("leiyang_finance")
    for seq in range(3):
        register(maker, 900 + seq, name=f"翻页测试{seq}")
    web_login("leiyang_finance")
    html = client.get("/beneficiaries/?q=翻页测试&sort=name&dir=desc").get_data(as_text=True)
    names = re.findall(r"<tr><td><a [^>]*>(翻页测试\d)</a></td>", html)
    assert names == ["翻页测试2", "翻页测试1", "翻页测试0"]
    assert "共 3 条" in html
    # ID numbers are not searchable (personal data), and still masked in the list
    assert "共 0 条" in client.get("/beneficiaries/?q=430481").get_data(as_text=True)
