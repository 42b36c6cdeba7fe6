"""Revealing a payee's full ID number on a page is Post/Redirect/Get: the POST logs the reveal
once and redirects to the payment, whose next view shows the number once; a reload shows it
masked again and logs nothing."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.audit.models import AccessLog
from fundtrack.models import Disbursement
from tests.conftest import csrf_token


def _payments_with_ids(db_session, count: int = 2) -> list[tuple[int, str]]:

    return db_session.execute(
        sa.select(Disbursement.id, Disbursement.payee_id_number)
        .where(Disbursement.region_code == "430481", Disbursement.payee_id_number.is_not(None))
        .order_by(Disbursement.id)
        .limit(count)
    ).all()


def _reveals(db_session) -> list[str]:

    return db_session.scalars(
        sa.select(AccessLog.detail).where(AccessLog.event == "reveal").order_by(AccessLog.id)
    ).all()


def _reveal(client, payment_id: int):
    html = client.get(f"/disbursements/{payment_id}").get_data(as_text=True)
    return client.post(
        f"/disbursements/{payment_id}/reveal-id", data={"csrf_token": csrf_token(html)}
    )


def test_a_reveal_is_logged_once_and_shown_once(client, web_login, db_session):
    (payment_id, number), _other = _payments_with_ids(db_session)
    web_login("leiyang_finance")
    before = len(_reveals(db_session))

    response = _reveal(client, payment_id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/disbursements/{payment_id}"
    assert number not in response.get_data(as_text=True)
    assert _reveals(db_session)[before:] == [f"支出 #{payment_id} 的完整身份证号码"]

    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert f"<strong>{number}</strong>（已记录本次查看）" in html
    assert shown.headers["Cache-Control"] == "no-store"

    # a reload: masked again, with the button; nothing more in the log
    reloaded = client.get(f"/disbursements/{payment_id}")
    html = reloaded.get_data(as_text=True)
    assert number not in html and number[-4:] in html and "显示完整号码" in html
    assert "no-store" not in reloaded.headers.get("Cache-Control", "")
    assert len(_reveals(db_session)) == before + 1


def test_a_reveal_shows_on_its_own_payment_only(client, web_login, db_session):
    (first, first_number), (second, second_number) = _payments_with_ids(db_session)
    web_login("leiyang_finance")
    assert _reveal(client, first).status_code == 303
    html = client.get(f"/disbursements/{second}").get_data(as_text=True)
    assert second_number not in html and first_number not in html
    # still waiting for its own page
    assert first_number in client.get(f"/disbursements/{first}").get_data(as_text=True)


def test_the_session_keeps_ids_never_numbers(client, web_login, db_session):
    """The session is a signed cookie its holder can read: only the payment's id is in it."""
    (payment_id, number), _other = _payments_with_ids(db_session)
    web_login("leiyang_finance")
    _reveal(client, payment_id)
    with client.session_transaction() as session:
        assert session["revealed_disbursements"] == [payment_id]
        assert number not in repr(dict(session))


def test_the_number_is_shown_only_to_whoever_may_reveal_it(client, web_login, db_session):
    """The right to see the number is checked again where it is shown: 衡阳市's finance
    staff see 耒阳市's payments but not their payees' full numbers, whatever their session
    says."""
    (payment_id, number), _other = _payments_with_ids(db_session)
    web_login("hengyang_finance")
    with client.session_transaction() as session:
        session["revealed_disbursements"] = [payment_id]
    response = client.get(f"/disbursements/{payment_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert number not in html and number[-4:] in html and "显示完整号码" not in html
    assert _reveal(client, payment_id).status_code == 403
