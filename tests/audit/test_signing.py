"""Signed heads: Ed25519 and SM2 with SM3, a key from a file that production must be given,
and refusal of anything altered, forged or signed by a key nobody trusts."""

import pytest

from fundtrack import create_app
from fundtrack.audit import signing, witness

ROOT = bytes.fromhex("ab" * 32)


@pytest.fixture(params=[signing.ED25519, signing.SM2])
def key(request, tmp_path):
    path = tmp_path / f"key-{request.param}"
    signing.generate_key_file(path, request.param)
    assert path.stat().st_mode & 0o777 == 0o600
    return signing.load_signing_key(path)


def test_a_signed_head_verifies_with_its_public_key_only(key, tmp_path):
    head = signing.sign_head(key, 42, ROOT, "2026-12-07T10:00:00Z")
    published = signing.load_public_key(key.public.text())
    assert published == key.public and published.key_id == head["key_id"]
    trusted = {published.key_id: published}
    assert signing.head_problem(head, trusted) is None
    for field, value in (("size", 41), ("root", "cd" * 32), ("time", "2026-12-08T10:00:00Z")):
        problem = signing.head_problem({**head, field: value}, trusted)
        assert problem == "the signature does not verify: the head was altered or forged"
    assert "unknown key" in signing.head_problem(head, {})
    assert "root is not 64 hex digits" in signing.head_problem({**head, "root": "x"}, trusted)
    assert "not base64" in signing.head_problem({**head, "signature": "%%%"}, trusted)
    assert "missing" in signing.head_problem({"size": 1}, trusted)


def test_a_key_file_is_never_overwritten(tmp_path):
    path = tmp_path / "key.pem"
    signing.generate_key_file(path, signing.ED25519)
    before = path.read_text()
    with pytest.raises(FileExistsError):
        signing.generate_key_file(path, signing.SM2)
    assert path.read_text() == before


def test_production_refuses_to_start_without_a_signing_key_file(tmp_path):
    config = {
        "ENV": "production",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-0123",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
    }
    with pytest.raises(RuntimeError, match="AUDIT_SIGNING_KEY_FILE"):
        create_app(config)
    with pytest.raises(RuntimeError, match="AUDIT_SIGNING_KEY_FILE"):
        create_app({**config, "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "missing.pem")})
    key_file = tmp_path / "given.pem"
    signing.generate_key_file(key_file, signing.SM2)
    app = create_app({**config, "AUDIT_SIGNING_KEY_FILE": str(key_file)})
    assert app.extensions[witness.EXTENSION].signing.public.algorithm == signing.SM2


def test_development_makes_a_key_once_and_retired_keys_stay_trusted(tmp_path):
    config = {
        "SECRET_KEY": "a-development-secret-that-is-long-enough-0123",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite'}",
        "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "dev.pem"),
    }
    first = create_app(config).extensions[witness.EXTENSION].signing.public
    again = create_app(config).extensions[witness.EXTENSION].signing.public
    assert first == again  # generated once, then read
    retired = tmp_path / "retired.pem"
    retired.write_text(first.text())
    rotated = create_app(
        {
            **config,
            "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "new.sm2.json"),
            "AUDIT_SIGNING_ALGORITHM": signing.SM2,
            "AUDIT_TRUSTED_KEY_FILES": [str(retired)],
        }
    ).extensions[witness.EXTENSION]
    assert rotated.signing.public.algorithm == signing.SM2
    assert set(rotated.trusted) == {rotated.signing.public.key_id, first.key_id}


def test_the_keys_api_lists_the_current_key_and_proofs_refuse_what_is_not_there(api):
    client = api("anren_finance")
    (key,) = client.get("/api/v1/audit/keys").get_json()["items"]
    head = client.get("/api/v1/audit/head").get_json()
    assert key["key_id"] == head["key_id"] and key["current"]
    assert "BEGIN PUBLIC KEY" in key["public_key"]
    beyond = client.get(f"/api/v1/audit/proofs/inclusion?position={head['size'] + 1}")
    assert beyond.status_code == 422 and beyond.get_json()["error"]["code"] == "validation_error"
    proof = client.get(f"/api/v1/audit/proofs/inclusion?position=1&size={head['size']}")
    assert proof.status_code == 200 and proof.get_json()["root"] == head["root"]
    wrong = client.get("/api/v1/audit/proofs/consistency?first=5&second=4")
    assert wrong.status_code == 422
    empty = client.post("/api/v1/audit/checks", json={})
    assert empty.status_code == 422 and empty.get_json()["error"]["code"] == "validation_error"
