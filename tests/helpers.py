"""What several test modules share: requests that make records, payloads, the refusal check
(a refused request changes nothing) and the ledger's state it compares."""

from __future__ import annotations

import contextlib
import io
from datetime import date, timedelta

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy_continuum import versioning_manager

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.audit.chain import sealed_payload
from fundtrack.audit.merkle import chain_link
from fundtrack.audit.tree import keep_missing_nodes
from fundtrack.beneficiaries.models import Beneficiary
from fundtrack.beneficiaries.operations import (
    approve_registration,
    end_publicity,
    issue_publicity,
)
from fundtrack.core.idnumber import check_digit
from fundtrack.disbursements.models import Disbursement
from fundtrack.exchange.contract import DATA_SHEET
from fundtrack.extensions import db
from fundtrack.funds.models import Fund
from fundtrack.ledger.balances import fund_balances
from fundtrack.ledger.verify import verify_balances
from fundtrack.users.models import User


def ledger_state(session) -> dict:
    """Everything a refused request must leave as it was: the number of allocations,
    recalls, disbursements, beneficiaries and history transactions, every fund's kept
    balances per region, and their agreement with the records (``None``: no finding)."""

    def count(model) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(model))

    state = {
        "allocations": count(Allocation),
        "allocation_recalls": count(AllocationRecall),
        "disbursements": count(Disbursement),
        "beneficiaries": count(Beneficiary),
        "transactions": count(versioning_manager.transaction_cls),
        "allocation_statuses": dict(
            session.execute(sa.select(Allocation.id, Allocation.status)).all()
        ),
        "recall_statuses": dict(
            session.execute(sa.select(AllocationRecall.id, AllocationRecall.status)).all()
        ),
        "disbursement_statuses": dict(
            session.execute(sa.select(Disbursement.id, Disbursement.status)).all()
        ),
    }
    for fund in session.scalars(sa.select(Fund).order_by(Fund.code)):
        state[fund.code] = {
            code: (b.received_fen, b.allocated_out_fen, b.disbursed_fen, b.spent_fen)
            for code, b in fund_balances(session, fund).items()
        }
    state["kept balances differ"] = verify_balances(session)[1]
    return state


def assert_refused(db_session, send, status: int | tuple[int, ...], code: str | None = None):
    """Call ``send()`` (one request) and check it is refused with ``status`` (and ``code``),
    leaving the ledger exactly as it was. Returns the error body."""
    before = ledger_state(db_session)
    response = send()
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    after = ledger_state(db_session)
    assert after == before
    assert after["kept balances differ"] is None
    return error


def allocation_payload(fund_id, **fields) -> dict:
    """A valid province allocation of 2017-SJH to 衡阳市, unless told otherwise."""
    return {
        "fund_id": fund_id,
        "to_region": "430400",
        "amount": "1000.00",
        "document_no": "湘计生协〔2017〕测试1号",
        "reason": "测试下达",
        **fields,
    }


def disbursement_payload(fund_id, **fields) -> dict:
    """A valid 2017-SJH project payment at 耒阳市, unless told otherwise."""
    return {
        "fund_id": fund_id,
        "category": "project_support",
        "amount": "1000.00",
        "paid_on": "2017-10-09",
        "payee_name": "耒阳市某养殖合作社",
        "project_name": "三结合项目：养殖扶持",
        "voucher_no": "耒财〔2017〕测1009-01",
        "purpose": "测试支出",
        **fields,
    }


def id_number(seq: int, born: str = "19700101", region: str = "430481") -> str:
    """A valid GB 11643 resident ID number, different for every ``seq``."""
    first17 = f"{region}{born}{seq:03d}"
    return first17 + check_digit(first17)


def created(response) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def pay(client, fund: int, amount: str = "1000.00", **fields):
    payload = {
        "fund_id": fund,
        "category": "project_support",
        "amount": amount,
        "paid_on": "2017-10-09",
        "voucher_no": "耒财〔2017〕测1009-01",
        "purpose": "三结合项目：测试",
        **fields,
    }
    if payload.get("beneficiary_id") is None and "payee_name" not in payload:
        payload["payee_name"] = "耒阳市某养殖合作社"
        payload.setdefault("project_name", "养殖扶持")
    return client.post("/api/v1/disbursements", json=payload)


#: the checker who reviews a demo county's register
REVIEWER = {"430481": "leiyang_checker", "431028": "chenzhou_checker"}
#: a past 公示 period, before the tests' payment dates (2017-10-09)
PUBLICITY_START = date(2017, 8, 1)


def register(
    client, seq: int, family_type: str = "special", name: str = "张测试", approve: bool = True,
    publicised: tuple[str, ...] = (), **fields,
):  # fmt: skip
    """Register a beneficiary through the API and, unless ``approve=False``, have the
    county's checker approve it (the operation, as the checker); then list it on an ended
    公示 of each category in ``publicised``."""
    person = created(
        client.post(
            "/api/v1/beneficiaries",
            json={"name": name, "id_number": id_number(seq), "family_type": family_type, **fields},
        )
    )
    if approve:
        with client.client.application.app_context():
            beneficiary = db.session.get(Beneficiary, person["id"])
            checker = demo_user(REVIEWER[beneficiary.region_code])
            approve_registration(db.session, checker, beneficiary)
            person["status"] = beneficiary.status
            # (a savepoint of the test's transaction: the app context's end would drop it)
            db.session.commit()
    for category in publicised:
        publicise(client, [person["id"]], category, region=person["region"])
    return person


def demo_user(username: str) -> User:
    """A user of the demo data, by username (in the test's session)."""
    return db.session.scalar(sa.select(User).where(User.username == username))


def publicise(
    client, beneficiary_ids, category: str = "hospital_allowance", *, region: str = "430481",
    amount_fen: int = 500_000, end: bool = True, start_on: date = PUBLICITY_START,
) -> int:  # fmt: skip
    """List registered beneficiaries on a 公示 of ``category`` in a past period, and end it
    (the county's maker issues it, its checker ends it). Returns the 公示's id."""
    with client.client.application.app_context():
        maker = demo_user({"430481": "leiyang_finance", "431028": "anren_finance"}[region])
        publicity = issue_publicity(
            db.session, maker, region_code=region, category_code=category,
            entries=[(i, amount_fen) for i in beneficiary_ids], objection_place="县计生协",
            objection_phone="0734-1234567", start_on=start_on, today=start_on,
        )  # fmt: skip
        if end:
            end_publicity(
                db.session, demo_user(REVIEWER[region]), publicity,
                today=publicity.end_on + timedelta(days=1),
            )  # fmt: skip
        publicity_id = publicity.id
        db.session.commit()  # a savepoint of the test's transaction, as in ``register``
        return publicity_id


def draft(client, fund: int, to_region: str, amount: str = "10000.00", **fields):
    response = client.post(
        "/api/v1/allocations",
        json={
            "fund_id": fund,
            "to_region": to_region,
            "amount": amount,
            "document_no": fields.pop("document_no", "测〔2017〕1号"),
            "reason": fields.pop("reason", "测试下达"),
            **fields,
        },
    )
    return response


def open_evaluation(client, fund: int, **fields) -> dict:
    return created(client.post("/api/v1/evaluations", json={"fund_id": fund, **fields}))


def scored(lines: list[dict], **scores) -> list[dict]:
    """The lines as the form sends them back, each with an actual value and full marks
    unless ``scores`` gives another self score for a position (``s0="12.50"``, ``s3=None``)."""
    result = []
    for index, line in enumerate(lines):
        line = {**line, "actual": "已完成"}
        line["self_score"] = scores.get(f"s{index}", line["weight"])
        result.append(line)
    return result


def put(client, evaluation: int, **payload):
    return client.put(f"/api/v1/evaluations/{evaluation}", json=payload)


def fill(client, body: dict, **payload) -> dict:
    """Score every line (full marks), and save."""
    return ok(put(client, body["id"], indicators=scored(body["indicators"]), **payload))


def submit(client, evaluation: int):
    return client.post(f"/api/v1/evaluations/{evaluation}/submit")


def submitted_evaluation(client, fund: int, **payload) -> int:
    """Open, fill and submit an evaluation of ``fund`` for the client's region."""
    body = open_evaluation(client, fund)
    fill(client, body, **payload)
    assert ok(submit(client, body["id"]))["status"] == "submitted"
    return body["id"]


@contextlib.contextmanager
def rolled_back(db_session):
    """Whatever happens inside is undone: a savepoint of the test's transaction."""
    db_session.remove()
    nested = db_session.get_bind().begin_nested()
    try:
        yield
    finally:
        db_session.remove()
        nested.rollback()


def allocation_row(
    to_region="430100",
    amount="1000.00",
    document_no="湘计生协〔2018〕31号",
    fund="2018-SJH",
    reason=None,
) -> dict:
    row = {"资金编号": fund, "接收地区代码": to_region, "金额（元）": amount, "文号": document_no}
    return row if reason is None else {**row, "事由": reason}


def payment_row(**fields) -> dict:
    row = {"资金编号": "2017-SJH", "支出科目代码": "project_support", "金额（元）": 800,
           "支付日期": "2017-09-01", "收款人": "耒阳市某合作社", "凭证号": "耒-2017-901",
           "银行账号": "6217000011112222333"}  # fmt: skip
    return {**row, **fields}


def disable_chain_triggers(db_session):
    """Drop the database's guard of the audit seals and of the Merkle tree's kept nodes, to
    tamper with them as an intruder (or the database's owner) would."""
    for table in ("audit_seals", "audit_tree_nodes"):
        if db_session.connection().dialect.name == "postgresql":
            db_session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change"))
        else:
            db_session.execute(sa.text(f"DROP TRIGGER {table}_no_update"))
            db_session.execute(sa.text(f"DROP TRIGGER {table}_no_delete"))


def reseal_from(db_session, position: int) -> None:
    """What a database owner who changed history does next: recompute, with the project's
    own functions, every seal from ``position`` on and the Merkle tree's kept nodes, so that
    the history verifies again on its own. (Triggers disabled first.)"""
    connection = db_session.connection()
    links = connection.execute(
        sa.text("SELECT id, transaction_id, prev_hash FROM audit_seals WHERE id >= :p ORDER BY id"),
        {"p": position},
    ).all()
    prev_hash = links[0].prev_hash if links else None
    for link in links:
        digest = chain_link(prev_hash, sealed_payload(connection, link.transaction_id))
        connection.execute(
            sa.text("UPDATE audit_seals SET prev_hash = :prev, hash = :h WHERE id = :id"),
            {"prev": prev_hash, "h": digest, "id": link.id},
        )
        prev_hash = digest
    connection.execute(sa.text("DELETE FROM audit_tree_nodes"))
    keep_missing_nodes(connection)
    # kept for the rest of the test (a command's own rollback would undo it otherwise)
    db_session.commit()


def workbook(kind, rows: list[dict]) -> bytes:
    """The import template with ``rows`` (column label -> value) from row 2 on."""
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    labels = [column.label for column in kind.columns]
    sheet.append(labels)
    for row in rows:
        sheet.append([row.get(label) for label in labels])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
