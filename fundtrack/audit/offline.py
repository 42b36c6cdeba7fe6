"""The offline verifier a county runs on a notice, without the server or the database::

    python -m fundtrack.audit.offline NOTICE.pdf --public-key fundtrack-audit-key.pem
    python -m fundtrack.audit.offline proof-allocations-12.json --public-key KEYFILE

It reads the inclusion proofs a PDF carries as attachments (or a proof JSON, or the text of
a notice's QR code), checks the head's signature with the published public key, recomputes
the chain link from the proof's payload and its path to the signed root, and prints what the
notice proves: document number, amount, region, and the head. Exit status 0 when every proof
holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from fundtrack.audit.proofs import proof_problem, proved_row
from fundtrack.audit.signing import KeyFileError, PublicKey, load_public_key


def proofs_in(path: Path) -> list[tuple[str, object]]:
    """(name, parsed JSON) of every proof a PDF carries, or of the one JSON file."""
    return proofs_in_bytes(path.read_bytes(), path.name)


def proofs_in_bytes(data: bytes, name: str) -> list[tuple[str, object]]:
    """The same for a file's bytes (an upload). Raises ``PdfReadError`` for a broken PDF."""
    if data.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(data))
        found = []
        for name, contents in sorted(reader.attachments.items()):
            if name.startswith("proof-") and name.endswith(".json"):
                for content in contents:
                    found.append((name, _parsed(content)))
        return found
    return [(name, _parsed(data))]


def _parsed(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _yuan(fen) -> str:
    return f"{Decimal(int(fen)) / 100:,.2f} yuan"


def describe(proof: dict) -> list[str]:
    """What the proof shows, line by line (in the notice's own terms where it has them)."""
    head = proof["head"]
    row = proved_row(proof) or {}
    lines = [f"record: {proof['record']['table']} #{proof['record']['id']}"]
    if "payload" not in proof:
        lines.append(
            "(a link-only proof: it shows that the transaction is in the signed history, not "
            "what it says; the record named is not verified)"
        )
    for label, key, shown in (
        ("document number", "document_no", str),
        ("amount", "amount_fen", _yuan),
        ("from region", "from_region_code", str),
        ("region", "to_region_code", str),
        ("region", "region_code", str),
        ("status", "status", str),
        ("approved on", "approved_on", str),
    ):
        if row.get(key) is not None:
            lines.append(f"{label}: {shown(row[key])}")
    lines.append(
        f"head: {head['size']} sealed transactions, root {head['root']}, signed "
        f"{head['time']} by {head['algorithm']} key {head['key_id']}; this record is "
        f"transaction position {proof['position']}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fundtrack.audit.offline",
        description="Check a fundtrack notice's audit proofs without the server.",
    )
    parser.add_argument("document", type=Path, help="a notice PDF or a proof JSON file")
    parser.add_argument(
        "--public-key",
        action="append",
        required=True,
        type=Path,
        help="the published public key file (PEM, or SM2 JSON); may repeat",
    )
    args = parser.parse_args(argv)
    trusted: dict[str, PublicKey] = {}
    try:
        for key_file in args.public_key:
            key = load_public_key(key_file.read_text())
            trusted[key.key_id] = key
        proofs = proofs_in(args.document)
    except (OSError, KeyFileError, ValueError, PdfReadError) as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 1
    if not proofs:
        print(f"{args.document}: carries no fundtrack inclusion proof", file=sys.stderr)
        return 1
    failed = 0
    for name, proof in proofs:
        problem = proof_problem(proof, trusted)
        if problem:
            failed += 1
            print(f"{name}: FAILED — {problem}")
            continue
        print(f"{name}: OK — the record is in the signed audit history")
        for line in describe(proof):
            print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
