"""Pages: evaluations to file, the form, review, rankings with a chart."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.core.errors import NotFound
from fundtrack.core.forms import ActionForm
from fundtrack.core.i18n import _
from fundtrack.core.money import yuan_str
from fundtrack.core.timeparse import LOCAL_ZONE, local_today
from fundtrack.core.web_helpers import attempt, form_refused, record_listing, run_action
from fundtrack.evaluations import operations
from fundtrack.evaluations.api import ranking_payload
from fundtrack.evaluations.forms import (
    ApproveEvaluationForm,
    EvaluationForm,
    ReturnEvaluationForm,
)
from fundtrack.evaluations.models import (
    DIMENSIONS,
    EVALUATION_TRANSITIONS,
    GRADE_LABELS,
    GRADES,
    POOR_GRADE,
    TIERS,
    Evaluation,
)
from fundtrack.evaluations.permissions import (
    can_create_evaluation,
    can_edit_evaluation,
    can_review_evaluation,
    can_view_evaluation,
)
from fundtrack.evaluations.reports import send_evaluation_report
from fundtrack.extensions import db
from fundtrack.funds.models import ExpenditureCategory, Fund
from fundtrack.funds.permissions import get_visible_fund, visible_funds_filter
from fundtrack.ledger.balances import Balance, funds_balances
from fundtrack.regions.operations import subtree_codes
from fundtrack.users.models import User

#: evaluations per page of the list
PER_PAGE = 50
#: overdue evaluations per page of the evaluations page (its own pager: ``overdue_page``)
OVERDUE_PER_PAGE = 50

bp = Blueprint("evaluation_pages", __name__, url_prefix="/evaluations")

EMPTY_USE_ROWS = 3


def _get(evaluation_id: int) -> Evaluation:
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_view_evaluation(db.session, current_user, evaluation):
        abort(404)
    return evaluation


@bp.route("/")
@login_required
def index():
    """Evaluations of the user's subtree, what the user's region still has to file, overdue."""
    codes = subtree_codes(db.session, current_user.region_code)
    stmt = (
        sa.select(Evaluation)
        .join(Fund, Evaluation.fund_id == Fund.id)
        .where(Evaluation.region_code.in_(codes))
        .options(
            sa.orm.selectinload(Evaluation.fund),
            sa.orm.selectinload(Evaluation.region),
            # the self score total sums the lines
            sa.orm.selectinload(Evaluation.indicators),
        )
        .order_by(Fund.fiscal_year.desc(), Fund.code, Evaluation.region_code)
    )
    listing = record_listing(
        stmt,
        Evaluation,
        EVALUATION_TRANSITIONS,
        PER_PAGE,
        sortable={
            "year": Fund.fiscal_year,
            "fund": Fund.code,
            "region": Evaluation.region_code,
            "status": Evaluation.status,
            "final_score": Evaluation.final_score,
        },
        search=(Fund.name, Fund.code),
    )
    to_file = []
    if can_create_evaluation(db.session, current_user, current_user.region_code):
        # every evaluation of the region, whatever the status filter of the list shows
        filed = set(
            db.session.scalars(
                sa.select(Evaluation.fund_id).where(
                    Evaluation.region_code == current_user.region_code
                )
            )
        )
        funds = db.session.scalars(
            sa.select(Fund)
            .where(visible_funds_filter(db.session, current_user))
            .order_by(Fund.fiscal_year.desc(), Fund.code)
        ).all()
        candidates = [
            fund
            for fund in funds
            if fund.id not in filed and fund.region_code != current_user.region_code
        ]
        # what the region received of each: its own rows, one statement for all of them
        balances = funds_balances(db.session, candidates, region_code=current_user.region_code)
        to_file = [
            fund
            for fund in candidates
            if balances[fund.id].get(current_user.region_code, Balance("")).received_fen > 0
        ]
    return render_template(
        "evaluations/index.html",
        evaluations=listing["items"],
        **{k: listing[k] for k in ("filters", "sort", "page", "per_page", "total")},
        to_file=to_file,
        overdue=operations.overdue_page(
            db.session,
            current_user.region_code,
            local_today(),
            operations.configured_deadline(),
            max(request.args.get("overdue_page", 1, type=int), 1),
            OVERDUE_PER_PAGE,
        ),
        statuses=EVALUATION_TRANSITIONS.labels,
        status=listing["filters"].get("status"),
        action_form=ActionForm(),
    )


@bp.route("/open/<int:fund_id>", methods=["POST"])
@login_required
def open_evaluation(fund_id: int):

    if not ActionForm().validate_on_submit():
        abort(400)
    fund = get_visible_fund(fund_id)
    evaluation, refusal = attempt(
        lambda: operations.create_evaluation(db.session, current_user, fund)
    )
    if refusal is not None:
        return redirect(url_for("evaluation_pages.index"))
    return redirect(url_for("evaluation_pages.detail", evaluation_id=evaluation.id))


def _fill_form(form: EvaluationForm, evaluation: Evaluation) -> None:
    form.summary.data = evaluation.summary
    for line in evaluation.indicators:
        form.indicators.append_entry(
            {
                "id": line.id,
                "tier": line.tier,
                "dimension": line.dimension,
                "name": line.name,
                "unit": line.unit,
                "weight": f"{line.weight:.2f}",
                "target": line.target,
                "actual": line.actual,
                "self_score": "" if line.self_score is None else f"{line.self_score:.2f}",
                "note": line.note,
            }
        )
    for use in evaluation.declared_uses:
        form.declared_uses.append_entry(
            {"category": use.category_code, "amount": use.amount_fen,
             "description": use.description}
        )  # fmt: skip


def _category_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        sa.select(ExpenditureCategory).order_by(
            ExpenditureCategory.earmarkable.desc(), ExpenditureCategory.economic_code
        )
    )
    return [("", "—")] + [(c.code, c.name) for c in rows]


def _form_payload(form: EvaluationForm) -> dict:
    indicators = [
        {
            "id": int(entry.form.id.data) if (entry.form.id.data or "").isdigit() else None,
            "tier": entry.form.tier.data,
            "dimension": entry.form.dimension.data,
            "name": entry.form.name.data,
            "unit": entry.form.unit.data,
            "weight": (entry.form.weight.data or "").strip(),
            "target": entry.form.target.data,
            "actual": entry.form.actual.data,
            "self_score": (entry.form.self_score.data or "").strip() or None,
            "note": entry.form.note.data,
        }
        for entry in form.indicators.entries
    ]
    uses = [
        {
            "category": entry.form.category.data,
            "amount": yuan_str(entry.form.amount.data) if entry.form.amount.data else "",
            "description": entry.form.description.data,
        }
        for entry in form.declared_uses.entries
        if entry.form.category.data
        or (entry.form.amount.raw_data and entry.form.amount.raw_data[0])
    ]
    return {"summary": form.summary.data or "", "indicators": indicators, "declared_uses": uses}


@bp.route("/<int:evaluation_id>", methods=["GET", "POST"])
@login_required
def detail(evaluation_id: int):
    evaluation = _get(evaluation_id)
    editable = can_edit_evaluation(db.session, current_user, evaluation) and evaluation.status in (
        "draft",
        "returned",
    )
    form = EvaluationForm() if request.method == "POST" else EvaluationForm(formdata=None)
    if request.method == "GET":
        _fill_form(form, evaluation)
    while len(form.declared_uses.entries) < len(evaluation.declared_uses) + EMPTY_USE_ROWS:
        form.declared_uses.append_entry()
    for entry in form.declared_uses.entries:
        entry.form.category.choices = _category_choices()
    status, line_errors, offending = 200, {}, []
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():

            def save():
                operations.update_evaluation(
                    db.session, current_user, evaluation, **_form_payload(form)
                )
                if request.form.get("action") == "submit":
                    operations.submit_evaluation(db.session, current_user, evaluation)

            _outcome, refusal = attempt(save, form)
            if refusal is not None:
                # the lines' errors go next to the lines of the table, not to form fields
                status = refusal.status
                line_errors = dict(refusal.details.get("fields") or {})
                offending = refusal.details.get("lines") or []
            else:
                done = _("已提交，等待审核") if evaluation.status == "submitted" else _("已保存")
                flash(done, "success")
                return redirect(url_for("evaluation_pages.detail", evaluation_id=evaluation.id))
        else:
            status = 422
            # the lines' own field errors (a weight over 10, a note too long) said in words
            form.form_errors.append(
                _("填写有误：%(errors)s", errors=_("；").join(_flat_errors(form.errors)))
            )
    return render_template(
        "evaluations/detail.html",
        evaluation=evaluation,
        form=form,
        editable=editable,
        reviewable=can_review_evaluation(db.session, current_user, evaluation)
        and evaluation.status == "submitted",
        line_errors=line_errors,
        offending=offending,
        submission=_submission(evaluation),
        fund_use=operations.fund_use(db.session, evaluation),
        tiers=TIERS,
        dimensions=DIMENSIONS,
        approve_form=ApproveEvaluationForm(prefix="approve"),
        return_form=ReturnEvaluationForm(prefix="return"),
    ), status


@bp.route("/<int:evaluation_id>/<any(approve, return):action>", methods=["POST"])
@login_required
def review(evaluation_id: int, action: str):
    evaluation = _get(evaluation_id)
    back = url_for("evaluation_pages.detail", evaluation_id=evaluation.id)
    form = (
        ApproveEvaluationForm(prefix="approve")
        if action == "approve"
        else ReturnEvaluationForm(prefix="return")
    )
    if not form.validate_on_submit():
        return form_refused(form, back)
    if action == "approve":
        decide = partial(
            operations.approve_evaluation,
            db.session,
            current_user,
            evaluation,
            form.final_score.data.strip(),
            form.reason.data,
        )
    else:
        decide = partial(
            operations.return_evaluation, db.session, current_user, evaluation, form.comment.data
        )
    return run_action(decide, _("已审定") if action == "approve" else _("已退回"), back)


@bp.route("/<int:evaluation_id>/report.pdf")
@login_required
def report(evaluation_id: int):

    return send_evaluation_report(_get(evaluation_id))


@bp.route("/rankings")
@login_required
def rankings():
    """Scores by prefecture and county for one fund, with the spread and a bar chart."""
    funds = db.session.scalars(
        sa.select(Fund)
        .where(visible_funds_filter(db.session, current_user))
        .order_by(Fund.fiscal_year.desc(), Fund.code)
    ).all()
    fund_id = request.args.get("fund_id", type=int) or next(
        (f.id for f in funds if f.fiscal_year == 2017 and f.kind_code == "sanjiehe"),
        funds[0].id if funds else None,
    )
    if fund_id is None:
        raise NotFound(_("没有可排名的专项资金"))
    fund = get_visible_fund(fund_id)
    payload = ranking_payload(fund)
    return render_template(
        "evaluations/rankings.html",
        fund=fund,
        funds=funds,
        levels=[(_("市州"), payload["prefectures"]), (_("县市区"), payload["counties"])],
        bar_width=lambda score: float(score / Decimal(100)) * 360,
        bar_fill=_bar_fill,
        grade_labels=GRADE_LABELS,
    )


def _bar_fill(grade: str) -> str:
    """The colour of a score's bar: red for the lowest grade, blue for the two best."""
    if grade == POOR_GRADE:
        return "#a4161a"
    best = {label for _floor, label in GRADES[:2]}
    return "#0b5cad" if grade in best else "#b07800"


def _submission(evaluation: Evaluation) -> dict | None:
    """Who submitted the evaluation last and when (Beijing time), read from its versions."""
    if evaluation.submitted_at is None:
        return None
    version = version_class(Evaluation)
    transaction = versioning_manager.transaction_cls
    user_id = db.session.scalar(
        sa.select(transaction.user_id)
        .join(version, version.transaction_id == transaction.id)
        .where(version.id == evaluation.id, version.status == "submitted")
        .order_by(version.transaction_id.desc())
        .limit(1)
    )
    return {
        "user": db.session.get(User, user_id) if user_id is not None else None,
        "at": evaluation.submitted_at.replace(tzinfo=UTC).astimezone(LOCAL_ZONE),
    }


def _flat_errors(errors, where: str = "") -> list[str]:
    """WTForms' nested errors (lines of a FieldList) as 「第 3 行：…」 messages."""
    flat = []
    if isinstance(errors, dict):
        for value in errors.values():
            flat += _flat_errors(value, where)
    elif isinstance(errors, list):
        for index, value in enumerate(errors, start=1):
            if isinstance(value, dict | list):
                flat += _flat_errors(value, _("第 %(n)s 行：", n=index))
            elif value:
                flat.append(f"{where}{value}")
    return flat
