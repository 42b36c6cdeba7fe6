"""Bad input to the money-moving endpoints: always a clean 4xx with an error code, never a
500, and never a trace in the ledger (records, history, balances)."""

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import versioning_manager

from fundtrack.allocations.models import Allocation
from fundtrack.disbursements.models import Disbursement
from tests.helpers import allocation_payload, assert_refused, disbursement_payload

LONG = "长" * 10_000
SCRIPT = "<script>alert('x')</script> & \"引号\" </textarea><img src=x onerror=alert(1)>"

BAD_AMOUNTS = [
    -1,
    0,
    "0.00",
    "1.234",
    1.5,
    "NaN",
    "Infinity",
    "1e5",
    "1e400",
    "99999999999999999999.00",
    True,
    None,
    [],
]


# --- the "nothing changed" snapshot, shared by the other API test modules -------------------


# --- payloads -----------------------------------------------------------------------------


ENDPOINTS = {
    "allocation": ("province_maker", "/api/v1/allocations", allocation_payload),
    "disbursement": ("leiyang_finance", "/api/v1/disbursements", disbursement_payload),
}


@pytest.fixture(params=sorted(ENDPOINTS))
def endpoint(request, api, fund_id):
    """(client, path, payload builder) for each creating endpoint, on 2017-SJH."""
    username, path, payload = ENDPOINTS[request.param]
    sjh = fund_id("2017-SJH")
    return api(username), path, lambda **fields: payload(fields.pop("fund_id", sjh), **fields)


# --- the control: the valid payloads are accepted -----------------------------------------


def test_the_valid_payloads_are_accepted(endpoint):
    client, path, payload = endpoint
    response = client.post(path, json=payload())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["amount"] == "1000.00"


def test_an_integer_amount_is_accepted_as_yuan(endpoint):
    client, path, payload = endpoint
    response = client.post(path, json=payload(amount=25))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["amount"] == "25.00"


# --- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_are_refused(endpoint, db_session, amount):
    client, path, payload = endpoint
    error = assert_refused(
        db_session, lambda: client.post(path, json=payload(amount=amount)), 422, "validation_error"
    )
    assert "amount" in error["details"]["fields"], error


def test_a_missing_amount_is_refused(endpoint, db_session):
    client, path, payload = endpoint
    body = payload()
    del body["amount"]
    error = assert_refused(
        db_session, lambda: client.post(path, json=body), 422, "validation_error"
    )
    assert "amount" in error["details"]["fields"]


# --- funds and regions --------------------------------------------------------------------


def test_an_unknown_fund_is_404(endpoint, db_session):
    client, path, payload = endpoint
    assert_refused(
        db_session, lambda: client.post(path, json=payload(fund_id=999_999)), 404, "not_found"
    )


def test_a_fund_id_as_a_string_is_refused(endpoint, db_session):
    client, path, payload = endpoint
    error = assert_refused(
        db_session, lambda: client.post(path, json=payload(fund_id="1")), 422, "validation_error"
    )
    assert "fund_id" in error["details"]["fields"]


def test_an_allocation_to_an_unknown_region_is_422(api, db_session, fund_id):
    maker = api("province_maker")
    for region in ("999999", "430499"):
        error = assert_refused(
            db_session,
            lambda region=region: maker.post(
                "/api/v1/allocations",
                json=allocation_payload(fund_id("2017-SJH"), to_region=region),
            ),
            422,
            "validation_error",
        )
        assert "to_region" in error["details"]["fields"]
    for region in ("43040", "abcdef", "4304000", ""):
        error = assert_refused(
            db_session,
            lambda region=region: maker.post(
                "/api/v1/allocations",
                json=allocation_payload(fund_id("2017-SJH"), to_region=region),
            ),
            422,
            "validation_error",
        )
        assert "to_region" in error["details"]["fields"]


def test_a_disbursement_in_an_unknown_region_is_422(api, db_session, fund_id):
    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session,
        lambda: leiyang.post(
            "/api/v1/disbursements",
            json=disbursement_payload(fund_id("2017-SJH"), region="999999"),
        ),
        422,
        "validation_error",
    )
    assert "region" in error["details"].get("fields", {}), error


def test_a_malformed_region_code_is_422(api, db_session, fund_id):
    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session,
        lambda: leiyang.post(
            "/api/v1/disbursements",
            json=disbursement_payload(fund_id("2017-SJH"), region="4304811"),
        ),
        422,
        "validation_error",
    )
    assert "region" in error["details"]["fields"]


def test_a_closed_fund_takes_no_new_money_movements(endpoint, db_session, fund):
    client, path, payload = endpoint
    sjh = fund("2017-SJH")
    sjh.status = "closed"
    db_session.commit()
    error = assert_refused(
        db_session, lambda: client.post(path, json=payload()), 409, "fund_not_active"
    )
    assert error["details"]["fund_status"] == "closed"


# --- malformed bodies and missing fields --------------------------------------------------


@pytest.mark.parametrize(
    "data", ["{", "", "not json", "[1, 2", '{"amount": "1.00",}', b"\xff\xfe{}"], ids=repr
)
def test_malformed_json_is_a_clean_client_error(endpoint, db_session, data):
    client, path, _ = endpoint
    error = assert_refused(
        db_session,
        lambda: client.post(path, data=data, content_type="application/json"),
        (400, 422),
    )
    assert error["code"] in ("bad_request", "validation_error")


def test_absurdly_deep_json_is_a_clean_client_error(endpoint, db_session):
    """Valid JSON, but nested deeper than the parser recurses (200 kB, far below the 16 MB
    request limit)."""
    client, path, _ = endpoint
    data = '{"amount": ' + "[" * 100_000 + "]" * 100_000 + "}"
    error = assert_refused(
        db_session,
        lambda: client.post(path, data=data, content_type="application/json"),
        (400, 413, 422),
    )
    assert error["code"] in ("bad_request", "payload_too_large", "validation_error")


@pytest.mark.parametrize("body", [[], [1, 2], "a string", 42, None], ids=repr)
def test_a_json_body_that_is_not_an_object_is_a_clean_client_error(endpoint, db_session, body):
    client, path, _ = endpoint
    assert_refused(db_session, lambda: client.post(path, json=body), (400, 422))


def test_missing_fields_are_listed(api, db_session):
    maker = api("province_maker")
    error = assert_refused(
        db_session, lambda: maker.post("/api/v1/allocations", json={}), 422, "validation_error"
    )
    assert {"fund_id", "to_region", "amount", "document_no"} <= set(error["details"]["fields"])

    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session, lambda: leiyang.post("/api/v1/disbursements", json={}), 422, "validation_error"
    )
    assert {"fund_id", "category", "amount", "paid_on", "voucher_no"} <= set(
        error["details"]["fields"]
    )


def test_unknown_fields_are_refused_not_ignored(endpoint, db_session):
    client, path, payload = endpoint
    error = assert_refused(
        db_session,
        lambda: client.post(path, json=payload(status="approved")),
        422,
        "validation_error",
    )
    assert "status" in error["details"]["fields"]


# --- long text ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["document_no", "reason"])
def test_ten_thousand_characters_in_an_allocation_text_field_are_refused(
    api, db_session, fund_id, field
):
    maker = api("province_maker")
    error = assert_refused(
        db_session,
        lambda: maker.post(
            "/api/v1/allocations", json=allocation_payload(fund_id("2017-SJH"), **{field: LONG})
        ),
        422,
        "validation_error",
    )
    assert field in error["details"]["fields"]


@pytest.mark.parametrize(
    "field",
    [
        "payee_name",
        "voucher_no",
        "purpose",
        "project_name",
        "payee_account",
        "payee_id_number",
        "category",
    ],
)
def test_ten_thousand_characters_in_a_disbursement_text_field_are_refused(
    api, db_session, fund_id, field
):
    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session,
        lambda: leiyang.post(
            "/api/v1/disbursements",
            json=disbursement_payload(fund_id("2017-SJH"), **{field: LONG}),
        ),
        422,
        "validation_error",
    )
    assert field in error["details"]["fields"]


def test_ten_thousand_characters_in_a_reason_are_refused(api, db_session, fund_id):

    draft = api("province_maker").post(
        "/api/v1/allocations", json=allocation_payload(fund_id("2017-SJH"))
    )
    draft_id = draft.get_json()["id"]
    recallable = db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.from_region_code == "430000",
            Allocation.to_region_code == "430200",
            Allocation.fund_id == fund_id("2017-SJH"),
        )
    )
    pending = db_session.scalar(sa.select(Disbursement.id).where(Disbursement.status == "pending"))
    maker, checker = api("province_maker"), api("leiyang_checker")
    for send in (
        lambda: maker.post(f"/api/v1/allocations/{draft_id}/cancel", json={"reason": LONG}),
        lambda: maker.post(
            f"/api/v1/allocations/{recallable}/recall", json={"amount": "1.00", "reason": LONG}
        ),
        lambda: checker.post(f"/api/v1/disbursements/{pending}/reject", json={"reason": LONG}),
    ):
        error = assert_refused(db_session, send, 422)
        assert error["code"] in ("validation_error", "reason_required")
        assert "reason" in error["details"]["fields"]


# --- markup is data -----------------------------------------------------------------------


def test_markup_in_a_reason_is_stored_verbatim_and_returned_as_json(api, db_session, fund_id):

    maker = api("province_maker")
    response = maker.post(
        "/api/v1/allocations", json=allocation_payload(fund_id("2017-SJH"), reason=SCRIPT)
    )
    assert response.status_code == 201, response.get_json()
    assert response.mimetype == "application/json"
    assert response.get_json()["reason"] == SCRIPT
    allocation_id = response.get_json()["id"]
    assert db_session.get(Allocation, allocation_id).reason == SCRIPT
    assert maker.get(f"/api/v1/allocations/{allocation_id}").get_json()["reason"] == SCRIPT

    response = maker.post(f"/api/v1/allocations/{allocation_id}/cancel", json={"reason": SCRIPT})
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    Transaction = versioning_manager.transaction_cls
    last = db_session.scalars(sa.select(Transaction).order_by(Transaction.id.desc())).first()
    assert last.reason == SCRIPT


def test_markup_in_a_disbursement_purpose_is_stored_verbatim(api, db_session, fund_id):

    response = api("leiyang_finance").post(
        "/api/v1/disbursements", json=disbursement_payload(fund_id("2017-SJH"), purpose=SCRIPT)
    )
    assert response.status_code == 201, response.get_json()
    assert response.mimetype == "application/json"
    assert response.get_json()["purpose"] == SCRIPT
    assert db_session.get(Disbursement, response.get_json()["id"]).purpose == SCRIPT


# --- more malformed values ----------------------------------------------------------------


def test_a_fund_the_caller_cannot_see_is_404(api, db_session, fund_id):
    # 2018-DKTX never reached 衡阳市, 2018-SJH never reached 耒阳市
    assert_refused(
        db_session,
        lambda: api("hengyang_finance").post(
            "/api/v1/allocations",
            json=allocation_payload(fund_id("2018-DKTX"), to_region="430481"),
        ),
        404,
        "not_found",
    )
    assert_refused(
        db_session,
        lambda: api("leiyang_finance").post(
            "/api/v1/disbursements",
            json=disbursement_payload(fund_id("2018-SJH"), paid_on="2018-05-01"),
        ),
        404,
        "not_found",
    )


def test_without_a_token_nothing_is_written(client, db_session, fund_id):
    for path, payload in (
        ("/api/v1/allocations", allocation_payload(fund_id("2017-SJH"))),
        ("/api/v1/disbursements", disbursement_payload(fund_id("2017-SJH"))),
    ):
        assert_refused(
            db_session,
            lambda path=path, payload=payload: client.post(path, json=payload),
            401,
            "unauthenticated",
        )


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/allocations", "document_no"),
        ("/api/v1/disbursements", "voucher_no"),
        ("/api/v1/disbursements", "payee_name"),
    ],
)
def test_blank_required_text_is_refused(api, db_session, fund_id, path, field):
    if path.endswith("allocations"):
        client, payload = api("province_maker"), allocation_payload(fund_id("2017-SJH"))
    else:
        client, payload = api("leiyang_finance"), disbursement_payload(fund_id("2017-SJH"))
    for blank in ("", "   ", "\t\n"):
        error = assert_refused(
            db_session,
            lambda blank=blank: client.post(path, json={**payload, field: blank}),
            422,
            "validation_error",
        )
        assert field in error["details"]["fields"], (blank, error)


@pytest.mark.parametrize(
    "field, value",
    [
        ("paid_on", "2017-13-01"),
        ("paid_on", "yesterday"),
        ("paid_on", 20171009),
        ("paid_on", None),
        ("paid_on", "2016-12-31"),  # before the 2017 fund's year
        ("paid_on", "2019-01-01"),  # after the year that follows it
        ("days", "10"),
        ("days", 10.5),
        ("days", True),
        ("beneficiary_id", "1"),
        ("beneficiary_id", 999_999),
        ("payee_id_number", "430481197001010010"),  # wrong check digit
        ("payee_account", "6222 0000 1111"),
        ("category", ""),
        ("region", None),
    ],
    ids=lambda v: repr(v),
)
def test_malformed_disbursement_fields_are_refused(api, db_session, fund_id, field, value):
    leiyang = api("leiyang_finance")
    error = assert_refused(
        db_session,
        lambda: leiyang.post(
            "/api/v1/disbursements",
            json=disbursement_payload(fund_id("2017-SJH"), **{field: value}),
        ),
        422,
        "validation_error",
    )
    assert field in error["details"]["fields"], error


@pytest.mark.parametrize("amount", ["0.00", -1, "1.234", 1.5, "NaN", None, "1e400"], ids=repr)
def test_bad_recall_amounts_are_refused(api, db_session, fund_id, amount):

    allocation = db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.fund_id == fund_id("2017-SJH"), Allocation.to_region_code == "430200"
        )
    )
    error = assert_refused(
        db_session,
        lambda: api("province_maker").post(
            f"/api/v1/allocations/{allocation}/recall", json={"amount": amount, "reason": "收回"}
        ),
        422,
        "validation_error",
    )
    assert "amount" in error["details"]["fields"]
