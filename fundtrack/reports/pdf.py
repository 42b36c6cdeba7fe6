"""PDFs with WeasyPrint from templates in templates/pdf/, with an embedded CJK font.

Resources are fetched from nowhere: only ``data:`` URLs are allowed, so a template (or a
user's text inside one) can never make the server read a file or call the network.

PDFs are official documents: Chinese whatever the reader's language (``chinese_documents``).

Every PDF is a witness of the audit history (``fundtrack.audit.witness``): it prints the
signed head current when it was made (size and the 64-hex root) with a QR code of it, and a
document about records carries their inclusion proofs (the QR code of each, and the full
proofs as ``proof-*.json`` attachments the offline verifier reads).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess

import segno
from flask import render_template
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher

from fundtrack.audit import witness
from fundtrack.audit.proofs import compact_proof
from fundtrack.core.i18n import chinese_documents
from fundtrack.extensions import db
from fundtrack.reports.errors import PdfUnavailable
from fundtrack.reports.export import send_logged_download

#: families tried in order; Debian's fonts-noto-cjk provides the first two
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")


@functools.cache
def cjk_font_family() -> str | None:
    """The first installed CJK font family, by fontconfig; None when there is none."""
    if shutil.which("fc-list") is None:
        return None
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    return next((family for family in CJK_FAMILIES if family in families), None) or (
        sorted(families)[0] if families else None
    )


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as a ``data:`` PNG (the only kind of resource a PDF may load)."""
    return segno.make(text, error="l", micro=False).png_data_uri(scale=2, border=2)


def proof_qr(proof: dict) -> str:
    """The QR code of a record's compact proof (head, position, link and path)."""
    return qr_data_uri(json.dumps(compact_proof(proof), separators=(",", ":")))


def render_pdf(
    template: str,
    *,
    signed_head: dict | None = None,
    proofs: tuple[dict, ...] = (),
    about: tuple[type, int] | None = None,
    **context,
) -> bytes:
    """Render ``templates/pdf/<template>`` to PDF bytes, in Chinese whatever the reader's
    language (lazy labels in the context, such as status or field names, come out Chinese),
    with the signed head (today's unless given) and ``proofs`` attached; a document
    ``about`` one record (model, id) carries that record's proof. Raises
    ``PdfUnavailable``."""
    family = cjk_font_family()
    if family is None:
        raise PdfUnavailable()
    head = signed_head or witness.signed_head(db.session)
    if about is not None:
        proof = witness.record_proof(db.session, *about, head)
        if proof is not None:
            proofs = (*proofs, proof)
            context.update(proof=proof, proof_qr=proof_qr(proof))
    attachments = [
        Attachment(
            string=json.dumps(proof, ensure_ascii=False, indent=1),
            name=f"proof-{proof['record']['table']}-{proof['record']['id']}.json",
            description="fundtrack 审计包含证明：python -m fundtrack.audit.offline",
        )
        for proof in proofs
    ]
    with chinese_documents():
        html = render_template(
            f"pdf/{template}",
            font_family=family,
            signed_head=head,
            head_qr=qr_data_uri(witness.head_text(head)),
            **context,
        )
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
        return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
            attachments=attachments
        )


def send_pdf(data: bytes, name: str, detail: str):
    """Send a generated PDF and record the export in the access log (one commit)."""
    return send_logged_download(data, "application/pdf", name, f"{detail} ({name})")
