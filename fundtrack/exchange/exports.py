"""The tables users export: a fund's balance tree, allocations, payments, a record's history.

Each builder takes the session, the user and the filters of the list it mirrors, and sees
exactly what that user sees on the page (the user's region subtree).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from fundtrack.allocations.models import ALLOCATION_TRANSITIONS, Allocation
from fundtrack.allocations.queries import visible_allocations
from fundtrack.audit.reports import KIND_LABELS, LOCAL, history_rows
from fundtrack.core.errors import ValidationFailed
from fundtrack.core.i18n import chinese_documents
from fundtrack.core.idnumber import mask
from fundtrack.core.money import fen_to_yuan
from fundtrack.core.timeparse import local_today
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS, Disbursement
from fundtrack.disbursements.queries import visible_disbursements
from fundtrack.exchange.tables import Column, Table, send_table
from fundtrack.ledger.balances import balance_rows
from fundtrack.regions.models import LEVELS

#: most rows one export writes; narrow the filters beyond that
MAX_EXPORT_ROWS = 200_000


def _local(moment: datetime | None) -> datetime | None:

    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(LOCAL).replace(tzinfo=None)


def _limited(session, stmt) -> list:
    rows = session.scalars(stmt.limit(MAX_EXPORT_ROWS + 1)).all()
    if len(rows) > MAX_EXPORT_ROWS:
        raise ValidationFailed(
            f"导出超过 {MAX_EXPORT_ROWS:,} 行，请按资金、状态或日期缩小范围", rows=len(rows)
        )
    return rows


def balances_table(session, user, fund, as_of: datetime | None = None) -> Table:

    rows = balance_rows(session, fund, user.region_code, as_of)
    when = f"截至 {as_of_text(as_of)}（北京时间）" if as_of else "当前"
    return Table(
        title="资金余额",
        preamble=[f"{fund.code} {fund.name} · 各地区资金余额（{when}，单位：元）"],
        columns=[
            Column("地区代码", width=10),
            Column("地区", width=18),
            Column("级别", width=8),
            Column("收到资金", "money", 18),
            Column("已下达", "money", 18),
            Column("已支出（含待审批）", "money", 18),
            Column("已结转", "money", 16),
            Column("可用余额", "money", 18),
            Column("辖区实际支出", "money", 18),
            Column("执行率", "percent", 10),
        ],
        rows=[
            [
                row.region_code,
                "　" * row.depth + row.region_name,
                LEVELS[row.level],
                fen_to_yuan(row.received_fen),
                fen_to_yuan(row.allocated_out_fen),
                fen_to_yuan(row.disbursed_fen),
                fen_to_yuan(row.carried_over_fen),
                fen_to_yuan(row.available_fen),
                fen_to_yuan(row.spent_fen),
                row.execution_rate,
            ]
            for row in rows
        ],
    )


def as_of_text(moment: datetime) -> str:
    return _local(moment).strftime("%Y-%m-%d %H:%M:%S")


def allocations_table(session, user, filters: dict) -> Table:

    stmt = (
        visible_allocations(session, user, filters)
        .options(
            sa.orm.selectinload(Allocation.fund),
            sa.orm.selectinload(Allocation.from_region),
            sa.orm.selectinload(Allocation.to_region),
        )
        .order_by(Allocation.id)
    )
    labels = ALLOCATION_TRANSITIONS.labels
    return Table(
        title="资金下达",
        columns=[
            Column("编号", "int", 8),
            Column("资金编号", width=12),
            Column("专项资金", width=28),
            Column("文号", width=24),
            Column("下达地区", width=14),
            Column("接收地区代码", width=12),
            Column("接收地区", width=14),
            Column("金额（元）", "money", 18),
            Column("状态", width=8),
            Column("下达日期", "date", 12),
            Column("事由", width=30),
            Column("创建时间（北京时间）", "datetime", 20),
        ],
        rows=[
            [
                a.id,
                a.fund.code,
                a.fund.name,
                a.document_no,
                a.from_region.name,
                a.to_region_code,
                a.to_region.name,
                fen_to_yuan(a.amount_fen),
                labels[a.status],
                a.approved_on,
                a.reason,
                _local(a.created_at),
            ]
            for a in _limited(session, stmt)
        ],
    )


def disbursements_table(session, user, filters: dict) -> Table:

    stmt = (
        visible_disbursements(session, user, filters)
        .options(
            sa.orm.selectinload(Disbursement.fund),
            sa.orm.selectinload(Disbursement.region),
            sa.orm.selectinload(Disbursement.category),
        )
        .order_by(Disbursement.id)
    )
    labels = DISBURSEMENT_TRANSITIONS.labels
    return Table(
        title="支出",
        columns=[
            Column("编号", "int", 8),
            Column("资金编号", width=12),
            Column("地区代码", width=10),
            Column("地区", width=14),
            Column("科目", width=20),
            Column("金额（元）", "money", 16),
            Column("支付日期", "date", 12),
            Column("收款人", width=16),
            Column("身份证号码（脱敏）", width=20),
            Column("凭证号", width=16),
            Column("项目", width=20),
            Column("用途", width=30),
            Column("天数", "int", 6),
            Column("状态", width=8),
            Column("冲销的原支出", "int", 10),
        ],
        rows=[
            [
                d.id,
                d.fund.code,
                d.region_code,
                d.region.name,
                d.category.name,
                fen_to_yuan(d.amount_fen),
                d.paid_on,
                d.payee_name,
                mask(d.payee_id_number) if d.payee_id_number else None,
                d.voucher_no,
                d.project_name,
                d.purpose,
                d.days,
                labels[d.status],
                d.reverses_id,
            ]
            for d in _limited(session, stmt)
        ],
    )


def history_table(session, kind: str, record_id: int) -> Table:
    """One line per changed field (a change with no field change still gets one line)."""
    lines = []
    for row in history_rows(session, kind, record_id):
        common = [
            row.transaction_id,
            row.when.replace(tzinfo=None),
            row.operation,
            row.actor,
            row.remote_addr,
            row.action,
            row.reason,
        ]
        for label, old, new in row.diffs or [("", "", "")]:
            lines.append([*common, label, old, new])
    return Table(
        title="变更历史",
        preamble=[f"{KIND_LABELS[kind]} #{record_id} 变更历史（时间为北京时间）"],
        columns=[
            Column("事务号", "int", 8),
            Column("时间", "datetime", 20),
            Column("操作", width=8),
            Column("操作人", width=36),
            Column("来源地址", width=16),
            Column("操作内容", width=30),
            Column("原因或审批意见", width=30),
            Column("字段", width=16),
            Column("原值", width=24),
            Column("新值", width=24),
        ],
        rows=lines,
    )


def today_stamp() -> str:
    return local_today().strftime("%Y%m%d")


def send_export(session, user, what: str, fmt: str, **params):
    """Build the named export for ``user`` and send it, recorded in the access log.

    ``what`` is balances (``fund``, ``as_of``), allocations or disbursements (``filters``)
    or history (``kind``, ``record_id``); the caller has checked the user may see them.
    """
    with chinese_documents():  # a document: Chinese labels whatever the reader's language
        return _send_export(session, user, what, fmt, **params)


def _send_export(session, user, what: str, fmt: str, **params):

    stamp = today_stamp()
    if what == "balances":
        fund, as_of = params["fund"], params.get("as_of")
        table = balances_table(session, user, fund, as_of)
        name = f"balances-{fund.code}-{stamp}"
        detail = f"资金余额 {fund.code}" + (f" 截至 {as_of_text(as_of)}" if as_of else "")
    elif what == "allocations":
        table = allocations_table(session, user, params["filters"])
        name, detail = f"allocations-{stamp}", f"资金下达列表 {_describe(params['filters'])}"
    elif what == "disbursements":
        table = disbursements_table(session, user, params["filters"])
        name, detail = f"disbursements-{stamp}", f"支出列表 {_describe(params['filters'])}"
    elif what == "history":
        kind, record_id = params["kind"], params["record_id"]
        table = history_table(session, kind, record_id)
        name, detail = f"history-{kind}-{record_id}-{stamp}", f"变更历史 {kind} #{record_id}"
    else:  # pragma: no cover - routes name only the four above
        raise ValueError(what)
    return send_table(table, fmt, name, detail)


def _describe(filters: dict) -> str:
    shown = {k: v for k, v in filters.items() if v not in (None, "")}
    return " ".join(f"{k}={v}" for k, v in sorted(shown.items())) or "全部"
