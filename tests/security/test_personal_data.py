"""ID numbers: masked everywhere meant for screens; in full only on an explicit, logged reveal."""

import sqlalchemy as sa

from fundtrack.models import Disbursement
from tests.conftest import csrf_token


def _payment_with_id(db_session):

    return db_session.execute(
        sa.select(Disbursement.id, Disbursement.payee_id_number).where(
            Disbursement.region_code == "430481", Disbursement.payee_id_number.is_not(None)
        )
    ).first()


def test_reveal_returns_the_full_number_and_is_logged(api, db_session):
    payment_id, number = _payment_with_id(db_session)
    checker = api("leiyang_checker")
    assert number not in checker.get(f"/api/v1/disbursements/{payment_id}").get_data(as_text=True)
    response = checker.post(f"/api/v1/disbursements/{payment_id}/reveal-id")
    assert response.status_code == 200
    assert response.get_json()["id_number"] == number
    log = api("auditor").get("/api/v1/access-log?event=reveal").get_json()["items"]
    assert log[0]["username"] == "leiyang_checker" and f"#{payment_id}" in log[0]["detail"]


def test_reveal_is_refused_to_roles_without_the_need(api, db_session):
    payment_id, _ = _payment_with_id(db_session)
    for username in ("hengyang_finance", "province_checker", "admin"):
        response = api(username).post(f"/api/v1/disbursements/{payment_id}/reveal-id")
        assert response.status_code == 403, username
    assert (
        api("anren_finance").post(f"/api/v1/disbursements/{payment_id}/reveal-id").status_code
        == 404
    )
    assert api("auditor").post(f"/api/v1/disbursements/{payment_id}/reveal-id").status_code == 200


def test_pages_mask_and_reveal_on_request(client, web_login, db_session):
    payment_id, number = _payment_with_id(db_session)
    web_login("leiyang_finance")
    html = client.get(f"/disbursements/{payment_id}").get_data(as_text=True)
    assert number not in html and number[-4:] in html and "显示完整号码" in html
    response = client.post(f"/disbursements/{payment_id}/reveal-id",
                           data={"csrf_token": csrf_token(html)},
                           follow_redirects=True)  # fmt: skip
    assert response.status_code == 200
    assert number in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert number not in client.get(f"/disbursements/{payment_id}").get_data(as_text=True)


def test_lists_and_history_never_show_the_full_number(api, db_session):
    payment_id, number = _payment_with_id(db_session)
    auditor = api("auditor")
    for path in (
        "/api/v1/disbursements?per_page=200",
        f"/api/v1/history/disbursements/{payment_id}",
    ):
        assert number not in auditor.get(path).get_data(as_text=True), path
