"""The audit packet of a fund: one ZIP with a PDF summary, every version and transaction
that touched the fund as CSV, and the chain's head hash."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import send_file
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.audit import witness
from fundtrack.audit.history import FIELD_LABELS, display_value, record_history
from fundtrack.audit.models import AuditSeal
from fundtrack.audit.operations import log_access
from fundtrack.core.i18n import chinese_documents
from fundtrack.core.idnumber import mask
from fundtrack.core.net import client_address
from fundtrack.disbursements.models import Disbursement
from fundtrack.evaluations.models import (
    Evaluation,
    EvaluationDeclaredUse,
    EvaluationIndicator,
)
from fundtrack.extensions import db
from fundtrack.funds.models import Fund, FundCarryOver, FundEarmark
from fundtrack.ledger.balances import balance_rows
from fundtrack.reports.export import csv_bytes
from fundtrack.reports.pdf import render_pdf
from fundtrack.users.models import ROLES

PERSONAL_COLUMNS = {"payee_id_number", "id_number"}


def _fund_version_queries(fund):
    """(table name, select) of every version row that belongs to the fund."""

    def v(model):
        return version_class(model).__table__

    allocation_ids = sa.select(Allocation.id).where(Allocation.fund_id == fund.id)
    evaluation_ids = sa.select(Evaluation.id).where(Evaluation.fund_id == fund.id)
    carry = v(FundCarryOver)
    return [
        (v(Fund), v(Fund).c.id == fund.id),
        (v(FundEarmark), v(FundEarmark).c.fund_id == fund.id),
        (v(Allocation), v(Allocation).c.fund_id == fund.id),
        (v(AllocationRecall), v(AllocationRecall).c.allocation_id.in_(allocation_ids)),
        (v(Disbursement), v(Disbursement).c.fund_id == fund.id),
        (carry, sa.or_(carry.c.from_fund_id == fund.id, carry.c.to_fund_id == fund.id)),
        (v(Evaluation), v(Evaluation).c.fund_id == fund.id),
        (v(EvaluationIndicator), v(EvaluationIndicator).c.evaluation_id.in_(evaluation_ids)),
        (
            v(EvaluationDeclaredUse),
            v(EvaluationDeclaredUse).c.evaluation_id.in_(evaluation_ids),
        ),
    ]


def _who(user: dict | None, roles: dict) -> str:
    if user is None:
        return "系统"
    return f"{user['display_name']}（{roles.get(user['role'], '')}）"


def _changes_after_approval(session, fund) -> list[dict]:
    """Every change made to an allocation, recall or payment that was already approved."""
    found = []
    kinds = (
        ("资金下达", Allocation, sa.select(Allocation.id).where(Allocation.fund_id == fund.id)),
        (
            "资金收回",
            AllocationRecall,
            sa.select(AllocationRecall.id)
            .join(Allocation, AllocationRecall.allocation_id == Allocation.id)
            .where(Allocation.fund_id == fund.id),
        ),
        ("支出", Disbursement, sa.select(Disbursement.id).where(Disbursement.fund_id == fund.id)),
    )
    for label, model, ids in kinds:
        for record_id in session.scalars(ids):
            status = None
            for entry in record_history(session, model, record_id):
                if status == "approved" and entry.changes:
                    found.append(
                        {
                            "record": f"{label} #{record_id}",
                            "when": entry.issued_at,
                            "who": _who(entry.user, ROLES),
                            "action": entry.action or "",
                            "reason": entry.reason or "",
                            "changes": "；".join(
                                f"{FIELD_LABELS.get(c, c)} {display_value(c, o, {})} → "
                                f"{display_value(c, n, {})}"
                                for c, (o, n) in entry.changes.items()
                            ),
                        }
                    )
                if "status" in entry.changes:
                    status = entry.changes["status"][1]
    found.sort(key=lambda item: item["when"])
    return found


def build_audit_packet(session, fund, user) -> tuple[str, bytes]:
    """(file name, ZIP bytes) of the fund's audit packet."""
    connection = session.connection()
    now = datetime.now(UTC)
    signed_head = witness.signed_head(connection)
    buffer = io.BytesIO()
    transaction_ids: set[int] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, condition in _fund_version_queries(fund):
            rows = connection.execute(
                sa.select(table).where(condition).order_by(table.c.transaction_id)
            ).mappings()
            header = [c.name for c in table.c]
            body = []
            for row in rows:
                transaction_ids.add(row["transaction_id"])
                body.append([mask(row[c]) if c in PERSONAL_COLUMNS else row[c] for c in header])
            archive.writestr(f"versions/{table.name}.csv", csv_bytes(header, body))

        transaction = versioning_manager.transaction_cls.__table__
        rows = connection.execute(
            sa.select(transaction, AuditSeal.id.label("seal_position"), AuditSeal.hash)
            .outerjoin(AuditSeal.__table__, AuditSeal.transaction_id == transaction.c.id)
            .where(transaction.c.id.in_(sorted(transaction_ids)))
            .order_by(transaction.c.id)
        ).mappings()
        header = [c.name for c in transaction.c] + ["seal_position", "seal_hash"]
        archive.writestr(
            "transactions.csv",
            csv_bytes(header, ([row[c] for c in header[:-1]] + [row["hash"]] for row in rows)),
        )
        archive.writestr("signed_head.json", witness.head_text(signed_head) + "\n")

        allocations = session.scalars(
            sa.select(Allocation).where(Allocation.fund_id == fund.id).order_by(Allocation.id)
        ).all()
        recalls = session.scalars(
            sa.select(AllocationRecall)
            .join(Allocation, AllocationRecall.allocation_id == Allocation.id)
            .where(Allocation.fund_id == fund.id)
            .order_by(AllocationRecall.id)
        ).all()
        reversals = session.scalars(
            sa.select(Disbursement)
            .where(Disbursement.fund_id == fund.id, Disbursement.reverses_id.is_not(None))
            .order_by(Disbursement.id)
        ).all()
        archive.writestr(
            "summary.pdf",
            render_pdf(
                "audit_packet.html",
                fund=fund,
                rows=balance_rows(session, fund, fund.region_code),
                allocations=allocations,
                recalls=recalls,
                reversals=reversals,
                changes=_changes_after_approval(session, fund),
                signed_head=signed_head,
                generated_at=now,
                generated_by=user,
                transaction_count=len(transaction_ids),
            ),
        )
        archive.writestr(
            "README.txt",
            (
                f"{fund.fiscal_year}年 {fund.name}（{fund.code}）审计资料包\n"
                f"生成时间（UTC）：{now:%Y-%m-%d %H:%M:%S}；生成人：{user.display_name}\n\n"
                "summary.pdf       资金状况、资金下达（含文号）、收回与冲销、审批后的变更\n"
                "versions/*.csv    与本资金有关的全部版本记录（金额单位：分；身份证号码已脱敏）\n"
                "transactions.csv  这些版本所属的事务：操作人、地址、时间、原因及其封存哈希\n"
                "signed_head.json  生成时的签名树头（审计日志的外部见证）：请另行保存，日后可用\n"
                "                  flask audit verify --witness 或「文书核验」核对\n"
            ).encode(),
        )
    return f"audit-packet-{fund.code}-{now:%Y%m%d%H%M%S}.zip", buffer.getvalue()


def send_audit_packet(fund, user):
    """Build the packet, record the export in the access log, commit, send the file."""
    # a document for the file: its labels in Chinese whatever the reader's language
    with chinese_documents():
        name, data = build_audit_packet(db.session, fund, user)
    log_access(db.session, "export", user=user, remote_addr=client_address(),
               detail=f"审计资料包 {fund.code} ({name})")  # fmt: skip
    return send_file(
        io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name
    )
