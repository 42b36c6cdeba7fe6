"""Rules for funds, earmarks and budget lines. Operations flush but never commit."""

from __future__ import annotations

import re

import sqlalchemy as sa

from fundtrack.core.errors import Conflict, ValidationFailed
from fundtrack.core.versioning import set_reason
from fundtrack.funds.models import (
    FUND_TRANSITIONS,
    BudgetLine,
    ExpenditureCategory,
    Fund,
    FundEarmark,
    FundKind,
)
from fundtrack.regions.models import Region

FUND_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
MIN_YEAR, MAX_YEAR = 2000, 2100


def itemised_fen(session, budget_line: BudgetLine) -> int:
    """What the funds of a budget line itemise (SQL sum)."""
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Fund.budget_fen), 0)).where(
                Fund.budget_line_id == budget_line.id
            )
        )
    )


def unitemised_fen(session, budget_line: BudgetLine) -> int:
    """The part of a budget line that no fund itemises: shown, never invented or lost."""
    return budget_line.total_fen - itemised_fen(session, budget_line)


def create_budget_line(
    session,
    *,
    fiscal_year: int,
    region_code: str,
    name: str,
    total_fen: int,
    source: str = "",
    note: str = "",
) -> BudgetLine:
    line = BudgetLine(
        fiscal_year=fiscal_year,
        region_code=region_code,
        name=name,
        total_fen=total_fen,
        source=source,
        note=note,
    )
    session.add(line)
    session.flush()
    return line


def create_fund(
    session,
    *,
    code: str,
    name: str,
    kind_code: str,
    fiscal_year: int,
    region_code: str,
    budget_fen: int,
    earmarked_categories: list[str],
    source: str = "",
    budget_line_id: int | None = None,
    created_by_id: int | None = None,
    activate: bool = True,
) -> Fund:
    """Create a special fund with its earmark.

    Invariants: the earmark is non-empty and holds only earmarkable categories (running
    costs such as 办公费 can never be earmarked); the funds of a budget line never itemise more
    than its total. Raises ``ValidationFailed`` (with per-field messages) or ``Conflict``.
    """
    fields: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not FUND_CODE_RE.match(code):
        fields["code"] = ["编号须为 2–32 位字母、数字、点、下划线或连字符"]
    if not name or len(name) > 128:
        fields["name"] = ["名称不能为空，且不超过 128 个字符"]
    if session.get(FundKind, kind_code or "") is None:
        fields["kind"] = ["资金类别不存在"]
    if not (MIN_YEAR <= fiscal_year <= MAX_YEAR):
        fields["fiscal_year"] = [f"年度须在 {MIN_YEAR}–{MAX_YEAR} 之间"]
    if session.get(Region, region_code or "") is None:
        fields["region"] = ["地区不存在"]
    codes = list(dict.fromkeys(earmarked_categories or []))
    if not codes:
        fields["earmarked_categories"] = ["至少指定一个专项用途科目"]
    else:
        categories = {
            c.code: c
            for c in session.scalars(
                sa.select(ExpenditureCategory).where(ExpenditureCategory.code.in_(codes))
            )
        }
        unknown = [c for c in codes if c not in categories]
        running = [c for c in codes if c in categories and not categories[c].earmarkable]
        messages = []
        if unknown:
            messages.append(f"科目不存在：{', '.join(unknown)}")
        if running:
            names = "、".join(categories[c].name for c in running)
            messages.append(f"{names}属于一般运行经费，专项资金不得列支")
        if messages:
            fields["earmarked_categories"] = messages
    line = None
    if budget_line_id is not None:
        line = session.get(BudgetLine, budget_line_id)
        if line is None:
            fields["budget_line_id"] = ["预算项目不存在"]
        elif line.fiscal_year != fiscal_year or line.region_code != region_code:
            fields["budget_line_id"] = ["预算项目的年度或地区与资金不一致"]
    if fields:
        raise ValidationFailed(fields=fields)
    if session.scalar(sa.select(Fund.id).where(Fund.code == code)) is not None:
        raise Conflict("资金编号已存在", fields={"code": ["资金编号已存在"]})
    if line is not None:
        # lock the line so two funds cannot both take its last remainder
        session.execute(sa.select(BudgetLine.id).where(BudgetLine.id == line.id).with_for_update())
        remainder = unitemised_fen(session, line)
        if budget_fen > remainder:
            raise ValidationFailed(
                "资金预算超过预算项目尚未分项的余额",
                fields={"budget": ["资金预算超过预算项目尚未分项的余额"]},
                remainder_fen=remainder,
            )
    fund = Fund(
        code=code,
        name=name,
        kind_code=kind_code,
        fiscal_year=fiscal_year,
        region_code=region_code,
        budget_line_id=budget_line_id,
        source=source,
        budget_fen=budget_fen,
        created_by_id=created_by_id,
        earmarks=[FundEarmark(category_code=c) for c in codes],
    )
    session.add(fund)
    session.flush()
    if activate:
        FUND_TRANSITIONS.apply(fund, "activate")
    set_reason(session, f"新建专项资金 {code}")
    session.flush()
    return fund
