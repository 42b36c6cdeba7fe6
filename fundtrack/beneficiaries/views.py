"""Pages: the register with its review queue, a beneficiary, 公示 and their objections."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import partial

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from fundtrack.audit.reports import decision_trail
from fundtrack.beneficiaries import operations
from fundtrack.beneficiaries.forms import (
    BeneficiaryForm,
    DecideObjectionForm,
    ExitForm,
    ObjectionForm,
    PublicityForm,
)
from fundtrack.beneficiaries.models import (
    BENEFICIARY_TRANSITIONS,
    EXIT_REASONS,
    FAMILY_TYPES,
    PUBLICITY_TRANSITIONS,
    Beneficiary,
    DuplicateRegistration,
    Objection,
    Publicity,
)
from fundtrack.beneficiaries.permissions import (
    can_issue_publicity,
    can_register_beneficiary,
    can_view_beneficiary,
    can_view_publicity,
)
from fundtrack.beneficiaries.publicity import send_publicity_notice
from fundtrack.beneficiaries.queries import visible_duplicates
from fundtrack.core.access import get_visible
from fundtrack.core.errors import ValidationFailed
from fundtrack.core.forms import OpinionForm, ReasonForm
from fundtrack.core.i18n import _, _l
from fundtrack.core.money import parse_yuan
from fundtrack.core.timeparse import local_today
from fundtrack.core.web_helpers import attempt, form_refused, record_listing, run_action
from fundtrack.extensions import db
from fundtrack.funds.models import ExpenditureCategory
from fundtrack.regions.models import Region
from fundtrack.regions.operations import subtree_codes

bp = Blueprint("beneficiary_pages", __name__, url_prefix="/beneficiaries")

PER_PAGE = 30


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """The registers of the user's subtree (ID numbers masked), filterable by status
    (``status=pending`` is the review queue), registration, and refused duplicates."""
    codes = subtree_codes(db.session, current_user.region_code)
    form = BeneficiaryForm()
    form.family_type.choices = list(FAMILY_TYPES.items())
    regions = db.session.scalars(
        sa.select(Region).where(Region.code.in_(codes)).order_by(Region.code)
    ).all()
    form.region.choices = [(r.code, f"{r.code} {r.name}") for r in regions]
    if request.method == "GET":
        form.region.data = current_user.region_code
    may_register = can_register_beneficiary(db.session, current_user, current_user.region_code)
    status = 200
    if request.method == "POST":
        if not may_register:
            abort(403)
        if form.validate_on_submit():
            person, refusal = attempt(
                lambda: operations.register_beneficiary(
                    db.session,
                    current_user,
                    region_code=form.region.data,
                    name=form.name.data,
                    id_number=form.id_number.data,
                    family_type=form.family_type.data,
                    household=form.household.data or "",
                    phone=form.phone.data or "",
                    bank_account=form.bank_account.data or None,
                    evidence=form.evidence.data or "",
                    evidence_document_no=form.evidence_document_no.data or "",
                ),
                form,
            )
            if refusal is not None:
                status = refusal.status
            else:
                flash(
                    _("已登记受益人 %(name)s，等待审核", name=person.name),
                    "success",
                )
                return redirect(url_for("beneficiary_pages.index"))
        else:
            status = 422
    listing = record_listing(
        sa.select(Beneficiary)
        .where(Beneficiary.region_code.in_(codes))
        .options(sa.orm.selectinload(Beneficiary.region))
        .order_by(Beneficiary.region_code, Beneficiary.name),
        Beneficiary,
        BENEFICIARY_TRANSITIONS,
        PER_PAGE,
        sortable={
            "name": Beneficiary.name,
            "family_type": Beneficiary.family_type,
            "region": Beneficiary.region_code,
        },
        # by name only: ID numbers are personal data and shown masked
        search=(Beneficiary.name,),
    )
    duplicates = db.session.scalars(
        visible_duplicates(db.session, current_user)
        .options(
            sa.orm.selectinload(DuplicateRegistration.region),
            sa.orm.selectinload(DuplicateRegistration.other_region),
        )
        .order_by(DuplicateRegistration.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "beneficiaries/index.html",
        form=form,
        people=listing["items"],
        **{k: listing[k] for k in ("filters", "sort", "page", "per_page", "total", "statuses")},
        family_types=FAMILY_TYPES,
        may_register=may_register,
        duplicates=duplicates,
    ), status


@bp.route("/<int:beneficiary_id>")
@login_required
def detail(beneficiary_id: int):
    person = get_visible(Beneficiary, beneficiary_id, can_view_beneficiary)
    exit_form = ExitForm(prefix="exit")
    exit_form.exit_reason.choices = list(EXIT_REASONS.items())
    exit_form.exit_on.data = exit_form.exit_on.data or local_today()
    return render_template(
        "beneficiaries/detail.html",
        b=person,
        opinion_form=OpinionForm(),
        reject_form=ReasonForm(prefix="reject"),
        exit_form=exit_form,
        trail=decision_trail(db.session, "beneficiaries", person.id),
    )


BENEFICIARY_ACTIONS = {
    # action: (form class, prefix, operation, success message)
    "approve": (OpinionForm, "", operations.approve_registration, _l("已审核通过，列入档案库")),
    "reject": (ReasonForm, "reject", operations.reject_registration, _l("已退回登记")),
    "exit-approve": (OpinionForm, "", operations.approve_exit, _l("已同意退出")),
    "exit-reject": (ReasonForm, "reject", operations.reject_exit, _l("已退回退出申请")),
}


@bp.route(
    "/<int:beneficiary_id>/<any(approve, reject, exit, 'exit-approve', 'exit-reject'):action>",
    methods=["POST"],
)
@login_required
def act(beneficiary_id: int, action: str):
    person = get_visible(Beneficiary, beneficiary_id, can_view_beneficiary)
    back = url_for("beneficiary_pages.detail", beneficiary_id=person.id)
    if action == "exit":
        form = ExitForm(prefix="exit")
        form.exit_reason.choices = list(EXIT_REASONS.items())
        if not form.validate_on_submit():
            return form_refused(form, back)
        run = partial(
            operations.propose_exit,
            db.session,
            current_user,
            person,
            exit_reason=form.exit_reason.data,
            exit_on=form.exit_on.data,
            note=form.reason.data,
        )
        return run_action(run, _("已提交退出申请，等待审核"), back)
    form_class, prefix, operation, done = BENEFICIARY_ACTIONS[action]
    form = form_class(prefix=prefix)
    if not form.validate_on_submit():
        return form_refused(form, back)
    run = partial(operation, db.session, current_user, person, form.reason.data)
    return run_action(run, str(done), back)


# --- 公示 ------------------------------------------------------------------------------


def _publicity_categories():
    return db.session.scalars(
        sa.select(ExpenditureCategory)
        .where(ExpenditureCategory.requires_publicity.is_(True))
        .order_by(ExpenditureCategory.code)
    ).all()


def _amounts_from_form(people) -> tuple[list[tuple[int, int]], list[str]]:
    """The entries a county ticked on the page: ``amount-<id>`` fields that are filled."""
    entries, errors = [], []
    for person in people:
        text = (request.form.get(f"amount-{person.id}") or "").strip()
        if not text:
            continue
        try:
            entries.append((person.id, parse_yuan(Decimal(text))))
        except (InvalidOperation, ValueError):
            errors.append(_("%(name)s：金额须为正数，最多两位小数", name=person.name))
    return entries, errors


@bp.route("/publicities", methods=["GET", "POST"])
@login_required
def publicities():
    """The 公示 of the user's subtree, and a new 公示 of the county's registered families."""
    codes = subtree_codes(db.session, current_user.region_code)
    may_issue = can_issue_publicity(db.session, current_user, current_user.region_code)
    form = PublicityForm()
    form.category.choices = [(c.code, c.name) for c in _publicity_categories()]
    if request.method == "GET":
        form.start_on.data = local_today()
    people = []
    if may_issue:
        people = db.session.scalars(
            sa.select(Beneficiary)
            .where(
                Beneficiary.region_code == current_user.region_code,
                Beneficiary.status == "registered",
            )
            .order_by(Beneficiary.name)
        ).all()
    status = 200
    if request.method == "POST":
        if not may_issue:
            abort(403)
        if form.validate_on_submit():
            entries, amount_errors = _amounts_from_form(people)

            def issue():
                if amount_errors:
                    raise ValidationFailed(fields={"entries": amount_errors})
                return operations.issue_publicity(
                    db.session,
                    current_user,
                    region_code=current_user.region_code,
                    category_code=form.category.data,
                    entries=entries,
                    objection_place=form.objection_place.data,
                    objection_phone=form.objection_phone.data,
                    issuer=form.issuer.data or "",
                    title=form.title.data or "",
                    start_on=form.start_on.data,
                    end_on=form.end_on.data,
                )

            publicity, refusal = attempt(issue, form)
            if refusal is not None:
                status = refusal.status
            else:
                flash(_("已发布公示 %(no)s", no=publicity.notice_no), "success")
                return redirect(url_for("beneficiary_pages.publicity", publicity_id=publicity.id))
        else:
            status = 422
    listing = record_listing(
        sa.select(Publicity)
        .where(Publicity.region_code.in_(codes))
        .options(sa.orm.selectinload(Publicity.region), sa.orm.selectinload(Publicity.category))
        .order_by(Publicity.id.desc()),
        Publicity,
        PUBLICITY_TRANSITIONS,
        PER_PAGE,
        search=(Publicity.title,),
    )
    return render_template(
        "beneficiaries/publicities.html",
        form=form,
        items=listing["items"],
        **{k: listing[k] for k in ("filters", "sort", "page", "per_page", "total", "statuses")},
        may_issue=may_issue,
        people=people,
    ), status


@bp.route("/publicities/<int:publicity_id>")
@login_required
def publicity(publicity_id: int):
    item = get_visible(Publicity, publicity_id, can_view_publicity)
    objection_form = ObjectionForm(prefix="objection")
    objection_form.beneficiary_id.choices = [(0, _("针对整个名单"))] + [
        (e.beneficiary_id, f"{e.position}. {e.beneficiary.name}") for e in item.entries
    ]
    objection_form.received_on.data = local_today()
    return render_template(
        "beneficiaries/publicity.html",
        p=item,
        opinion_form=OpinionForm(),
        reject_form=ReasonForm(prefix="withdraw"),
        objection_form=objection_form,
        decide_form=DecideObjectionForm(prefix="decide"),
        trail=decision_trail(db.session, "publicities", item.id),
        today=local_today(),
    )


@bp.route("/publicities/<int:publicity_id>/notice.pdf")
@login_required
def publicity_notice(publicity_id: int):
    return send_publicity_notice(
        db.session, get_visible(Publicity, publicity_id, can_view_publicity)
    )


@bp.route(
    "/publicities/<int:publicity_id>/<any(end, withdraw, objection):action>", methods=["POST"]
)
@login_required
def publicity_act(publicity_id: int, action: str):
    item = get_visible(Publicity, publicity_id, can_view_publicity)
    back = url_for("beneficiary_pages.publicity", publicity_id=item.id)
    if action == "end":
        form = OpinionForm()
        if not form.validate_on_submit():
            return form_refused(form, back)
        run = partial(operations.end_publicity, db.session, current_user, item, form.reason.data)
        return run_action(run, _("公示已结束，名单内无异议的对象可以发放"), back)
    if action == "withdraw":
        form = ReasonForm(prefix="withdraw")
        if not form.validate_on_submit():
            return form_refused(form, back)
        run = partial(
            operations.withdraw_publicity, db.session, current_user, item, form.reason.data
        )
        return run_action(run, _("公示已撤回"), back)
    form = ObjectionForm(prefix="objection")
    if not form.validate_on_submit():
        return form_refused(form, back)
    run = partial(
        operations.record_objection,
        db.session,
        current_user,
        item,
        beneficiary_id=form.beneficiary_id.data or None,
        reporter=form.reporter.data,
        reporter_contact=form.reporter_contact.data or "",
        content=form.content.data,
        received_on=form.received_on.data,
    )
    return run_action(run, _("已登记异议，等待审批人员处理"), back)


@bp.route("/objections/<int:objection_id>/decide", methods=["POST"])
@login_required
def decide_objection(objection_id: int):
    objection = get_visible(
        Objection, objection_id, lambda s, u, o: can_view_publicity(s, u, o.publicity)
    )
    back = url_for("beneficiary_pages.publicity", publicity_id=objection.publicity_id)
    form = DecideObjectionForm(prefix="decide")
    if not form.validate_on_submit():
        return form_refused(form, back)
    run = partial(
        operations.decide_objection,
        db.session,
        current_user,
        objection,
        upheld=bool(form.upheld.data),
        decision=form.decision.data,
    )
    return run_action(run, _("已处理异议"), back)
