"""Witnesses outside the database: signed heads of the Merkle tree, the proofs documents
carry, the digest directory, and verification against heads kept elsewhere.

A signed head ``{size, root, time, algorithm, key_id, signature}`` says "the first ``size``
sealed transactions hash to ``root``", signed with a key that lives in a file named by
configuration, never in the database. Whoever holds such a head — a county with a notice, a
bank with a payment file, an auditor with an export, the digest directory on WORM storage —
can later prove that the history was rewritten or cut short, even by someone who rewrote the
records, their versions and every seal after them.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy_continuum import version_class

from fundtrack.audit import signing, tree
from fundtrack.audit.chain import Finding, sealed_payload, versioned_models
from fundtrack.audit.merkle import chain_link
from fundtrack.audit.models import AuditSeal
from fundtrack.audit.proofs import PROOF_FORMAT, proof_link, proof_problem
from fundtrack.core.db_setup import listen_on_sessions

EXTENSION = "fundtrack.audit_keys"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Keys:
    signing: signing.SigningKey
    #: every key a head may be signed with, by id: the current one and the retired ones
    trusted: dict[str, signing.PublicKey]


def resolve_signing_key_file(config, instance_path: str) -> Path:
    """The configured key file; in development one generated once in instance/.

    Production refuses to start without a key file of its own: a key the app made for
    itself next to its database would not be outside anything."""
    configured = config.get("AUDIT_SIGNING_KEY_FILE")
    algorithm = config.get("AUDIT_SIGNING_ALGORITHM", signing.ED25519)
    if algorithm not in signing.ALGORITHMS:
        raise RuntimeError(
            f"AUDIT_SIGNING_ALGORITHM must be one of {', '.join(signing.ALGORITHMS)}"
        )
    if config.get("ENV") == "production":
        if not configured or not Path(configured).is_file():
            raise RuntimeError(
                "fundtrack refuses to start in production without AUDIT_SIGNING_KEY_FILE, an "
                "existing key file kept off the database server (make one with "
                "`flask --app fundtrack audit new-key FILE`)"
            )
        return Path(configured)
    suffix = "pem" if algorithm == signing.ED25519 else "sm2.json"
    path = Path(configured) if configured else Path(instance_path) / f"audit_signing_key.{suffix}"
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another worker made it a moment ago
            signing.generate_key_file(path, algorithm)
    return path


def init_app(app: Flask) -> None:
    path = resolve_signing_key_file(app.config, app.instance_path)
    key = signing.load_signing_key(path)
    trusted = {key.public.key_id: key.public}
    for retired in app.config.get("AUDIT_TRUSTED_KEY_FILES", ()):
        public = signing.load_public_key(Path(retired).read_text())
        trusted[public.key_id] = public
    app.extensions[EXTENSION] = Keys(key, trusted)


def keys() -> Keys:
    return current_app.extensions[EXTENSION]


def now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def signed_head(connection, size: int | None = None) -> dict:
    """The signed head of the tree of ``size`` sealed transactions (today's when None)."""
    size = tree.tree_size(connection) if size is None else size
    return signing.sign_head(keys().signing, size, tree.root(connection, size), now_text())


def head_text(head: dict) -> str:
    """One JSON line, as witnesses keep them."""
    return json.dumps(head, sort_keys=True, separators=(",", ":"))


def record_position(connection, model, record_id: int) -> tuple[int, int] | None:
    """(chain position, transaction id) of the newest version of a record, or None."""
    versions = version_class(model).__table__
    row = connection.execute(
        sa.select(AuditSeal.id, AuditSeal.transaction_id)
        .join(versions, versions.c.transaction_id == AuditSeal.transaction_id)
        .where(versions.c.id == record_id)
        .order_by(AuditSeal.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.transaction_id) if row else None


#: a proof's payload leaves with a document only when every row in it is of these tables
#: (no people in them): payments, beneficiaries and users hold names, ID and account numbers
PUBLIC_VERSION_TABLES = frozenset(
    {
        "allocations_version",
        "allocation_recalls_version",
        "funds_version",
        "fund_earmarks_version",
        "budget_lines_version",
        "year_end_closes_version",
        "fund_carry_overs_version",
        "evaluations_version",
        "evaluation_indicators_version",
        "evaluation_declared_uses_version",
        "regions_version",
        "expenditure_categories_version",
        "benefit_rules_version",
    }
)


def record_proof(connection, model, record_id: int, head: dict) -> dict | None:
    """The inclusion proof of a record's newest version in the tree ``head`` signs: the
    link's ``prev_hash`` and payload (which hold the version row), the leaf's path to the
    root. With the public key, this is all an offline verifier needs.

    A payload with rows of any other table (people: names, ID or account numbers) is left
    out: the proof then carries the link hash, which proves the transaction is in the tree
    but not what it says."""
    found = record_position(connection, model, record_id)
    if found is None or found[0] > head["size"]:
        return None
    position, transaction_id = found
    link = connection.execute(
        sa.select(AuditSeal.prev_hash, AuditSeal.hash).where(AuditSeal.id == position)
    ).one()
    _, path = tree.inclusion(connection, position, head["size"])
    proof = {
        "format": PROOF_FORMAT,
        "head": head,
        "record": {"table": version_class(model).__table__.name, "id": record_id},
        "position": position,
        "transaction_id": transaction_id,
        "path": [node.hex() for node in path],
    }
    payload = sealed_payload(connection, transaction_id)
    versions = json.loads(payload)["versions"]
    if any(version["table"] not in PUBLIC_VERSION_TABLES for version in versions):
        proof["link"] = link.hash
    else:
        proof.update(prev_hash=link.prev_hash, payload=payload.decode("utf-8"))
    return proof


# ---------------------------------------------------------------------------------------
# verification against witnesses


@dataclass(frozen=True)
class Witness:
    #: where it came from: "FILE:line"
    source: str
    head: object


def read_witnesses(paths: list[Path]) -> list[Witness]:
    """Every JSON line of the given files (and of every ``*.jsonl`` of a directory)."""
    found = []
    for path in paths:
        files = sorted(Path(path).glob("*.jsonl")) if Path(path).is_dir() else [Path(path)]
        for file in files:
            for number, line in enumerate(file.read_text().splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    head = json.loads(line)
                except ValueError:
                    head = line
                found.append(Witness(f"{file}:{number}", head))
    return found


def _described(witness: Witness) -> str:
    head = witness.head
    return f"witness {witness.source} (size {head['size']}, signed {head['time']})"


def witness_sizes(witnesses: list[Witness]) -> list[int]:
    """The sizes the witnesses name (before their signatures are checked)."""
    return [
        w.head["size"]
        for w in witnesses
        if isinstance(w.head, dict) and type(w.head.get("size")) is int
    ]


def verify_witnesses(
    witnesses: list[Witness], trusted, roots: dict[int, bytes], links: list[tuple]
) -> tuple[int, Finding | None]:
    """Check each witness's signature and that today's tree has, at the witness's size, the
    root it signed (``roots`` and ``links`` from ``tree.check_tree``). (witnesses that
    agree, the first finding)

    A change at chain position p changes every leaf from p on, so the witnesses smaller
    than p agree and every one from p on disagrees: the first that disagrees and the last
    that agrees bound the changed position (exactly, with a digest after every commit)."""
    for witness in witnesses:
        problem = signing.head_problem(witness.head, trusted)
        if problem:
            return 0, Finding("witness", f"witness {witness.source} is refused: {problem}")
    ordered = sorted(witnesses, key=lambda w: w.head["size"])
    today = len(links)
    last_agreeing = 0
    for agreed, witness in enumerate(ordered):
        size = witness.head["size"]
        if size > today:
            return agreed, Finding(
                "witness",
                f"{_described(witness)} knows {size} sealed transactions, today's history "
                f"only {today}: positions {today + 1}…{size} were deleted (or an older "
                "backup was restored)",
            )
        if roots[size].hex() != witness.head["root"]:
            first = last_agreeing + 1
            if first == size:
                where = f"position {size} (transaction {links[size - 1][1]}) was changed"
            else:
                where = f"a transaction at positions {first}…{size} was changed"
            return agreed, Finding(
                "witness",
                f"{_described(witness)} disagrees with today's history: {where} after the "
                "witness was made, and every seal after it recomputed",
            )
        last_agreeing = size
    return len(ordered), None


# ---------------------------------------------------------------------------------------
# the digest directory


def digest_file(directory: str) -> Path:
    return Path(directory) / "signed-heads.jsonl"


def append_digest(directory: str, head: dict) -> None:
    Path(directory).mkdir(parents=True, exist_ok=True)
    with digest_file(directory).open("a", encoding="utf-8") as fh:
        fh.write(head_text(head) + "\n")


def digest_before_commit(session) -> None:
    """Session hook, after the seal: every ``AUDIT_DIGEST_EVERY`` positions, sign the head
    of this transaction's tree (written to the directory once the commit succeeded)."""
    size = session.info.pop("sealed", None)
    if size is None or not has_app_context():
        return
    if session.in_nested_transaction():  # a savepoint: the outer transaction may roll back
        return
    directory = current_app.config.get("AUDIT_DIGEST_DIR")
    if not directory:
        return
    if size % max(int(current_app.config.get("AUDIT_DIGEST_EVERY", 100)), 1) == 0:
        session.info["digest"] = (directory, signed_head(session.connection(), size))


def digest_after_commit(session) -> None:
    pending = session.info.pop("digest", None)
    if pending is None:
        return
    try:
        append_digest(*pending)
    except OSError as exc:  # the commit stands; `flask audit digest` catches up
        logger.error("audit digest not written to %s: %s", pending[0], exc)


def digest_after_transaction_end(session, transaction) -> None:
    """Whatever ended the outermost transaction (commit, rollback, close), nothing of it
    stays pending for the session's next one."""
    if transaction.parent is None:
        session.info.pop("digest", None)
        session.info.pop("sealed", None)


def install() -> None:
    """Every session: after the chain's seal (``audit.operations.install``, installed
    first), the digest of every ``AUDIT_DIGEST_EVERY``-th head."""
    listen_on_sessions(
        ("before_commit", digest_before_commit),
        ("after_commit", digest_after_commit),
        ("after_transaction_end", digest_after_transaction_end),
    )


# ---------------------------------------------------------------------------------------
# checking one document (the 文书核验 page and its API)


def check_document(connection, submitted: dict, trusted) -> dict:
    """What a pasted head or a document's proof proves against today's history: a valid
    signature, consistency with today's tree, and (for a proof) that the record has not
    changed since."""
    today = tree.tree_size(connection)
    answer = {
        "signature_valid": False,
        "consistent": None,
        "record_unchanged": None,
        "problem": None,
        "size": None,
        "today_size": today,
        "record": None,
        "changed_at_position": None,
    }
    is_proof = isinstance(submitted, dict) and submitted.get("format") == PROOF_FORMAT
    head = submitted.get("head") if is_proof else submitted
    problem = proof_problem(submitted, trusted) if is_proof else signing.head_problem(head, trusted)
    if problem:
        answer["problem"] = problem
        return answer
    answer.update(signature_valid=True, size=head["size"])
    if head["size"] > today:
        answer.update(
            consistent=False,
            problem=f"the head knows {head['size']} sealed transactions, today's history only "
            f"{today}: history was cut short",
        )
        return answer
    # from the links themselves, not the kept nodes: a page that says "consistent" must not
    # rest on rows a rewrite could have left behind
    consistent = tree.root_from_links(connection, head["size"]).hex() == head["root"]
    answer["consistent"] = consistent
    if not consistent:
        answer["problem"] = "today's history differs from the one this head signed"
        return answer
    if is_proof:
        link = connection.execute(
            sa.select(AuditSeal.prev_hash, AuditSeal.hash, AuditSeal.transaction_id).where(
                AuditSeal.id == submitted["position"]
            )
        ).one()
        rehashed = chain_link(link.prev_hash, sealed_payload(connection, link.transaction_id))
        if rehashed != link.hash or link.hash != proof_link(submitted):
            answer.update(
                consistent=False,
                problem=f"the transaction at position {submitted['position']} differs today "
                "from what was sealed and signed: its rows were changed in the database",
            )
            return answer
        record = submitted["record"]
        answer["record"] = {"table": record.get("table"), "id": record.get("id")}
        newest = _newest_position(connection, record)
        answer["record_unchanged"] = newest == submitted["position"]
        if newest != submitted["position"]:
            answer["changed_at_position"] = newest
    return answer


def _newest_position(connection, record: dict) -> int | None:
    """Chain position of the newest version of ``record`` ({table, id}), today."""
    models = {version_class(m).__table__.name: m for m in versioned_models()}
    model = models.get(record.get("table"))
    found = model and record_position(connection, model, record["id"])
    return found[0] if found else None
