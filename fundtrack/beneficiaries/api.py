"""``/api/v1/beneficiaries`` (the register), ``/api/v1/publicities`` (公示) and
``/api/v1/objections``."""

from __future__ import annotations

from functools import partial

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.beneficiaries import operations
from fundtrack.beneficiaries.models import Beneficiary, DuplicateRegistration, Objection, Publicity
from fundtrack.beneficiaries.permissions import can_view_beneficiary, can_view_publicity
from fundtrack.beneficiaries.publicity import send_publicity_notice
from fundtrack.beneficiaries.queries import (
    visible_beneficiaries,
    visible_duplicates,
    visible_publicities,
)
from fundtrack.beneficiaries.schemas import (
    BeneficiaryCreateSchema,
    BeneficiaryListSchema,
    BeneficiaryQuerySchema,
    BeneficiarySchema,
    DuplicateListSchema,
    ExitSchema,
    ObjectionCreateSchema,
    ObjectionDecisionSchema,
    ObjectionSchema,
    PublicityCreateSchema,
    PublicityListSchema,
    PublicityQuerySchema,
    PublicitySchema,
)
from fundtrack.core.access import get_visible
from fundtrack.core.api import FORBIDDEN, PDF_RESPONSE, PageQuerySchema, paginated
from fundtrack.core.auth import token_required
from fundtrack.core.net import client_address
from fundtrack.core.schemas import DecisionSchema, ReasonSchema
from fundtrack.disbursements.schemas import RevealedIdSchema
from fundtrack.extensions import db

blp = Blueprint(
    "beneficiaries", __name__, url_prefix="/api/v1", description="受益人档案、审核与公示"
)

ERRORS = {"description": "业务规则或状态不允许", "schema": "Error"}


def get_visible_beneficiary(beneficiary_id: int) -> Beneficiary:
    return get_visible(Beneficiary, beneficiary_id, can_view_beneficiary)


def get_visible_publicity(publicity_id: int) -> Publicity:
    return get_visible(Publicity, publicity_id, can_view_publicity)


def get_visible_objection(objection_id: int) -> Objection:
    return get_visible(
        Objection, objection_id, lambda s, u, o: can_view_publicity(s, u, o.publicity)
    )


@blp.route("/beneficiaries")
class Beneficiaries(MethodView):
    @blp.arguments(BeneficiaryQuerySchema, location="query")
    @blp.response(200, BeneficiaryListSchema)
    @token_required
    def get(self, query):
        """The registers of the caller's subtree (a prefecture sees its counties')."""
        stmt = visible_beneficiaries(db.session, g.user, query).order_by(Beneficiary.id)
        return paginated(db.session, stmt, query)

    @blp.arguments(BeneficiaryCreateSchema)
    @blp.response(201, BeneficiarySchema)
    @blp.alt_response(422, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, description="已在册登记（duplicate_beneficiary）", schema="Error")
    @token_required
    def post(self, data):
        """Register a family (``pending`` until a checker approves it). An ID number on
        another county's register is refused with ``duplicate_beneficiary`` naming it."""
        return operations.register_beneficiary(
            db.session, g.user, region_code=data.pop("region", None) or g.user.region_code, **data
        )


@blp.route("/beneficiaries/duplicates")
class BeneficiaryDuplicates(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DuplicateListSchema)
    @token_required
    def get(self, query):
        """Refused registrations of an ID number already on another county's register,
        seen by both counties and the regions above them."""
        stmt = visible_duplicates(db.session, g.user).order_by(DuplicateRegistration.id.desc())
        return paginated(db.session, stmt, query)


@blp.route("/beneficiaries/<int:beneficiary_id>")
class BeneficiaryDetail(MethodView):
    @blp.response(200, BeneficiarySchema)
    @token_required
    def get(self, beneficiary_id):
        return get_visible_beneficiary(beneficiary_id)


def _record_action(kind: str, records: str, get_record, response, path, schema, doc, run):
    """One POST endpoint of a review step, ``{records}/{path}``: ``run(record, data)`` on the
    caller's visible record (``get_record`` of the URL's id), answered as ``response``; the
    endpoint is named ``{kind}{Path}`` (``BeneficiaryExitApprove``, ``PublicityEnd``)."""

    class Action(MethodView):
        @blp.arguments(schema)
        @blp.response(200, response)
        @blp.alt_response(409, **ERRORS)
        @blp.alt_response(403, **FORBIDDEN)
        @blp.alt_response(422, **ERRORS)
        @token_required
        def post(self, data, **url_id):
            record = get_record(**url_id)
            run(record, data)
            return record

    Action.post.__doc__ = doc
    Action.__name__ = f"{kind}{path.title().replace('/', '')}"
    blp.route(f"{records}/{path}")(Action)


_beneficiary_action = partial(
    _record_action,
    "Beneficiary",
    "/beneficiaries/<int:beneficiary_id>",
    get_visible_beneficiary,
    BeneficiarySchema,
)
_publicity_action = partial(
    _record_action,
    "Publicity",
    "/publicities/<int:publicity_id>",
    get_visible_publicity,
    PublicitySchema,
)

_beneficiary_action(
    "approve",
    DecisionSchema,
    "Put a pending registration on the register (a checker over the county, not its "
    "registrar), with the optional opinion ``reason``.",
    lambda b, d: operations.approve_registration(db.session, g.user, b, d["reason"]),
)
_beneficiary_action(
    "reject",
    ReasonSchema,
    "Send a pending registration back, with a reason.",
    lambda b, d: operations.reject_registration(db.session, g.user, b, d["reason"]),
)
_beneficiary_action(
    "exit",
    ExitSchema,
    "Propose that a registered family leaves the register (death, moved, ineligible).",
    lambda b, d: operations.propose_exit(
        db.session,
        g.user,
        b,
        exit_reason=d["exit_reason"],
        exit_on=d["exit_on"],
        note=d["reason"],
    ),
)
_beneficiary_action(
    "exit/approve",
    DecisionSchema,
    "Take the family off the register (a checker, not the exit's proposer).",
    lambda b, d: operations.approve_exit(db.session, g.user, b, d["reason"]),
)
_beneficiary_action(
    "exit/reject",
    ReasonSchema,
    "Keep the family on the register, with a reason.",
    lambda b, d: operations.reject_exit(db.session, g.user, b, d["reason"]),
)


@blp.route("/beneficiaries/<int:beneficiary_id>/reveal-id")
class BeneficiaryRevealId(MethodView):
    @blp.response(200, RevealedIdSchema)
    @blp.alt_response(403, description="无权查看", schema="Error")
    @token_required
    def post(self, beneficiary_id):
        """The beneficiary's full ID number (the region's finance staff, auditors); logged."""
        beneficiary = get_visible_beneficiary(beneficiary_id)
        number = operations.reveal_id_number(db.session, g.user, beneficiary, client_address())
        return {"id_number": number}


@blp.route("/publicities")
class Publicities(MethodView):
    @blp.arguments(PublicityQuerySchema, location="query")
    @blp.response(200, PublicityListSchema)
    @token_required
    def get(self, query):
        """The 公示 of the caller's subtree, newest first."""
        stmt = visible_publicities(db.session, g.user, query).order_by(Publicity.id.desc())
        return paginated(db.session, stmt, query)

    @blp.arguments(PublicityCreateSchema)
    @blp.response(201, PublicitySchema)
    @blp.alt_response(422, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @token_required
    def post(self, data):
        """Issue a 公示 of registered beneficiaries of the county for one benefit, with the
        proposed amounts; it starts today or later and runs 7 days unless ``end_on``."""
        entries = [(e["beneficiary_id"], e["amount"]) for e in data.pop("entries")]
        return operations.issue_publicity(
            db.session,
            g.user,
            region_code=data.pop("region", None) or g.user.region_code,
            category_code=data.pop("category"),
            entries=entries,
            **data,
        )


@blp.route("/publicities/<int:publicity_id>")
class PublicityDetail(MethodView):
    @blp.response(200, PublicitySchema)
    @token_required
    def get(self, publicity_id):
        return get_visible_publicity(publicity_id)


_publicity_action(
    "end",
    DecisionSchema,
    "End a 公示 after its last day, "  # zh-only: API documentation
    "once every objection is decided (a checker over the county, not its issuer); its listed "
    "beneficiaries may then be paid.",
    lambda p, d: operations.end_publicity(db.session, g.user, p, d["reason"]),
)
_publicity_action(
    "withdraw",
    ReasonSchema,
    "Withdraw a running 公示, with a reason; "  # zh-only: API documentation
    "its listing then counts for nothing.",
    lambda p, d: operations.withdraw_publicity(db.session, g.user, p, d["reason"]),
)


@blp.route("/publicities/<int:publicity_id>/notice.pdf")
class PublicityNotice(MethodView):
    @blp.doc(responses=PDF_RESPONSE)
    @token_required
    def get(self, publicity_id):
        """The printable notice (公示): names and ID numbers masked, proposed amounts, where
        and whom to call with objections, the issuer, and the head of the audit log."""
        return send_publicity_notice(db.session, get_visible_publicity(publicity_id))


@blp.route("/publicities/<int:publicity_id>/objections")
class PublicityObjections(MethodView):
    @blp.arguments(ObjectionCreateSchema)
    @blp.response(201, ObjectionSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(422, **ERRORS)
    @token_required
    def post(self, data, publicity_id):
        """Record an objection received during the 公示 (about one listed beneficiary, or
        the list as a whole when ``beneficiary_id`` is null)."""
        publicity = get_visible_publicity(publicity_id)
        return operations.record_objection(db.session, g.user, publicity, **data)


@blp.route("/objections/<int:objection_id>")
class ObjectionDetail(MethodView):
    @blp.response(200, ObjectionSchema)
    @token_required
    def get(self, objection_id):
        return get_visible_objection(objection_id)


@blp.route("/objections/<int:objection_id>/decide")
class ObjectionDecide(MethodView):
    @blp.arguments(ObjectionDecisionSchema)
    @blp.response(200, ObjectionSchema)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(422, **ERRORS)
    @token_required
    def post(self, data, objection_id):
        """Decide an objection (a checker over the county, not who recorded it): upheld
        keeps that beneficiary unpaid for the benefit (``objection_upheld``)."""
        objection = get_visible_objection(objection_id)
        return operations.decide_objection(
            db.session, g.user, objection, upheld=data["upheld"], decision=data["decision"]
        )
