"""Witnesses outside the database: a database owner who rewrites a payment, its versions and
every later seal, or cuts off the newest transactions, passes ``audit verify`` on its own and
fails it against any signed head made after the changed transaction."""

import json

import sqlalchemy as sa

from fundtrack.audit import merkle, signing, witness
from fundtrack.extensions import db
from tests.helpers import created, disable_chain_triggers, pay, register, reseal_from

SQL = sa.text


def _verify(runner, *witness_files):
    args = ["audit", "verify"]
    for path in witness_files:
        args += ["--witness", str(path)]
    result = runner.invoke(args=args)
    return result.exit_code, result.output


def _head(runner) -> dict:
    result = runner.invoke(args=["audit", "head", "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    return json.loads(line)


def _keep(tmp_path, *heads, name="witness.jsonl"):
    path = tmp_path / name
    path.write_text("".join(witness.head_text(h) + "\n" for h in heads))
    return path


def _every_head(app, db_session) -> list[dict]:
    """A signed head of every size so far: what a digest after every commit would hold."""
    with app.app_context():
        connection = db_session.connection()
        size = witness.tree.tree_size(connection)
        return [witness.signed_head(connection, n) for n in range(1, size + 1)]


def _rewrite_payee(db_session, disbursement_id: int, payee: str) -> int:
    """Change a payment's payee in its live row and every version row; returns the chain
    position of its first version (where the rewrite starts)."""
    db_session.execute(SQL("UPDATE disbursements SET payee_name = :p WHERE id = :id"),
                       {"p": payee, "id": disbursement_id})  # fmt: skip
    db_session.execute(
        SQL("UPDATE disbursements_version SET payee_name = :p WHERE id = :id"),
        {"p": payee, "id": disbursement_id},
    )
    return db_session.execute(
        SQL("SELECT min(s.id) FROM audit_seals s JOIN disbursements_version v "
            "ON v.transaction_id = s.transaction_id WHERE v.id = :id"), {"id": disbursement_id}
    ).scalar()  # fmt: skip


def test_the_head_is_signed_and_names_todays_tree(runner, app, db_session):
    head = _head(runner)
    assert set(head) == {"size", "root", "time", "algorithm", "key_id", "signature"}
    with app.app_context():
        assert signing.head_problem(head, witness.keys().trusted) is None
        size = witness.tree.tree_size(db_session.connection())
    assert head["size"] == size and len(head["root"]) == 64 and head["algorithm"] == "ed25519"


def test_a_rewritten_and_resealed_payment_fails_against_an_earlier_head(
    runner, app, db_session, tmp_path, api, fund_id
):
    payment = created(pay(api("leiyang_finance"), fund_id("2017-SJH"), payee_name="真实收款人"))
    earlier = _head(runner)
    honest = _keep(tmp_path, earlier)
    every = _keep(tmp_path, *_every_head(app, db_session), name="digests.jsonl")
    assert _verify(runner, honest, every)[0] == 0

    disable_chain_triggers(db_session)
    position = _rewrite_payee(db_session, payment["id"], "冒名收款人")
    reseal_from(db_session, position)

    code, output = _verify(runner)
    assert code == 0, output  # on its own, the rewritten history verifies
    code, output = _verify(runner, honest)
    assert code == 1, output
    assert "disagrees with today's history" in output and str(honest) in output
    assert f"positions 1…{earlier['size']}" in output
    # heads of every size bound it exactly: the first bad position and its transaction
    code, output = _verify(runner, every)
    assert code == 1
    tx = db_session.execute(SQL("SELECT transaction_id FROM audit_seals WHERE id = :p"),
                            {"p": position}).scalar()  # fmt: skip
    assert f"position {position} (transaction {tx}) was changed" in output


def test_cutting_off_the_newest_transactions_fails_against_a_later_head(
    runner, app, db_session, tmp_path, api
):
    beneficiary = register(api("leiyang_finance"), 790, name="截断测试", approve=False)
    head = _head(runner)
    kept = _keep(tmp_path, head)
    tx = db_session.execute(
        SQL("SELECT transaction_id FROM beneficiaries_version WHERE id = :id"),
        {"id": beneficiary["id"]},
    ).scalar()
    disable_chain_triggers(db_session)
    # the owner deletes the newest transaction and everything it wrote
    db_session.execute(SQL("DELETE FROM audit_seals WHERE transaction_id = :tx"), {"tx": tx})
    db_session.execute(SQL("DELETE FROM audit_tree_nodes"))
    db_session.execute(SQL("DELETE FROM beneficiaries_version WHERE transaction_id = :tx"),
                       {"tx": tx})  # fmt: skip
    db_session.execute(SQL("DELETE FROM beneficiaries WHERE id = :id"), {"id": beneficiary["id"]})
    db_session.execute(SQL('DELETE FROM "transaction" WHERE id = :tx'), {"tx": tx})
    reseal_from(db_session, head["size"])  # rebuilds the tree's kept nodes

    code, output = _verify(runner)
    assert code == 0, output
    code, output = _verify(runner, kept)
    assert code == 1
    assert (
        f"knows {head['size']} sealed transactions, today's history only {head['size'] - 1}"
        in output
    )
    assert f"positions {head['size']}…{head['size']}" in output


def test_a_forged_or_foreign_head_is_refused(runner, tmp_path):
    head = _head(runner)
    altered = {**head, "root": "0" * 64}
    code, output = _verify(runner, _keep(tmp_path, altered))
    assert code == 1 and "the signature does not verify" in output

    other = tmp_path / "other.pem"
    signing.generate_key_file(other, signing.ED25519)
    foreign = signing.sign_head(
        signing.load_signing_key(other), head["size"], bytes.fromhex(head["root"]), head["time"]
    )
    code, output = _verify(runner, _keep(tmp_path, foreign, name="foreign.jsonl"))
    assert code == 1 and "signed by an unknown key" in output

    (tmp_path / "garbage.jsonl").write_text("not json\n")
    code, output = _verify(runner, tmp_path / "garbage.jsonl")
    assert code == 1 and "garbage.jsonl:1 is refused" in output


def test_honest_appends_keep_an_earlier_head_verifying(
    runner, tmp_path, api, fund_id, app, db_session
):
    earlier = _head(runner)
    kept = _keep(tmp_path, earlier)
    for amount in ("10.00", "20.00", "30.00"):
        created(pay(api("leiyang_finance"), fund_id("2017-SJH"), amount=amount))
    later = _head(runner)
    assert later["size"] == earlier["size"] + 3
    code, output = _verify(runner, kept, _keep(tmp_path, later, name="later.jsonl"))
    assert code == 0, output
    assert "2 signed heads kept outside agree" in output
    # and the consistency proof the API hands out shows the same
    body = (
        api("auditor")
        .get(f"/api/v1/audit/proofs/consistency?first={earlier['size']}&second={later['size']}")
        .get_json()
    )
    assert merkle.verify_consistency(
        earlier["size"],
        later["size"],
        bytes.fromhex(earlier["root"]),
        bytes.fromhex(later["root"]),
        [bytes.fromhex(node) for node in body["proof"]],
    )


def test_a_tampered_tree_node_is_named(runner, app, db_session, api, fund_id):
    # enough history for a kept node (256 leaves) exists in the demo, or is made here
    with app.app_context():
        size = witness.tree.tree_size(db_session.connection())
    for i in range(max(0, 256 - size)):
        register(api("leiyang_finance"), 700 + i, name="节点测试")
    assert db_session.execute(SQL("SELECT count(*) FROM audit_tree_nodes")).scalar() >= 1
    disable_chain_triggers(db_session)
    db_session.execute(SQL("UPDATE audit_tree_nodes SET hash = :h WHERE height = 8 AND "
                           '"index" = 0'), {"h": "e" * 64})  # fmt: skip
    db_session.commit()
    code, output = _verify(runner)
    assert code == 1
    assert "Merkle tree node (height 8, index 0, positions 1…256)" in output


def test_the_digest_directory_gets_a_head_after_commits_and_verify_reads_it(
    app, runner, db_session, tmp_path, api, fund_id
):
    directory = tmp_path / "worm"
    app.config.update(AUDIT_DIGEST_DIR=str(directory), AUDIT_DIGEST_EVERY=1)
    try:
        created(pay(api("leiyang_finance"), fund_id("2017-SJH"), amount="12.00"))
        created(pay(api("leiyang_finance"), fund_id("2017-SJH"), amount="13.00"))
        heads = [
            json.loads(line) for line in witness.digest_file(directory).read_text().splitlines()
        ]
        assert len(heads) >= 2 and heads[-1]["size"] == heads[-2]["size"] + 1
        result = runner.invoke(args=["audit", "digest"])
        assert result.exit_code == 0, result.output
        code, output = _verify(runner)
        assert code == 0, output
        assert f"{len(heads) + 1} signed heads kept outside agree" in output
    finally:
        app.config.update(AUDIT_DIGEST_DIR=None, AUDIT_DIGEST_EVERY=100)
    db.session.remove()
