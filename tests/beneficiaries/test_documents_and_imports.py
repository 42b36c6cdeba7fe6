"""The 公示 notice as people read it, the register's Excel import, the demo's register and
the pages a county works on."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.beneficiaries.models import Beneficiary, DuplicateRegistration, Objection, Publicity
from fundtrack.core.timeparse import local_today
from fundtrack.users.models import User
from tests.conftest import csrf_token
from tests.exchange.workbooks import filled_template, upload
from tests.helpers import (
    assert_refused,
    created,
    id_number,
    pay,
    publicise,
    register,
)
from tests.pdf_text import pdf_pages

PERSON = "姓名"
NUMBER = "身份证号码"
TYPE = "家庭类型"


def test_the_notice_reads_in_chinese_with_masked_names_and_numbers(api):
    maker = api("leiyang_finance")
    first = register(maker, 801, name="张小三")
    second = register(maker, 802, name="欧阳小明")
    publicity_id = publicise(maker, [first["id"], second["id"]], end=False, amount_fen=123_456)
    response = maker.get(f"/api/v1/publicities/{publicity_id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(pdf_pages(response.data))
    assert "耒阳市住院津贴发放对象公示" in text and "耒阳市计划生育协会" in text
    assert "张*三" in text and "欧**明" in text
    assert "张小三" not in text and "欧阳小明" not in text
    assert id_number(801) not in text and id_number(801)[:6] in text
    assert "1,234.56" in text and "2,469.12" in text
    assert "0734-1234567" in text and "审计见证" in text


def test_beneficiaries_are_imported_all_or_nothing_and_await_review(api, db_session):
    maker = api("leiyang_finance")
    rows = [
        {PERSON: f"导入{i}", NUMBER: id_number(810 + i), TYPE: "计生特殊家庭"} for i in range(3)
    ]
    bad = [*rows, {PERSON: "重复", NUMBER: id_number(810), TYPE: "special"},
           {PERSON: "坏号", NUMBER: "4304811970", TYPE: "special"}]  # fmt: skip
    error = assert_refused(
        db_session,
        lambda: upload(maker, "beneficiaries", filled_template(maker, "beneficiaries", bad)),
        422,
        "import_rejected",
    )
    assert [(r["row"], r["code"]) for r in error["details"]["rows"]] == [
        (5, "duplicate_beneficiary"),
        (6, "validation_error"),
    ]
    response = upload(maker, "beneficiaries", filled_template(maker, "beneficiaries", rows))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created"] == 3
    imported = db_session.scalars(
        sa.select(Beneficiary).where(Beneficiary.name.like("导入%"))
    ).all()
    assert {b.status for b in imported} == {"pending"}
    assert {b.family_type for b in imported} == {"special"}


def test_an_import_against_another_countys_register_is_kept_for_both(api, db_session):
    register(api("leiyang_finance"), 820, name="跨县")
    anren = api("anren_finance")
    rows = [{PERSON: "跨县", NUMBER: id_number(820), TYPE: "special"}]
    response = upload(anren, "beneficiaries", filled_template(anren, "beneficiaries", rows))
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["rows"][0]["code"] == "duplicate_beneficiary"
    kept = db_session.scalars(
        sa.select(DuplicateRegistration).where(DuplicateRegistration.name == "跨县")
    ).all()
    assert [(d.region_code, d.other_region_code, d.source) for d in kept] == [
        ("431028", "430481", "import")
    ]


def test_a_payment_import_obeys_the_publicity_rule(api, db_session, fund):
    maker = api("leiyang_finance")
    person = register(maker, 830, name="导入支付")
    row = {"资金编号": "2017-BX", "支出科目代码": "hospital_allowance", "金额（元）": "500.00",
           "支付日期": "2017-10-09", "收款人": "导入支付", "身份证号码": id_number(830),
           "凭证号": "耒-导入-住院-1", "天数": 10}  # fmt: skip
    error = assert_refused(
        db_session,
        lambda: upload(maker, "disbursements", filled_template(maker, "disbursements", [row])),
        422,
        "import_rejected",
    )
    assert error["details"]["rows"][0]["code"] == "publicity_required"
    publicise(maker, [person["id"]])
    response = upload(maker, "disbursements", filled_template(maker, "disbursements", [row]))
    assert response.status_code == 201, response.get_json()


def test_the_demo_has_registers_an_ended_and_a_running_publicity_and_an_upheld_objection(
    db_session,
):
    counties = set(db_session.scalars(sa.select(Beneficiary.region_code)))
    assert {"430481", "431028"} <= counties
    statuses = set(db_session.scalars(sa.select(Publicity.status)))
    assert {"ended", "running"} <= statuses
    assert db_session.scalar(sa.select(Objection.id).where(Objection.status == "upheld"))
    assert db_session.scalar(sa.select(Beneficiary.id).where(Beneficiary.status == "pending"))


def test_a_county_registers_reviews_and_publishes_on_the_pages(client, web_login, db_session):
    web_login("leiyang_finance")
    page = client.get("/beneficiaries/")
    assert page.status_code == 200 and "受益人档案" in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    posted = client.post(
        "/beneficiaries/",
        data={
            "csrf_token": token,
            "name": "页面登记",
            "id_number": id_number(840),
            "family_type": "special",
            "region": "430481",
        },
    )
    assert posted.status_code == 302
    person_id = db_session.scalar(sa.select(Beneficiary.id).where(Beneficiary.name == "页面登记"))
    assert db_session.get(Beneficiary, person_id).status == "pending"
    again = client.post(
        "/beneficiaries/",
        data={
            "csrf_token": token,
            "name": "页面登记",
            "id_number": id_number(840),
            "family_type": "special",
            "region": "430481",
        },
    )
    assert again.status_code == 409 and "已在本地区登记" in again.get_data(as_text=True)
    web_login("leiyang_checker")
    detail = client.get(f"/beneficiaries/{person_id}")
    assert "审核通过" in detail.get_data(as_text=True)
    approved = client.post(
        f"/beneficiaries/{person_id}/approve",
        data={"csrf_token": csrf_token(detail.get_data(as_text=True)), "reason": "同意"},
    )
    assert approved.status_code == 302
    assert db_session.get(Beneficiary, person_id).status == "registered"
    web_login("leiyang_finance")
    listing = client.get("/beneficiaries/publicities")
    assert f'name="amount-{person_id}"' in listing.get_data(as_text=True)
    issued = client.post(
        "/beneficiaries/publicities",
        data={
            "csrf_token": csrf_token(listing.get_data(as_text=True)),
            "category": "hospital_allowance",
            "start_on": local_today().isoformat(),
            "objection_place": "耒阳市计生协",
            "objection_phone": "0734-4321234",
            f"amount-{person_id}": "300.00",
        },
    )
    assert issued.status_code == 302, issued.get_data(as_text=True)[:2000]
    shown = client.get(issued.headers["Location"]).get_data(as_text=True)
    assert "页面登记" in shown and "300.00" in shown and "公示中" in shown


def test_project_support_pays_a_registered_family_without_publicity(api, fund):
    maker = api("leiyang_finance")
    person = register(maker, 850)
    created(pay(maker, fund("2017-SJH").id, beneficiary_id=person["id"], payee_name="张测试"))


def test_a_county_imports_10000_families_in_one_request(api, db_session):
    maker = api("leiyang_finance")
    rows = [{PERSON: f"批量{i}", NUMBER: _numbered(i), TYPE: "独生子女家庭"} for i in range(10_000)]
    response = upload(maker, "beneficiaries", filled_template(maker, "beneficiaries", rows))
    assert response.status_code == 201, str(response.get_json())[:500]
    assert response.get_json()["created"] == 10_000
    count = db_session.scalar(
        sa.select(sa.func.count())
        .select_from(Beneficiary)
        .where(Beneficiary.name.like("批量%"), Beneficiary.status == "pending")
    )
    assert count == 10_000


def _numbered(i: int) -> str:
    """10,000 different valid ID numbers: a birth date per thousand, a sequence in it."""
    return id_number(i % 1000, born=f"1960{1 + i // 1000:02d}01")


def test_english_users_import_the_chinese_sheet(api, db_session):
    db_session.execute(
        sa.update(User).where(User.username == "leiyang_finance").values(language="en")
    )
    db_session.commit()
    maker = api("leiyang_finance")
    rows = [{PERSON: "英文界面", NUMBER: id_number(860), TYPE: "农村二女户家庭"}]
    response = upload(maker, "beneficiaries", filled_template(maker, "beneficiaries", rows))
    assert response.status_code == 201, response.get_json()
    person = db_session.scalar(sa.select(Beneficiary).where(Beneficiary.name == "英文界面"))
    assert person.family_type == "two_daughters"


def test_a_duplicate_refused_on_the_page_is_kept_for_both_counties(
    api, client, web_login, db_session
):
    register(api("leiyang_finance"), 861, name="页面跨县")
    web_login("anren_finance")
    page = client.get("/beneficiaries/")
    refused = client.post(
        "/beneficiaries/",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "页面跨县",
              "id_number": id_number(861), "family_type": "special", "region": "431028"},
    )  # fmt: skip
    assert refused.status_code == 409 and "耒阳市" in refused.get_data(as_text=True)
    kept = db_session.scalars(
        sa.select(DuplicateRegistration).where(DuplicateRegistration.name == "页面跨县")
    ).all()
    assert [(d.region_code, d.other_region_code, d.source) for d in kept] == [
        ("431028", "430481", "entry")
    ]
    web_login("leiyang_checker")
    assert "页面跨县" in client.get("/beneficiaries/").get_data(as_text=True)
