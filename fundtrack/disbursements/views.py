"""Pages: payments with an approval queue, the payment form, reversal."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from fundtrack.audit.reports import decision_trail
from fundtrack.beneficiaries.models import Beneficiary
from fundtrack.beneficiaries.permissions import can_reveal_id_number
from fundtrack.core.access import get_visible
from fundtrack.core.forms import ActionForm, OpinionForm, ReasonForm
from fundtrack.core.i18n import _
from fundtrack.core.net import client_address
from fundtrack.core.web_helpers import attempt, form_refused, record_listing
from fundtrack.disbursements import operations
from fundtrack.disbursements.forms import DisbursementForm, ReverseForm
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS, Disbursement
from fundtrack.disbursements.permissions import (
    can_create_disbursement,
    can_view_disbursement,
)
from fundtrack.disbursements.queries import SEARCH_COLUMNS
from fundtrack.extensions import db
from fundtrack.funds.models import Fund, FundEarmark
from fundtrack.funds.permissions import get_visible_fund, visible_funds_filter
from fundtrack.ledger.balances import Balance, funds_balances, region_balance
from fundtrack.regions.operations import subtree_codes

bp = Blueprint("disbursement_pages", __name__, url_prefix="/disbursements")

PER_PAGE = 30


@bp.route("/")
@login_required
def index():
    """Payments of the user's subtree, filterable; ``status=pending`` is the queue."""
    codes = subtree_codes(db.session, current_user.region_code)
    stmt = (
        sa.select(Disbursement)
        .where(Disbursement.region_code.in_(codes))
        .options(
            sa.orm.selectinload(Disbursement.fund),
            sa.orm.selectinload(Disbursement.region),
            sa.orm.selectinload(Disbursement.category),
        )
        .order_by(Disbursement.id.desc())
    )
    listing = record_listing(
        stmt,
        Disbursement,
        DISBURSEMENT_TRANSITIONS,
        PER_PAGE,
        sortable={
            "id": Disbursement.id,
            "region": Disbursement.region_code,
            "payee": Disbursement.payee_name,
            "paid_on": Disbursement.paid_on,
            "voucher_no": Disbursement.voucher_no,
            "amount": Disbursement.amount_fen,
            "status": Disbursement.status,
        },
        search=SEARCH_COLUMNS,
    )
    return render_template(
        "disbursements/index.html",
        disbursements=listing["items"],
        **{k: listing[k] for k in ("filters", "sort", "page", "per_page", "total", "statuses")},
    )


def _choose_fund(region: str):
    """Without a fund: the active funds the region holds money of, with what it has available."""
    funds = db.session.scalars(
        sa.select(Fund)
        .where(visible_funds_filter(db.session, current_user), Fund.status == "active")
        .order_by(Fund.fiscal_year.desc(), Fund.code)
    ).all()
    balances = funds_balances(db.session, funds, region_code=region)
    rows = [(fund, balances[fund.id].get(region, Balance(region))) for fund in funds]
    rows = [(fund, balance) for fund, balance in rows if balance.received_fen > 0]
    return render_template("disbursements/choose_fund.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Record a payment of one fund from the user's region; only the fund's earmarked
    categories are offered and the available balance is shown."""
    region = current_user.region_code
    if not can_create_disbursement(db.session, current_user, region):
        abort(403)
    fund_id = request.args.get("fund_id", type=int)
    if not fund_id:
        return _choose_fund(region)
    fund = get_visible_fund(fund_id)
    form = DisbursementForm()
    # the earmark with its categories, and the people with their regions: one query each
    earmarks = db.session.scalars(
        sa.select(FundEarmark)
        .where(FundEarmark.fund_id == fund.id)
        .options(sa.orm.joinedload(FundEarmark.category))
        .order_by(FundEarmark.category_code)
    ).all()
    form.category.choices = [("", _("请选择"))] + [
        (e.category_code, e.category.name) for e in earmarks
    ]
    people = db.session.scalars(
        sa.select(Beneficiary)
        .where(
            Beneficiary.region_code.in_(subtree_codes(db.session, region)),
            Beneficiary.status == "registered",
        )
        .options(sa.orm.selectinload(Beneficiary.region))
        .order_by(Beneficiary.name)
    ).all()
    form.beneficiary_id.choices = [(0, _("不按人发放"))] + [
        (p.id, _("%(name)s（%(region)s）", name=p.name, region=p.region.name)) for p in people
    ]
    status = 200
    if form.validate_on_submit():
        disbursement, refusal = attempt(
            lambda: operations.create_disbursement(
                db.session,
                current_user,
                fund=fund,
                region_code=region,
                category_code=form.category.data,
                amount_fen=form.amount.data,
                paid_on=form.paid_on.data,
                payee_name=form.payee_name.data or None,
                voucher_no=form.voucher_no.data,
                payee_id_number=form.payee_id_number.data or None,
                payee_account=form.payee_account.data or None,
                beneficiary_id=form.beneficiary_id.data or None,
                project_name=form.project_name.data or "",
                purpose=form.purpose.data or "",
                days=form.days.data,
            ),
            form,
            {"category": "category"},
        )
        if refusal is not None:
            status = refusal.status
        else:
            flash(
                _(
                    "已记录支出（凭证号 %(voucher_no)s），等待审批",
                    voucher_no=disbursement.voucher_no,
                ),
                "success",
            )
            return redirect(url_for("disbursement_pages.detail", disbursement_id=disbursement.id))
    elif request.method == "POST":
        status = 422
    balance = region_balance(db.session, fund, region)
    return render_template("disbursements/new.html", form=form, fund=fund, balance=balance), status


@bp.route("/<int:disbursement_id>")
@login_required
def detail(disbursement_id: int):
    """The payment. Right after a reveal (``reveal_id``) it shows the payee's full ID number,
    once: a reload shows it masked again."""
    disbursement = get_visible(Disbursement, disbursement_id, can_view_disbursement)
    can_reveal = can_reveal_id_number(db.session, current_user, disbursement.region_code)
    revealed = None
    if _take_reveal(disbursement.id) and can_reveal:
        revealed = disbursement.payee_id_number
    response = make_response(
        render_template(
            "disbursements/detail.html",
            d=disbursement,
            action_form=ActionForm(),
            opinion_form=OpinionForm(),
            reject_form=ReasonForm(prefix="reject"),
            reverse_form=ReverseForm(prefix="reverse"),
            trail=decision_trail(db.session, "disbursements", disbursement.id),
            revealed=revealed,
            can_reveal=can_reveal,
        )
    )
    if revealed:
        response.headers["Cache-Control"] = "no-store"
    return response


#: session key: ids of the payments whose full ID number the next view of their page shows
#: (only the ids: the session is a signed cookie, readable by its holder, never the numbers)
REVEAL_KEY = "revealed_disbursements"
#: at most this many pending reveals are kept (revealed but not viewed yet)
MAX_PENDING_REVEALS = 20


def _take_reveal(disbursement_id: int) -> bool:
    """Whether a reveal of this payment waits to be shown; it is consumed."""
    pending = session.get(REVEAL_KEY) or []
    if disbursement_id not in pending:
        return False
    remaining = [i for i in pending if i != disbursement_id]
    if remaining:
        session[REVEAL_KEY] = remaining
    else:
        session.pop(REVEAL_KEY, None)
    return True


@bp.route("/<int:disbursement_id>/reveal-id", methods=["POST"])
@login_required
def reveal_id(disbursement_id: int):
    """Reveal the full ID number: logged here, once, then shown by the next view of the
    payment's page (Post/Redirect/Get: reloading that page neither posts nor logs again, and
    shows the number masked)."""
    disbursement = get_visible(Disbursement, disbursement_id, can_view_disbursement)
    if not ActionForm().validate_on_submit():
        abort(400)
    number = operations.reveal_id_number(db.session, current_user, disbursement, client_address())
    if number:
        pending = [i for i in session.get(REVEAL_KEY) or [] if i != disbursement.id]
        session[REVEAL_KEY] = [*pending, disbursement.id][-MAX_PENDING_REVEALS:]
    return redirect(url_for("disbursement_pages.detail", disbursement_id=disbursement.id), 303)


@bp.route("/<int:disbursement_id>/<any(approve, reject, reverse):action>", methods=["POST"])
@login_required
def act(disbursement_id: int, action: str):
    disbursement = get_visible(Disbursement, disbursement_id, can_view_disbursement)
    back = url_for("disbursement_pages.detail", disbursement_id=disbursement.id)
    form = {"approve": OpinionForm, "reject": ReasonForm, "reverse": ReverseForm}[action](
        prefix="" if action == "approve" else action
    )
    if not form.validate_on_submit():
        return form_refused(form, back)
    if action == "approve":
        run = partial(
            operations.approve_disbursement,
            db.session,
            current_user,
            disbursement,
            form.reason.data,
        )
        done = _("已审批，冲销已生效") if disbursement.is_reversal else _("已审批")
    elif action == "reject":
        run = partial(
            operations.reject_disbursement, db.session, current_user, disbursement, form.reason.data
        )
        done = _("已退回冲销申请，原支出不变") if disbursement.is_reversal else _("已退回")
    else:
        run = partial(
            operations.propose_reversal,
            db.session,
            current_user,
            disbursement,
            form.reason.data,
            form.reversed_on.data,
        )
        done = _("已提交冲销申请，须由另一位审批人员审批后生效")
    compensation, refusal = attempt(run)
    if refusal is not None:
        return redirect(back)
    flash(done, "success")
    if action == "reverse":
        return redirect(url_for("disbursement_pages.detail", disbursement_id=compensation.id))
    return redirect(back)
