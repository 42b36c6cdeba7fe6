"""Inclusion proofs as documents carry them, checked without a server or a database.

A full proof (a PDF's ``proof-*.json`` attachment) holds the signed head, the record it is
about, the chain position of the record's newest version, that link's ``prev_hash`` and
payload (the transaction row and every version row it wrote, as canonical JSON), and the
RFC 9162 path from the link's leaf to the signed root. A compact proof (the QR code) has the
link hash in place of the payload. Used by the server and by ``fundtrack.audit.offline``.
"""

from __future__ import annotations

import base64
import json

from fundtrack.audit import merkle, signing

#: what a document's proof says it is
PROOF_FORMAT = "fundtrack inclusion proof v1"


def compact_proof(proof: dict) -> dict:
    """What fits a QR code: the head, the position and the path (the payload stays in the
    PDF's attachment; the link hash stands for it)."""
    link = proof_link(proof)
    return {
        "format": PROOF_FORMAT,
        "head": proof["head"],
        "record": proof["record"],
        "position": proof["position"],
        "link": link,
        "path": [base64.b64encode(bytes.fromhex(p)).decode("ascii") for p in proof["path"]],
    }


def proof_link(proof: dict) -> str:
    """The chain link a proof is about: recomputed from its payload when it carries one."""
    if "payload" in proof:
        return merkle.chain_link(proof["prev_hash"], proof["payload"].encode("utf-8"))
    return proof["link"]


def proof_problem(proof: object, trusted: dict[str, signing.PublicKey]) -> str | None:
    """Why ``proof`` does not prove its record is in a validly signed tree, or None. No
    database: the offline verifier and the server both use it."""
    if not isinstance(proof, dict) or proof.get("format") != PROOF_FORMAT:
        return "not a fundtrack inclusion proof"
    problem = signing.head_problem(proof.get("head"), trusted)
    if problem:
        return f"the head: {problem}"
    record = proof.get("record")
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("table"), str)
        or not isinstance(record.get("id"), int)
        or isinstance(record.get("id"), bool)
        or not 0 < record["id"] < 2**63
        or not isinstance(proof.get("position"), int)
        or not 0 < proof["position"] <= proof["head"]["size"]
        or not isinstance(proof.get("path"), list)
        or not all(isinstance(p, str) for p in proof["path"])
    ):
        return "the proof is incomplete or malformed"
    try:
        path = [
            bytes.fromhex(p) if len(p) == 64 else base64.b64decode(p, validate=True)
            for p in proof["path"]
        ]
        leaf = merkle.leaf_hash(bytes.fromhex(proof_link(proof)))
        position = int(proof["position"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return "the proof is incomplete or malformed"
    head = proof["head"]
    if not merkle.verify_inclusion(
        position - 1, head["size"], leaf, path, bytes.fromhex(head["root"])
    ):
        return "the inclusion proof does not lead to the signed root: the document was altered"
    if "payload" in proof and proved_row(proof) is None:
        return "the proof's payload does not hold the record it names"
    return None


def proved_row(proof: dict) -> dict | None:
    """The version row of the proof's record inside its payload (only full proofs)."""
    if "payload" not in proof:
        return None
    try:
        payload = json.loads(proof["payload"])
        versions = payload.get("versions", [])
    except (ValueError, TypeError, AttributeError):
        return None
    for version in versions if isinstance(versions, list) else []:
        if not isinstance(version, dict) or not isinstance(version.get("row"), dict):
            continue
        if (
            version.get("table") == proof["record"]["table"]
            and version.get("row", {}).get("id") == proof["record"]["id"]
        ):
            return version["row"]
    return None
