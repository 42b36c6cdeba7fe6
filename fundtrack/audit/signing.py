"""Signed tree heads: ``{size, root, time, algorithm, key_id, signature}``, signed with a key
that lives in a file, never in the database.

Two algorithms: Ed25519 (``cryptography``) and SM2 with SM3 (GB/T 32918 and GB/T 32905, the
商用密码 GB/T 39786-2021 expects of government systems; ``gmssl``). A key file is PEM
(PKCS #8 for Ed25519) or, for SM2, a small JSON document; its public half is published at
``GET /api/v1/audit/keys`` and a county keeps it beside the offline verifier.

No Flask and no database here: the offline verifier imports this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from gmssl import sm2

from fundtrack.config import write_private_file

ED25519 = "ed25519"
SM2 = "sm2-sm3"
ALGORITHMS = (ED25519, SM2)
#: what a signature covers, before the canonical JSON of the head's other fields
SIGNED_PREFIX = b"fundtrack signed tree head v1\n"
HEAD_FIELDS = ("size", "root", "time", "algorithm", "key_id")


class KeyFileError(ValueError):
    """A key file that cannot be read as a signing or public key."""


@dataclass(frozen=True)
class PublicKey:
    algorithm: str
    #: Ed25519: 32 raw bytes; SM2: 64 bytes x || y
    raw: bytes

    @property
    def key_id(self) -> str:
        """The first 16 hex digits of SHA-256 of the algorithm and the raw public key."""
        return hashlib.sha256(self.algorithm.encode() + b":" + self.raw).hexdigest()[:16]

    def text(self) -> str:
        """The public key as published (PEM for Ed25519, JSON for SM2)."""
        if self.algorithm == ED25519:
            key = Ed25519PublicKey.from_public_bytes(self.raw)
            return key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode("ascii")
        return json.dumps({"algorithm": SM2, "public_key": self.raw.hex()}) + "\n"

    def verify(self, message: bytes, signature: bytes) -> bool:
        if self.algorithm == ED25519:
            try:
                Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
            except InvalidSignature:
                return False
            return True
        verifier = sm2.CryptSM2(private_key=None, public_key=self.raw.hex())
        try:
            return bool(verifier.verify_with_sm3(signature.hex(), message))
        except (ValueError, ZeroDivisionError):
            return False


@dataclass(frozen=True)
class SigningKey:
    public: PublicKey
    _private: object

    def sign(self, message: bytes) -> bytes:
        if self.public.algorithm == ED25519:
            return self._private.sign(message)
        signer = sm2.CryptSM2(private_key=self._private, public_key=self.public.raw.hex())
        return bytes.fromhex(signer.sign_with_sm3(message))


def _sm2_public(private_hex: str) -> bytes:
    point = sm2.CryptSM2(private_key=private_hex, public_key="")._kg(
        int(private_hex, 16), sm2.default_ecc_table["g"]
    )
    return bytes.fromhex(point)


def generate_key_file(path: Path, algorithm: str) -> None:
    """Write a new private key to ``path`` (mode 0600; refuses to overwrite)."""
    if algorithm == ED25519:
        text = (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode("ascii")
        )
    elif algorithm == SM2:
        order = int(sm2.default_ecc_table["n"], 16)
        private = f"{secrets.randbelow(order - 2) + 1:064x}"
        text = json.dumps({"algorithm": SM2, "private_key": private}) + "\n"
    else:
        raise KeyFileError(f"unknown signing algorithm {algorithm!r} (one of {ALGORITHMS})")
    write_private_file(Path(path), text)


def load_signing_key(path: Path) -> SigningKey:
    text = Path(path).read_text()
    if text.lstrip().startswith("{"):
        document = json.loads(text)
        if document.get("algorithm") != SM2 or "private_key" not in document:
            raise KeyFileError(f"{path}: not an SM2 private key file")
        private = document["private_key"]
        return SigningKey(PublicKey(SM2, _sm2_public(private)), private)
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except ValueError as exc:
        raise KeyFileError(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: an Ed25519 or SM2 key is needed")
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(PublicKey(ED25519, raw), key)


def load_public_key(text: str) -> PublicKey:
    """A published public key (PEM, SM2 JSON) or a private key file's public half."""
    stripped = text.strip()
    if stripped.startswith("{"):
        document = json.loads(stripped)
        if document.get("algorithm") != SM2:
            raise KeyFileError("not an SM2 key document")
        if "public_key" in document:
            return PublicKey(SM2, bytes.fromhex(document["public_key"]))
        return PublicKey(SM2, _sm2_public(document["private_key"]))
    if "PRIVATE KEY" in stripped:
        key = serialization.load_pem_private_key(stripped.encode("ascii"), password=None)
        key = key.public_key()
    else:
        key = serialization.load_pem_public_key(stripped.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("an Ed25519 or SM2 key is needed")
    return PublicKey(
        ED25519, key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def signed_message(head: dict) -> bytes:
    fields = {name: head[name] for name in HEAD_FIELDS}
    return SIGNED_PREFIX + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign_head(key: SigningKey, size: int, root: bytes, time: str) -> dict:
    """A signed head: ``root`` as 64 hex digits, ``signature`` base64."""
    head = {
        "size": size,
        "root": root.hex(),
        "time": time,
        "algorithm": key.public.algorithm,
        "key_id": key.public.key_id,
    }
    head["signature"] = base64.b64encode(key.sign(signed_message(head))).decode("ascii")
    return head


def head_problem(head: object, keys: dict[str, PublicKey]) -> str | None:
    """Why ``head`` is not a validly signed head by one of ``keys`` (by key id), or None."""
    if not isinstance(head, dict):
        return "not a signed head (a JSON object is needed)"
    missing = [name for name in (*HEAD_FIELDS, "signature") if name not in head]
    if missing:
        return f"not a signed head: {', '.join(missing)} missing"
    size, root = head["size"], head["root"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "size is not a whole number"
    if not isinstance(root, str) or len(root) != 64 or set(root) - set("0123456789abcdef"):
        return "root is not 64 hex digits"
    if not isinstance(head["key_id"], str) or not isinstance(head["algorithm"], str):
        return "key_id and algorithm must be text"
    if not isinstance(head["time"], str) or not isinstance(head["signature"], str):
        return "time and signature must be text"
    if size >= 2**63:
        return "size is not a whole number"
    key = keys.get(head["key_id"])
    if key is None:
        return f"signed by an unknown key {head['key_id']!r}"
    if key.algorithm != head["algorithm"]:
        return f"key {head['key_id']} is {key.algorithm}, the head says {head['algorithm']}"
    try:
        signature = base64.b64decode(str(head["signature"]), validate=True)
        message = signed_message(head)
    except (ValueError, TypeError):
        return "the signature is not base64"
    if not key.verify(message, signature):
        return "the signature does not verify: the head was altered or forged"
    return None
