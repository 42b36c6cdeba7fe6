"""Documents are witnesses: a notice PDF prints the signed head and carries the proof of its
allocation (QR code and attachment), which the offline verifier checks without the server."""

import io
import json
import re

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter

from fundtrack.audit import offline, signing
from fundtrack.models import Allocation
from tests.conftest import csrf_token
from tests.helpers import created, disable_chain_triggers, pay
from tests.pdf_text import pdf_pages


@pytest.fixture
def notice(api, db_session):
    allocation_id = db_session.scalar(
        sa.select(Allocation.id).where(
            Allocation.document_no == "湘计生协〔2017〕12号", Allocation.to_region_code == "430400"
        )
    )
    response = api("hengyang_finance").get(f"/api/v1/allocations/{allocation_id}/notice.pdf")
    assert response.status_code == 200
    return allocation_id, response.data


@pytest.fixture
def public_key(api, tmp_path):
    (key,) = api("hengyang_finance").get("/api/v1/audit/keys").get_json()["items"]
    assert key["current"] and key["algorithm"] == "ed25519"
    path = tmp_path / "fundtrack-audit-key.pem"
    path.write_text(key["public_key"])
    return path


def _qr_texts(pdf: bytes) -> list[str]:
    texts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            picture = Image.open(io.BytesIO(image.data)).convert("L")
            # the PNG is 2 pixels a module: scale up so the reader finds its finder patterns
            picture = picture.resize((picture.width * 4, picture.height * 4), Image.NEAREST)
            texts += [found.text for found in zxingcpp.read_barcodes(picture)]
    return texts


def test_the_notice_prints_the_head_and_carries_its_proof(api, notice):
    allocation_id, pdf = notice
    head = api("auditor").get("/api/v1/audit/head").get_json()
    (page,) = pdf_pages(pdf)
    assert f"审计日志共封存{head['size']}笔交易" in page
    assert head["root"] in page
    (qr,) = _qr_texts(pdf)
    compact = json.loads(qr)
    assert compact["head"]["root"] == head["root"] and compact["record"]["id"] == allocation_id
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == [f"proof-allocations_version-{allocation_id}.json"]


def test_the_offline_verifier_proves_the_notice(notice, public_key, tmp_path, capsys):
    _, pdf = notice
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    assert offline.main([str(path), "--public-key", str(public_key)]) == 0
    out = capsys.readouterr().out
    assert "OK — the record is in the signed audit history" in out
    assert "document number: 湘计生协〔2017〕12号" in out
    assert "amount: 460,000.00 yuan" in out
    assert "region: 430400" in out
    assert re.search(r"head: \d+ sealed transactions, root [0-9a-f]{64}", out)


def test_the_qr_code_alone_verifies_offline(notice, public_key, tmp_path, capsys):
    _, pdf = notice
    (qr,) = _qr_texts(pdf)
    path = tmp_path / "qr.json"
    path.write_text(qr)
    assert offline.main([str(path), "--public-key", str(public_key)]) == 0


def test_a_notice_printed_before_later_honest_changes_still_verifies(
    api, fund_id, notice, public_key, tmp_path, capsys
):
    _, pdf = notice
    for amount in ("11.00", "12.00"):
        created(pay(api("leiyang_finance"), fund_id("2017-SJH"), amount=amount))
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    assert offline.main([str(path), "--public-key", str(public_key)]) == 0
    (proof,) = [json.loads(c[0]) for c in PdfReader(io.BytesIO(pdf)).attachments.values()]
    answer = api("auditor").post("/api/v1/audit/checks", json={"proof": proof}).get_json()
    assert answer["signature_valid"] and answer["consistent"] and answer["record_unchanged"]
    assert answer["today_size"] == proof["head"]["size"] + 2


def _with_attachment(pdf: bytes, name: str, text: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer._root_object.pop("/Names", None)  # drop the original attachment
    writer.add_attachment(name, text.encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_altered_amount_in_the_notice_fails_offline(notice, public_key, tmp_path, capsys):
    _, pdf = notice
    (name, contents), = PdfReader(io.BytesIO(pdf)).attachments.items()  # fmt: skip
    proof = json.loads(contents[0])
    proof["payload"] = proof["payload"].replace('"amount_fen":46000000', '"amount_fen":96000000')
    path = tmp_path / "altered.pdf"
    path.write_bytes(_with_attachment(pdf, name, json.dumps(proof, ensure_ascii=False)))
    assert offline.main([str(path), "--public-key", str(public_key)]) == 1
    assert "the inclusion proof does not lead to the signed root" in capsys.readouterr().out


def test_a_notice_checked_with_another_key_fails_offline(notice, tmp_path, capsys):
    _, pdf = notice
    other = tmp_path / "other.pem"
    offline_key = tmp_path / "other-public.pem"
    signing.generate_key_file(other, signing.ED25519)
    offline_key.write_text(signing.load_signing_key(other).public.text())
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    assert offline.main([str(path), "--public-key", str(offline_key)]) == 1
    assert "signed by an unknown key" in capsys.readouterr().out


def _check_page(client, **data):
    page = client.get("/audit/documents").get_data(as_text=True)
    return client.post(
        "/audit/documents",
        data={"csrf_token": csrf_token(page), **data},
        content_type="multipart/form-data",
    )


def test_the_check_page_answers_for_an_uploaded_notice(client, web_login, notice):
    allocation_id, pdf = notice
    web_login("anren_finance")  # anyone logged in may check a document
    response = _check_page(client, file=(io.BytesIO(pdf), "notice.pdf"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"proof-allocations_version-{allocation_id}.json" in html
    assert "一致：文书生成以来的历史未被改写或截短" in html
    assert "此后未再变更" in html


def test_the_check_page_names_a_forged_head_and_refuses_junk(client, web_login, api):
    head = api("auditor").get("/api/v1/audit/head").get_json()
    web_login("auditor")
    forged = json.dumps({**head, "size": head["size"] - 1})
    html = _check_page(client, text=forged).get_data(as_text=True)
    assert "无效或无法核对" in html and "the signature does not verify" in html
    response = _check_page(client, text="不是 JSON")
    assert response.status_code == 422
    assert "粘贴的内容不是 JSON" in response.get_data(as_text=True)
    response = _check_page(client, file=(io.BytesIO(b"%PDF-1.4 broken"), "x.pdf"))
    assert response.status_code == 422
    assert "无法读取该 PDF 文件" in response.get_data(as_text=True)
    response = _check_page(client)
    assert response.status_code == 422
    assert "请上传文书 PDF，或粘贴签名树头" in response.get_data(as_text=True)


def test_the_check_page_says_when_history_was_cut_short(client, web_login, api, runner, db_session):
    head = api("auditor").get("/api/v1/audit/head").get_json()
    web_login("auditor")
    assert "一致：" in _check_page(client, text=json.dumps(head)).get_data(as_text=True)
    disable_chain_triggers(db_session)
    db_session.execute(sa.text("DELETE FROM audit_seals WHERE id = :p"), {"p": head["size"]})
    db_session.commit()
    html = _check_page(client, text=json.dumps(head)).get_data(as_text=True)
    assert "不一致：审计历史在文书生成后被改写或截短" in html


def test_a_history_report_of_a_payment_proves_it_without_its_personal_data(
    api, fund_id, public_key, tmp_path, capsys
):
    client = api("leiyang_finance")
    payment = created(
        pay(client, fund_id("2017-SJH"), amount="50.00", payee_account="6217000011119999888")
    )
    response = api("auditor").get(f"/api/v1/history/disbursements/{payment['id']}/report.pdf")
    assert response.status_code == 200
    text = "".join(pdf_pages(response.data))
    head = api("auditor").get("/api/v1/audit/head").get_json()
    assert f"共封存{head['size']}笔交易" in text
    (contents,) = PdfReader(io.BytesIO(response.data)).attachments.values()
    proof = json.loads(contents[0])
    assert "payload" not in proof and "6217000011119999888" not in contents[0].decode()
    path = tmp_path / "history.pdf"
    path.write_bytes(response.data)
    assert offline.main([str(path), "--public-key", str(public_key)]) == 0
    assert f"record: disbursements_version #{payment['id']}" in capsys.readouterr().out


def test_the_check_sees_a_record_changed_in_the_database_after_its_notice(api, notice, db_session):
    allocation_id, pdf = notice
    (contents,) = PdfReader(io.BytesIO(pdf)).attachments.values()
    proof = json.loads(contents[0])
    db_session.execute(
        sa.text("UPDATE allocations_version SET amount_fen = amount_fen * 10 WHERE id = :id"),
        {"id": allocation_id},
    )
    db_session.execute(
        sa.text("UPDATE allocations SET amount_fen = amount_fen * 10 WHERE id = :id"),
        {"id": allocation_id},
    )
    db_session.commit()
    answer = api("auditor").post("/api/v1/audit/checks", json={"proof": proof}).get_json()
    assert answer["signature_valid"] and answer["consistent"] is False
    assert f"position {proof['position']} differs today" in answer["problem"]


def test_odd_proofs_and_heads_are_answered_not_a_server_error(api, notice):
    _, pdf = notice
    (contents,) = PdfReader(io.BytesIO(pdf)).attachments.values()
    proof = json.loads(contents[0])
    head = proof["head"]
    client = api("auditor")
    odd = [
        {"proof": {k: v for k, v in proof.items() if k != "record"}},
        {"proof": {**proof, "record": ["allocations_version", 1]}},
        {"proof": {**proof, "record": {"table": ["x"], "id": 1}}},
        {"proof": {**proof, "record": {"table": "allocations_version", "id": 10**30}}},
        {"proof": {**proof, "position": "1"}},
        {"proof": {**proof, "path": [1, 2]}},
        {"proof": {**proof, "payload": "not json"}},
        {"head": {**head, "key_id": ["x"]}},
        {"head": {**head, "size": 10**30}},
        {"head": {**head, "signature": 5}},
    ]
    for body in odd:
        response = client.post("/api/v1/audit/checks", json=body)
        assert response.status_code in (200, 422), (body, response.status_code)
        if response.status_code == 200:
            answer = response.get_json()
            assert not answer["signature_valid"] or answer["consistent"] is False, body
            assert answer["problem"], body
