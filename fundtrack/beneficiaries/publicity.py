"""The printable 公示 notice: names and ID numbers masked, the proposed amounts, where to
object, the issuer, and the audit head with the 公示's own inclusion proof."""

from __future__ import annotations

from fundtrack.beneficiaries.models import Publicity
from fundtrack.core import idnumber
from fundtrack.core.money import yuan_in_words
from fundtrack.reports.pdf import render_pdf, send_pdf


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明: enough for neighbours to recognise a
    listed family, not enough to publish a full name."""
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def render_publicity_notice(session, publicity: Publicity) -> bytes:
    total = sum(entry.amount_fen for entry in publicity.entries)
    rows = [
        {
            "position": entry.position,
            "name": mask_name(entry.beneficiary.name),
            "id_number": idnumber.mask(entry.beneficiary.id_number),
            "family_type": entry.beneficiary.family_type_label,
            "amount_fen": entry.amount_fen,
        }
        for entry in publicity.entries
    ]
    return render_pdf(
        "publicity.html",
        about=(Publicity, publicity.id),
        p=publicity,
        rows=rows,
        total_fen=total,
        total_words=yuan_in_words(total),
    )


def send_publicity_notice(session, publicity: Publicity):
    return send_pdf(
        render_publicity_notice(session, publicity),
        f"publicity-{publicity.id}.pdf",
        f"公示 {publicity.notice_no} {publicity.title}",  # zh-only: access-log detail
    )
