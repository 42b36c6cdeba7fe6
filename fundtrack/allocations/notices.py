"""Allocation notices (资金下达通知) as PDF: one allocation, or every allocation of one
document number together."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.audit import witness
from fundtrack.core.errors import InvalidTransition, NotFound
from fundtrack.core.money import yuan_in_words
from fundtrack.reports.pdf import proof_qr, render_pdf, send_pdf

ISSUED = ("approved", "recalled")


def issuing_body(region) -> str:
    """湖南省 → 湖南省计划生育协会 (the association of the giving region)."""
    return f"{region.name}计划生育协会"


def _siblings(session, allocation: Allocation) -> list[Allocation]:
    """The approved allocations one document number covers (same fund and giver)."""
    return session.scalars(
        sa.select(Allocation)
        .where(
            Allocation.fund_id == allocation.fund_id,
            Allocation.from_region_code == allocation.from_region_code,
            Allocation.document_no == allocation.document_no,
            Allocation.status.in_(ISSUED),
        )
        .order_by(Allocation.to_region_code)
    ).all()


def render_notices(session, allocations: list[Allocation]) -> bytes:
    """One notice page per allocation; each lists the whole document's table when the
    document number covers several receivers."""
    if not allocations:
        raise NotFound("没有可出具通知的资金下达")
    for allocation in allocations:
        if allocation.status not in ISSUED:
            raise InvalidTransition(
                "资金下达尚未审批，不能出具通知", status=allocation.status, action="notice"
            )
    pages = []
    # one head for the whole document; each notice proves its own allocation in that tree
    head = witness.signed_head(session)
    proofs = []
    for allocation in allocations:
        siblings = _siblings(session, allocation)
        proof = witness.record_proof(session, Allocation, allocation.id, head)
        if proof is not None:  # None only with versioning off (the benchmark's baseline)
            proofs.append(proof)
        pages.append(
            {
                "allocation": allocation,
                "body": issuing_body(allocation.from_region),
                "words": yuan_in_words(allocation.amount_fen),
                "siblings": siblings if len(siblings) > 1 else [],
                "total_fen": sum(s.amount_fen for s in siblings),
                "total_words": yuan_in_words(sum(s.amount_fen for s in siblings)),
                "earmarks": [e.category.name for e in allocation.fund.earmarks],
                "proof": proof,
                "proof_qr": proof and proof_qr(proof),
            }
        )
    return render_pdf("notice.html", pages=pages, signed_head=head, proofs=tuple(proofs))


def send_notice(session, allocation: Allocation):
    return send_pdf(
        render_notices(session, [allocation]),
        f"notice-{allocation.id}.pdf",
        f"资金下达通知 #{allocation.id} {allocation.document_no}",
    )


def send_document_notices(session, allocations: list[Allocation], document_no: str):
    data = render_notices(session, allocations)
    return send_pdf(
        data, f"notices-{allocations[0].fund.code}.pdf", f"资金下达通知 {document_no}（全部）"
    )
