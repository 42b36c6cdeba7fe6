"""Imports and bank payment batches. Operations flush but never commit."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from fundtrack.core.errors import Forbidden, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.versioning import set_action
from fundtrack.disbursements.models import Disbursement
from fundtrack.exchange.contract import ImportKind, ImportResult
from fundtrack.exchange.imports import run_import
from fundtrack.exchange.models import BankBatch, BankBatchItem
from fundtrack.exchange.permissions import can_export_bank_file, can_import
from fundtrack.regions.models import Region


def import_workbook(session, user, kind: ImportKind, data: bytes, filename: str) -> ImportResult:
    """All rows of the workbook or none (``ImportRejected``; the caller rolls back)."""
    if not can_import(user):
        raise Forbidden(_("只有财务经办人员可以导入"))
    return run_import(session, user, kind, data, filename)


#: the longest period one bank file covers
MAX_BANK_FILE_DAYS = 366


def create_bank_batch(session, user, *, region_code: str, paid_from: date, paid_to: date):
    """Put the region's approved payments of the period that are not yet in a batch, and
    have a bank account, into a new batch. Raises ``Forbidden`` or ``ValidationFailed``."""
    if session.get(Region, region_code or "") is None:
        raise ValidationFailed(fields={"region": [_("地区不存在")]})
    if not can_export_bank_file(session, user, region_code):
        raise Forbidden(_("只有本地区（或上级）的财务人员可以生成银行代发文件"))
    if paid_from > paid_to:
        raise ValidationFailed(fields={"paid_to": [_("结束日期不能早于开始日期")]})
    if (paid_to - paid_from).days >= MAX_BANK_FILE_DAYS:
        message = _("一个文件最多覆盖 %(days)s 天", days=MAX_BANK_FILE_DAYS)
        raise ValidationFailed(fields={"paid_to": [message]})
    payments = session.scalars(
        payable_payments(region_code, paid_from, paid_to).with_for_update()
    ).all()
    if not payments:
        raise ValidationFailed(
            _("该期间没有待付的已审批支出（已在其他批次中的、没有银行账号的不计入）"),
            fields={"paid_from": [_("该期间没有待付的已审批支出")]},
        )
    batch = BankBatch(
        region_code=region_code, paid_from=paid_from, paid_to=paid_to, created_by_id=user.id
    )
    session.add(batch)
    session.flush()
    session.add_all(BankBatchItem(batch_id=batch.id, disbursement_id=p.id) for p in payments)
    set_action(session, f"生成银行代发文件 {batch.batch_no}，{len(payments)} 笔")  # zh-only: stored
    session.flush()
    return batch


def _approved_in_period(region_code: str, paid_from: date, paid_to: date) -> tuple:
    """Conditions: approved payments (not compensations) of the region and period, with no
    reversal proposed (a payment somebody asked to reverse is not sent to the bank while a
    checker decides)."""
    reversal = sa.orm.aliased(Disbursement)
    return (
        Disbursement.region_code == region_code,
        Disbursement.status == "approved",
        Disbursement.amount_fen > 0,
        Disbursement.paid_on.between(paid_from, paid_to),
        ~sa.exists().where(reversal.reverses_id == Disbursement.id, reversal.status == "pending"),
    )


def payable_payments(region_code: str, paid_from: date, paid_to: date):
    """Approved payments of the region and period, with a bank account, in no batch yet."""
    return (
        sa.select(Disbursement)
        .where(
            *_approved_in_period(region_code, paid_from, paid_to),
            Disbursement.payee_account.is_not(None),
            Disbursement.payee_account != "",
            ~sa.exists().where(BankBatchItem.disbursement_id == Disbursement.id),
        )
        .order_by(Disbursement.paid_on, Disbursement.id)
    )


def unpayable_count(session, region_code: str, paid_from: date, paid_to: date) -> int:
    """Approved payments of the period left out for want of a bank account."""
    return session.scalar(
        sa.select(sa.func.count()).where(
            *_approved_in_period(region_code, paid_from, paid_to),
            sa.or_(Disbursement.payee_account.is_(None), Disbursement.payee_account == ""),
        )
    )


def batch_totals(session, batch_ids) -> dict[int, tuple[int, int]]:
    """batch id -> (count, total fen), by one aggregate."""
    rows = session.execute(
        sa.select(
            BankBatchItem.batch_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Disbursement.amount_fen), 0),
        )
        .join(Disbursement, Disbursement.id == BankBatchItem.disbursement_id)
        .where(BankBatchItem.batch_id.in_(list(batch_ids)))
        .group_by(BankBatchItem.batch_id)
    ).all()
    return {batch_id: (int(count), int(total)) for batch_id, count, total in rows}
