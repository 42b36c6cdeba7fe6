"""The bank payment file (代发文件) of a batch: CSV, one line per payee, with the batch's count
and total first and the signed head of the audit history last (the file is a witness,
``fundtrack.audit.witness``). The one document with full ID numbers: banks need them to pay."""

from __future__ import annotations

import sqlalchemy as sa

from fundtrack.audit import witness
from fundtrack.core.i18n import chinese_documents
from fundtrack.core.money import yuan_str
from fundtrack.disbursements.models import Disbursement
from fundtrack.exchange.models import BankBatch, BankBatchItem
from fundtrack.exchange.operations import batch_totals
from fundtrack.reports.export import csv_bytes, send_logged_download

SUMMARY_HEADER = ["批次号", "付款单位", "支付日期自", "支付日期至", "笔数", "总金额（元）"]
DETAIL_HEADER = ["序号", "收款人", "身份证号码", "收款账号", "金额（元）", "附言"]
#: the last line: the signed head of the audit history when the file was made
WITNESS_LABEL = "审计见证（签名树头）"


def bank_file_bytes(session, batch: BankBatch, count: int, total_fen: int) -> bytes:

    payments = session.scalars(
        sa.select(Disbursement)
        .join(BankBatchItem, BankBatchItem.disbursement_id == Disbursement.id)
        .where(BankBatchItem.batch_id == batch.id)
        .options(sa.orm.selectinload(Disbursement.beneficiary))
        .order_by(Disbursement.paid_on, Disbursement.id)
    ).all()
    rows = [
        [batch.batch_no, f"{batch.region.name}计划生育协会", batch.paid_from.isoformat(),
         batch.paid_to.isoformat(), count, yuan_str(total_fen)],
        [],
        DETAIL_HEADER,
    ]  # fmt: skip
    for number, payment in enumerate(payments, start=1):
        rows.append(
            [
                number,
                payment.payee_name,
                payment.payee_id_number or "",
                payment.payee_account,
                yuan_str(payment.amount_fen),
                f"{payment.voucher_no} {payment.purpose or payment.project_name}".strip()[:60],
            ]
        )
    head = witness.head_text(witness.signed_head(session))
    rows += [[], [WITNESS_LABEL, head, "", "", "", ""]]
    return csv_bytes(SUMMARY_HEADER, rows)


def send_bank_file(session, batch: BankBatch):
    """Send the file and record who downloaded which batch when (one commit)."""
    count, total = batch_totals(session, [batch.id]).get(batch.id, (0, 0))
    detail = f"银行代发文件 {batch.batch_no}，{count} 笔，{yuan_str(total)} 元（含完整身份证号码）"
    with chinese_documents():  # the bank's format, in Chinese whatever the reader's language
        data = bank_file_bytes(session, batch, count, total)
    return send_logged_download(
        data, "text/csv", f"bank-{batch.batch_no}.csv", detail, as_attachment=True
    )
