"""Performance evaluation rules. Operations flush but never commit.

A region that received money of a fund files one evaluation for it: indicator lines from the
template of the fund's kind (weights summing to 100, self scores within weights), a fund-use
section from the ledger plus uses it declares; any use outside the earmark blocks submission.
The parent region or the province reviews: approve with a final score and grade, or return
with a comment. Next year, a region without an approved evaluation (or graded 差) cannot
receive money of that kind unless a provincial approver overrides with a reason.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources

import sqlalchemy as sa
from flask import current_app

from fundtrack.allocations.models import Allocation
from fundtrack.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NonEarmarkedUse,
    ValidationFailed,
)
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.money import AmountError, parse_yuan, yuan_str
from fundtrack.core.reasons import optional_reason, require_reason
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.disbursements.models import Disbursement
from fundtrack.evaluations.models import (
    DIMENSIONS,
    EVALUATION_TRANSITIONS,
    POOR_GRADE,
    TIERS,
    Evaluation,
    EvaluationDeclaredUse,
    EvaluationIndicator,
    grade_for,
)
from fundtrack.evaluations.permissions import (
    can_create_evaluation,
    can_edit_evaluation,
    can_review_evaluation,
)
from fundtrack.funds.models import ExpenditureCategory, Fund
from fundtrack.ledger.balances import region_balance
from fundtrack.regions.models import Region
from fundtrack.regions.operations import in_subtree, subtree_codes

HUNDRED = Decimal(100)
TWO = Decimal("0.01")


@functools.cache
def templates() -> dict[str, list[dict]]:
    """Indicator templates per fund kind, from fundtrack/data/indicator_templates.csv."""
    found: dict[str, list[dict]] = defaultdict(list)
    source = resources.files("fundtrack.data").joinpath("indicator_templates.csv")
    with source.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[row["kind"]].append(
                {
                    "position": int(row["position"]),
                    "tier": row["tier"],
                    "dimension": row["dimension"],
                    "name": row["name"],
                    "unit": row["unit"],
                    "weight": Decimal(row["weight"]),
                    "target": row["target"],
                }
            )
    return dict(found)


def received_fen(session, fund, region_code: str) -> int:

    return region_balance(session, fund, region_code).received_fen


def create_evaluation(session, user, fund, region_code: str | None = None) -> Evaluation:
    """Open the evaluation of ``fund`` for the user's region, lines from the kind's template.

    Raises ``Forbidden``, ``ValidationFailed`` (the region received none of the fund's money,
    or is the fund's own region) and ``Conflict`` (one per fund and region).
    """
    region_code = region_code or user.region_code
    if not can_create_evaluation(session, user, region_code):
        raise Forbidden(_("只能由本地区的财务经办人员填报本地区的绩效评价"))
    if region_code == fund.region_code or received_fen(session, fund, region_code) <= 0:
        raise ValidationFailed(
            _("本地区没有收到这笔专项资金，无需填报绩效评价"),
            fields={"fund_id": [_("本地区没有收到这笔专项资金")]},
        )
    exists = session.scalar(
        sa.select(Evaluation.id).where(
            Evaluation.fund_id == fund.id, Evaluation.region_code == region_code
        )
    )
    if exists is not None:
        raise Conflict(_("本地区已有这笔资金的绩效评价"), evaluation_id=exists)
    evaluation = Evaluation(
        fund_id=fund.id,
        region_code=region_code,
        created_by_id=user.id,
        indicators=[EvaluationIndicator(**line) for line in templates().get(fund.kind_code, [])],
    )
    session.add(evaluation)
    set_action(session, f"新建绩效评价 {fund.code}")  # zh-only: stored audit action
    session.flush()
    return evaluation


#: plain decimal notation in ASCII digits, as money (core.money): Decimal() alone would also
#: take "１００", "1e2" or "1_0"
POINTS_RE = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def _decimal(value, field, problems: list[str]) -> Decimal | None:
    """``value`` as points; ``field`` names it in the problems (in the page language)."""
    if value is None or value == "":
        return None
    if isinstance(value, float | bool):
        problems.append(_("%(field)s须为数字字符串或整数", field=field))
        return None
    if isinstance(value, str) and not POINTS_RE.match(value.strip()):
        problems.append(_("%(field)s不是数字", field=field))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        problems.append(_("%(field)s不是数字", field=field))
        return None
    # the size first: quantize() cannot hold two decimals of a number with 28+ digits
    if not number.is_finite() or abs(number) > 1000 or number != number.quantize(TWO):
        problems.append(_("%(field)s须为不超过 1000、最多两位小数的数", field=field))
        return None
    return number.quantize(TWO)


def _check_lines(indicators: list[dict]) -> tuple[list[dict], dict]:
    """Normalised lines and per-line problems (``{"indicators.3": [...]}``)."""
    fields: dict[str, list[str]] = {}
    clean = []
    for index, line in enumerate(indicators):
        problems: list[str] = []
        weight = _decimal(line.get("weight"), _("权重"), problems)
        score = _decimal(line.get("self_score"), _("自评分"), problems)
        name = (line.get("name") or "").strip()
        if line.get("tier") not in TIERS:
            problems.append(_("指标层级不正确"))
        if line.get("dimension") not in DIMENSIONS:
            problems.append(_("指标类别不正确"))
        if not name or len(name) > 128:
            problems.append(_("指标名称不能为空，且不超过 128 个字符"))
        for key, limit in (("unit", 16), ("target", 64), ("actual", 64), ("note", 2000)):
            if len(line.get(key) or "") > limit:
                problems.append(_("%(field)s 不超过 %(limit)s 个字符", field=key, limit=limit))
        if weight is None and not problems:
            problems.append(_("权重不能为空"))
        if weight is not None and not (0 < weight <= HUNDRED):
            problems.append(_("权重须大于 0、不超过 100"))
        if score is not None and weight is not None and not (0 <= score <= weight):
            problems.append(_("自评分须在 0 到权重 %(weight)s 之间", weight=weight))
        if problems:
            fields[f"indicators.{index}"] = problems
        clean.append(
            {
                "id": line.get("id"),
                "position": index + 1,
                "tier": line.get("tier"),
                "dimension": line.get("dimension"),
                "name": name,
                "unit": (line.get("unit") or "").strip(),
                "weight": weight,
                "target": (line.get("target") or "").strip(),
                "actual": (line.get("actual") or "").strip(),
                "self_score": score,
                "note": (line.get("note") or "").strip(),
            }
        )
    if not fields:
        total = sum((line["weight"] for line in clean), Decimal(0))
        if total != HUNDRED:
            fields["indicators"] = [_("各指标权重合计须为 100（现为 %(total)s）", total=total)]
    return clean, fields


def update_evaluation(
    session,
    user,
    evaluation: Evaluation,
    *,
    summary: str | None = None,
    indicators: list[dict] | None = None,
    declared_uses: list[dict] | None = None,
) -> Evaluation:
    """Save the form (draft or returned only). ``indicators`` and ``declared_uses`` replace
    the current lines; a line with an ``id`` updates that line.

    Invariants: weights sum to exactly 100; each self score lies within its line's weight.
    Raises ``Forbidden``, ``InvalidTransition`` and ``ValidationFailed`` naming the lines.
    """
    if not can_edit_evaluation(session, user, evaluation):
        raise Forbidden(_("只能由本地区的财务经办人员填报本地区的绩效评价"))
    if evaluation.status not in ("draft", "returned"):
        raise InvalidTransition(
            _("状态为「%(status)s」的绩效评价不能修改", status=evaluation.status_label),
            status=evaluation.status,
            action="update",
        )
    fields: dict[str, list[str]] = {}
    if summary is not None and len(summary) > 10_000:
        fields["summary"] = [_("自评总结不超过 10000 个字符")]
    clean_lines = None
    if indicators is not None:
        if not indicators or len(indicators) > 50:
            fields["indicators"] = [_("指标须有 1–50 条")]
        else:
            clean_lines, line_fields = _check_lines(indicators)
            fields.update(line_fields)
            known = {line.id for line in evaluation.indicators}
            seen: set[int] = set()
            for index, line in enumerate(clean_lines):
                if line["id"] is not None and line["id"] not in known:
                    fields[f"indicators.{index}"] = [_("指标不属于本绩效评价")]
                elif line["id"] is not None and line["id"] in seen:
                    fields[f"indicators.{index}"] = [_("同一指标出现了两次")]
                seen.add(line["id"])
    clean_uses = None
    if declared_uses is not None:
        clean_uses = []
        if len(declared_uses) > 100:
            fields["declared_uses"] = [_("自报用途不超过 100 条")]
        categories = set(session.scalars(sa.select(ExpenditureCategory.code)))
        for index, use in enumerate(declared_uses or []):
            problems = []
            if use.get("category") not in categories:
                problems.append(_("科目不存在"))
            try:
                amount = parse_yuan(use.get("amount"))
            except AmountError as exc:
                problems.append(str(exc))
                amount = None
            description = (use.get("description") or "").strip()
            if len(description) > 2000:
                problems.append(_("说明不超过 2000 个字符"))
            if problems:
                fields[f"declared_uses.{index}"] = problems
            clean_uses.append(
                {"category_code": use.get("category"), "amount_fen": amount,
                 "description": description}
            )  # fmt: skip
    if fields:
        raise ValidationFailed(fields=fields)
    if summary is not None:
        evaluation.summary = summary.strip()
    if clean_lines is not None:
        by_id = {line.id: line for line in evaluation.indicators}
        kept = []
        for line in clean_lines:
            target = by_id.get(line.pop("id")) or EvaluationIndicator()
            for key, value in line.items():
                setattr(target, key, value)
            kept.append(target)
        evaluation.indicators = kept
    if clean_uses is not None:
        evaluation.declared_uses = [EvaluationDeclaredUse(**use) for use in clean_uses]
    set_action(session, f"填报绩效评价 {evaluation.fund.code}")  # zh-only: stored audit action
    session.flush()
    return evaluation


def fund_use(session, evaluation: Evaluation) -> list[dict]:
    """The fund-use section: what the region and the regions below it paid, by category
    (from the ledger, pending and approved, net of reversals), beside what it declares."""
    earmark = set(evaluation.fund.earmarked_codes)
    codes = subtree_codes(session, evaluation.region_code)
    ledger = dict(
        session.execute(
            sa.select(Disbursement.category_code, sa.func.sum(Disbursement.amount_fen))
            .where(
                Disbursement.fund_id == evaluation.fund_id,
                Disbursement.region_code.in_(codes),
                Disbursement.status.in_(("pending", "approved", "reversed")),
            )
            .group_by(Disbursement.category_code)
        ).all()
    )
    declared: dict[str, int] = defaultdict(int)
    for use in evaluation.declared_uses:
        declared[use.category_code] += use.amount_fen
    names = dict(
        session.execute(sa.select(ExpenditureCategory.code, ExpenditureCategory.name)).all()
    )
    return [
        {
            "category": code,
            "category_name": names.get(code, code),
            "earmarked": code in earmark,
            "ledger_fen": int(ledger.get(code, 0)),
            "declared_fen": declared.get(code, 0),
        }
        for code in sorted(set(ledger) | set(declared) | earmark)
    ]


def non_earmarked_lines(session, evaluation: Evaluation) -> list[dict]:
    """Every ledger or declared use outside the fund's earmark."""
    earmark = set(evaluation.fund.earmarked_codes)
    lines = [
        {"source": "ledger", "category": row["category"], "category_name": row["category_name"],
         "amount": yuan_str(row["ledger_fen"]), "description": _("账面支出")}
        for row in fund_use(session, evaluation)
        if not row["earmarked"] and row["ledger_fen"]
    ]  # fmt: skip
    for use in evaluation.declared_uses:
        if use.category_code not in earmark:
            lines.append(
                {"source": "declared", "category": use.category_code,
                 "category_name": use.category.name, "amount": yuan_str(use.amount_fen),
                 "description": use.description}
            )  # fmt: skip
    return lines


def submit_evaluation(session, user, evaluation: Evaluation) -> Evaluation:
    """Submit for review: every line scored, weights 100, no use outside the earmark.

    Raises ``Forbidden``, ``InvalidTransition``, ``ValidationFailed`` (unscored lines) and
    ``NonEarmarkedUse`` listing the offending lines in ``details.lines``.
    """
    if not can_edit_evaluation(session, user, evaluation):
        raise Forbidden(_("只能由本地区的财务经办人员提交本地区的绩效评价"))
    EVALUATION_TRANSITIONS.target(evaluation.status, "submit")
    fields = {}
    for index, line in enumerate(evaluation.indicators):
        problems = []
        if line.self_score is None:
            problems.append(_("请填写自评分"))
        if not line.actual:
            problems.append(_("请填写实际完成值"))
        if problems:
            fields[f"indicators.{index}"] = problems
    total = sum((line.weight for line in evaluation.indicators), Decimal(0))
    if total != HUNDRED:
        fields["indicators"] = [_("各指标权重合计须为 100（现为 %(total)s）", total=total)]
    if fields:
        raise ValidationFailed(_("绩效评价尚未填写完整"), fields=fields)
    offending = non_earmarked_lines(session, evaluation)
    if offending:
        names = _("、").join(
            _("%(category)s %(amount)s 元", category=line["category_name"], amount=line["amount"])
            for line in offending
        )
        raise NonEarmarkedUse(
            _("存在专项资金用途范围以外的使用，不能提交：%(lines)s", lines=names), lines=offending
        )
    EVALUATION_TRANSITIONS.apply(evaluation, "submit")
    evaluation.submitted_at = utcnow()
    set_action(session, f"提交绩效评价 {evaluation.fund.code}")  # zh-only: stored audit action
    session.flush()
    return evaluation


def approve_evaluation(
    session, user, evaluation: Evaluation, final_score, reason: str | None = None
) -> Evaluation:
    """Approve with the final score (0–100, two decimals); the grade follows from it.
    ``reason`` is the reviewer's opinion (审核意见): the approval's reason in the history and
    the evaluation's ``review_comment``."""
    if not can_review_evaluation(session, user, evaluation):
        raise Forbidden(_("只有上级地区或省级的财务审批人员可以审核绩效评价"))
    opinion = optional_reason(reason)
    EVALUATION_TRANSITIONS.target(evaluation.status, "approve")
    problems: list[str] = []
    score = _decimal(final_score, _("审定得分"), problems)
    if score is None or not (0 <= score <= HUNDRED):
        problems = problems or [_("审定得分须在 0 到 100 之间")]
        raise ValidationFailed(fields={"final_score": problems})
    EVALUATION_TRANSITIONS.apply(evaluation, "approve")
    evaluation.final_score = score
    evaluation.review_comment = opinion or ""
    evaluation.reviewed_by_id = user.id
    evaluation.reviewed_at = utcnow()
    set_action(
        session,
        f"审定绩效评价 {evaluation.fund.code}：{score} 分（{grade_for(score)}）",  # zh-only: stored
    )
    set_reason(session, opinion)
    session.flush()
    return evaluation


def return_evaluation(
    session, user, evaluation: Evaluation, comment: str, field: str = "reason"
) -> Evaluation:
    """Return for rework with a required comment (the reviewer's words: the return's reason
    and the evaluation's ``review_comment``); ``field`` names the request field it came
    from, for the error's details."""
    if not can_review_evaluation(session, user, evaluation):
        raise Forbidden(_("只有上级地区或省级的财务审批人员可以审核绩效评价"))
    comment = require_reason(comment, field=field)
    EVALUATION_TRANSITIONS.apply(evaluation, "return")
    evaluation.review_comment = comment
    evaluation.reviewed_by_id = user.id
    evaluation.reviewed_at = utcnow()
    set_action(session, f"退回绩效评价 {evaluation.fund.code}")  # zh-only: stored audit action
    set_reason(session, comment)
    session.flush()
    return evaluation


def evaluation_gate(session, fund, region_code: str) -> list[str]:
    """Why ``region_code`` may not receive money of ``fund``'s kind this year: it received
    money of that kind last year and has no approved evaluation for it, or was graded 差."""
    last_year = session.scalars(
        sa.select(Fund).where(
            Fund.kind_code == fund.kind_code, Fund.fiscal_year == fund.fiscal_year - 1
        )
    ).all()
    problems = []
    region = session.get(Region, region_code)
    for previous in last_year:
        received = session.scalar(
            sa.select(Allocation.id)
            .where(
                Allocation.fund_id == previous.id,
                Allocation.to_region_code == region_code,
                # a wholly recalled allocation left the region nothing to account for
                Allocation.status == "approved",
            )
            .limit(1)
        )
        if received is None:
            continue
        evaluation = session.scalar(
            sa.select(Evaluation).where(
                Evaluation.fund_id == previous.id, Evaluation.region_code == region_code
            )
        )
        if evaluation is None or evaluation.status != "approved":
            problems.append(
                _(
                    "%(region)s尚无审定的 %(year)s 年度%(fund)s绩效评价",
                    region=region.name,
                    year=previous.fiscal_year,
                    fund=previous.name,
                )
            )
        elif evaluation.grade == POOR_GRADE:
            problems.append(
                _(
                    "%(region)s %(year)s 年度%(fund)s绩效评价为差（%(score)s 分）",
                    region=region.name,
                    year=previous.fiscal_year,
                    fund=previous.name,
                    score=evaluation.final_score,
                )
            )
    return problems


def ranking(session, fund) -> dict[str, list[dict]]:
    """Approved evaluations of a fund by level, best first, with rank and spread."""
    rows = session.execute(
        sa.select(Evaluation, Region)
        .join(Region, Evaluation.region_code == Region.code)
        .where(Evaluation.fund_id == fund.id, Evaluation.status == "approved")
        .order_by(Evaluation.final_score.desc(), Region.code)
    ).all()
    levels: dict[str, list[dict]] = {"prefecture": [], "county": []}
    for evaluation, region in rows:
        entries = levels.setdefault(region.level, [])
        entries.append(
            {
                "evaluation_id": evaluation.id,
                "region": region.code,
                "region_name": region.name,
                "level": region.level,
                "score": evaluation.final_score,
                "grade": evaluation.grade,
                "rank": len(entries) + 1,
            }
        )
    return levels


def configured_deadline() -> tuple[int, int]:
    """(month, day) of ``EVALUATION_DEADLINE``: the day of the following year a year's
    evaluations are due."""
    month, day = current_app.config["EVALUATION_DEADLINE"].split("-")
    return int(month), int(day)


def _overdue_pairs(session, region_code: str, today: date, deadline: tuple[int, int]):
    """The statement of every overdue evaluation of ``region_code``'s subtree: (fund id,
    region code, and the fiscal year and fund code that ``overdue_first`` orders by)."""
    month, day = deadline
    last_due_year = today.year - 1 if (today.month, today.day) > (month, day) else today.year - 2
    filed = (
        sa.select(Evaluation.id)
        .where(
            Evaluation.fund_id == Allocation.fund_id,
            Evaluation.region_code == Allocation.to_region_code,
            Evaluation.status.in_(("submitted", "approved")),
        )
        .exists()
    )
    return (
        sa.select(Fund.id, Allocation.to_region_code, Fund.fiscal_year, Fund.code)
        .join(Allocation, Allocation.fund_id == Fund.id)
        .where(
            in_subtree(session, Allocation.to_region_code, region_code),
            # a wholly recalled allocation left the region nothing to account for
            Allocation.status == "approved",
            Fund.fiscal_year <= last_due_year,
            ~filed,
        )
        .distinct()
    )


def overdue(
    session,
    region_code: str,
    today: date,
    deadline: tuple[int, int],
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Regions of ``region_code``'s subtree (itself and below) whose evaluation of a fund is
    not submitted although the deadline (month, day of the following year) has passed, by
    year, fund and region: ``limit`` of them (all for None) from ``offset``, and how many
    there are in all, in one statement (a province with a year of evaluations outstanding
    has thousands; the home page lists twenty, the page and the API fifty at a time)."""
    month, day = deadline
    pairs_query = _overdue_pairs(session, region_code, today, deadline).subquery()
    found = session.execute(
        sa.select(pairs_query.c.id, pairs_query.c.to_region_code, sa.func.count().over())
        .order_by(pairs_query.c.fiscal_year, pairs_query.c.code, pairs_query.c.to_region_code)
        .limit(limit)
        .offset(offset)
    ).all()
    if found:
        total = found[0][2]
    elif offset:  # past the last page: no row carries the count
        total = session.scalar(sa.select(sa.func.count()).select_from(pairs_query))
    else:
        total = 0
    # each fund and region once: a province with a year of evaluations outstanding has
    # thousands of pairs but only a few funds
    funds = {
        fund.id: fund
        for fund in session.scalars(sa.select(Fund).where(Fund.id.in_({f for f, _, _ in found})))
    }
    regions = {
        region.code: region
        for region in session.scalars(
            sa.select(Region).where(Region.code.in_({r for _, r, _ in found}))
        )
    }
    items = [
        {
            "fund": funds[fund_id],
            "region": regions[code],
            "due": date(funds[fund_id].fiscal_year + 1, month, day),
        }
        for fund_id, code, _total in found
    ]
    return items, total


def overdue_page(
    session, region_code: str, today: date, deadline: tuple[int, int], page: int, per_page: int
) -> dict:
    """One page of ``overdue``: ``{"items", "page", "per_page", "total"}`` like every
    paginated list (``core.api.paginated``)."""
    items, total = overdue(session, region_code, today, deadline, per_page, (page - 1) * per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}
