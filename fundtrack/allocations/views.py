"""Pages: allocations with an approval queue, the allocation form, recall and redistribution."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from fundtrack.allocations import operations
from fundtrack.allocations.forms import AllocationForm, ApproveAllocationForm, RecallForm
from fundtrack.allocations.models import ALLOCATION_TRANSITIONS, Allocation, AllocationRecall
from fundtrack.allocations.notices import send_notice
from fundtrack.allocations.permissions import (
    can_create_allocation,
    can_view_allocation,
    can_view_recall,
)
from fundtrack.allocations.queries import SEARCH_COLUMNS
from fundtrack.audit.reports import decision_trail
from fundtrack.core.access import get_visible
from fundtrack.core.forms import ReasonForm
from fundtrack.core.i18n import _
from fundtrack.core.web_helpers import (
    attempt,
    form_errors,
    form_refused,
    record_listing,
    run_action,
)
from fundtrack.evaluations.operations import evaluation_gate
from fundtrack.extensions import db
from fundtrack.funds.models import Fund
from fundtrack.funds.permissions import get_visible_fund, visible_funds_filter
from fundtrack.regions.models import LEVEL_DEPTH, Region
from fundtrack.regions.operations import subtree_codes

bp = Blueprint("allocation_pages", __name__, url_prefix="/allocations")

PER_PAGE = 30


def _receiver_choices(giver: str) -> list[tuple[str, str]]:
    codes = subtree_codes(db.session, giver) - {giver}
    regions = db.session.scalars(
        sa.select(Region).where(Region.code.in_(codes)).order_by(Region.code)
    )
    return [
        (r.code, f"{r.code} {r.name}")
        for r in regions
        if LEVEL_DEPTH[r.level] <= LEVEL_DEPTH["county"]
    ]


@bp.route("/")
@login_required
def index():
    """All allocations of the user's subtree, filterable; ``status=draft`` is the queue."""
    codes = subtree_codes(db.session, current_user.region_code)
    stmt = (
        sa.select(Allocation)
        .where(sa.or_(Allocation.from_region_code.in_(codes), Allocation.to_region_code.in_(codes)))
        .options(
            sa.orm.selectinload(Allocation.fund),
            sa.orm.selectinload(Allocation.from_region),
            sa.orm.selectinload(Allocation.to_region),
        )
        .order_by(Allocation.id.desc())
    )
    recall_queue = request.args.get("recall") == "draft"
    if recall_queue:
        # the checkers' queue of recalls (linked from the home page)
        drafts = sa.select(AllocationRecall.allocation_id).where(AllocationRecall.status == "draft")
        stmt = stmt.where(Allocation.id.in_(drafts))
    listing = record_listing(
        stmt,
        Allocation,
        ALLOCATION_TRANSITIONS,
        PER_PAGE,
        sortable={
            "id": Allocation.id,
            "document_no": Allocation.document_no,
            "to_region": Allocation.to_region_code,
            "amount": Allocation.amount_fen,
            "status": Allocation.status,
        },
        search=SEARCH_COLUMNS,
    )
    return render_template(
        "allocations/index.html",
        allocations=listing["items"],
        **{k: listing[k] for k in ("sort", "page", "per_page", "total", "statuses")},
        filters={**listing["filters"], **({"recall": "draft"} if recall_queue else {})},
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Prepare an allocation from the user's region to a prefecture or county below it."""
    giver = current_user.region_code
    if not can_create_allocation(db.session, current_user, giver):
        abort(403)
    form = AllocationForm()
    funds = db.session.scalars(
        sa.select(Fund)
        .where(visible_funds_filter(db.session, current_user), Fund.status == "active")
        .order_by(Fund.fiscal_year.desc(), Fund.code)
    ).all()
    form.fund_id.choices = [(f.id, f"{f.fiscal_year} {f.code} {f.name}") for f in funds]
    form.to_region.choices = [("", _("请选择")), *_receiver_choices(giver)]
    if request.method == "GET" and request.args.get("fund_id", type=int):
        form.fund_id.data = request.args.get("fund_id", type=int)
    status = 200
    if form.validate_on_submit():
        allocation, refusal = attempt(
            lambda: operations.create_allocation(
                db.session,
                current_user,
                fund=get_visible_fund(form.fund_id.data),
                from_region_code=giver,
                to_region_code=form.to_region.data,
                amount_fen=form.amount.data,
                document_no=form.document_no.data,
                reason=form.reason.data,
            ),
            form,
            {"to_region": "to_region"},
        )
        if refusal is not None:
            status = refusal.status
        else:
            flash(
                _(
                    "已保存资金下达草稿（%(document_no)s），等待审批",
                    document_no=allocation.document_no,
                ),
                "success",
            )
            return redirect(url_for("allocation_pages.detail", allocation_id=allocation.id))
    elif request.method == "POST":
        status = 422
    return render_template("allocations/new.html", form=form), status


@bp.route("/<int:allocation_id>")
@login_required
def detail(allocation_id: int):
    allocation = get_visible(Allocation, allocation_id, can_view_allocation)
    recall_form = RecallForm(prefix="recall")
    recall_form.redistribute_to.choices = [("", _("不调剂，收回本级"))] + [
        c
        for c in _receiver_choices(allocation.from_region_code)
        if c[0] != allocation.to_region_code
    ]
    drafts = [r for r in allocation.recalls if r.status == "draft"]
    return render_template(
        "allocations/detail.html",
        allocation=allocation,
        # why an approval would be refused for the receiver's evaluation, before it is tried
        gate=evaluation_gate(db.session, allocation.fund, allocation.to_region_code)
        if allocation.status == "draft"
        else [],
        recall_gates={
            r.id: evaluation_gate(db.session, allocation.fund, r.redistribute_to_code)
            for r in drafts
            if r.redistribute_to_code
        },
        opinion_form=ApproveAllocationForm(),
        trail=decision_trail(db.session, "allocations", allocation.id),
        cancel_form=ReasonForm(prefix="cancel"),
        # one reason form per draft recall, with the prefix recall_action reads
        recall_cancel_forms={r.id: ReasonForm(prefix=f"recall{r.id}") for r in drafts},
        recall_opinion_forms={
            r.id: ApproveAllocationForm(prefix=f"approve-recall{r.id}") for r in drafts
        },
        recall_form=recall_form,
        recallable_fen=operations.recallable_fen(db.session, allocation),
    )


def _run(allocation: Allocation, action, success: str):
    """Run one operation, commit once, or show the refusal; back to the allocation."""
    back = url_for("allocation_pages.detail", allocation_id=allocation.id)
    return run_action(action, success, back)


@bp.route("/<int:allocation_id>/approve", methods=["POST"])
@login_required
def approve(allocation_id: int):
    allocation = get_visible(Allocation, allocation_id, can_view_allocation)
    form = ApproveAllocationForm()
    if not form.validate_on_submit():
        return form_refused(form, url_for("allocation_pages.detail", allocation_id=allocation.id))
    return _run(
        allocation,
        lambda: operations.approve_allocation(
            db.session,
            current_user,
            allocation,
            evaluation_override_reason=form.evaluation_override_reason.data,
            reason=form.reason.data,
        ),
        _("已审批，资金已下达"),
    )


@bp.route("/<int:allocation_id>/cancel", methods=["POST"])
@login_required
def cancel(allocation_id: int):
    allocation = get_visible(Allocation, allocation_id, can_view_allocation)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        flash(_("撤销必须填写原因"), "error")
        return redirect(url_for("allocation_pages.detail", allocation_id=allocation.id))
    return _run(
        allocation,
        lambda: operations.cancel_allocation(
            db.session, current_user, allocation, form.reason.data
        ),
        _("已撤销该草稿"),
    )


@bp.route("/<int:allocation_id>/recall", methods=["POST"])
@login_required
def recall(allocation_id: int):
    allocation = get_visible(Allocation, allocation_id, can_view_allocation)
    form = RecallForm(prefix="recall")
    form.redistribute_to.choices = [("", ""), *_receiver_choices(allocation.from_region_code)]
    if not form.validate_on_submit():
        flash(_("收回未保存：%(errors)s", errors=form_errors(form)), "error")
        return redirect(url_for("allocation_pages.detail", allocation_id=allocation.id))
    return _run(
        allocation,
        lambda: operations.create_recall(
            db.session,
            current_user,
            allocation,
            amount_fen=form.amount.data,
            reason=form.reason.data,
            document_no=form.document_no.data or "",
            redistribute_to_code=form.redistribute_to.data or None,
        ),
        _("已保存收回草稿，等待审批"),
    )


@bp.route("/recalls/<int:recall_id>/<any(approve, cancel):action>", methods=["POST"])
@login_required
def recall_action(recall_id: int, action: str):
    recall = get_visible(AllocationRecall, recall_id, can_view_recall)
    allocation = recall.allocation
    if action == "approve":
        opinion = ApproveAllocationForm(prefix=f"approve-recall{recall.id}")
        if not opinion.validate_on_submit():
            return form_refused(
                opinion, url_for("allocation_pages.detail", allocation_id=allocation.id)
            )
        return _run(
            allocation,
            lambda: operations.approve_recall(
                db.session,
                current_user,
                recall,
                reason=opinion.reason.data,
                evaluation_override_reason=opinion.evaluation_override_reason.data,
            ),
            _("已审批收回"),
        )
    form = ReasonForm(prefix=f"recall{recall.id}")
    if not form.validate_on_submit():
        flash(_("撤销必须填写原因"), "error")
        return redirect(url_for("allocation_pages.detail", allocation_id=allocation.id))
    return _run(
        allocation,
        lambda: operations.cancel_recall(db.session, current_user, recall, form.reason.data),
        _("已撤销收回草稿"),
    )


@bp.route("/<int:allocation_id>/notice.pdf")
@login_required
def notice(allocation_id: int):

    return send_notice(db.session, get_visible(Allocation, allocation_id, can_view_allocation))
