"""The register's rules. Operations flush but never commit.

Invariants: one live registration per ID number in the province (a second county's attempt
is refused and kept for both counties' reviewers); a registration and an exit take effect
only when a second person approved them; a 公示 lists only registered beneficiaries of its
county, runs at least ``PUBLICITY_MIN_DAYS`` from today or later (never backdated) and ends
only after its last day, with every objection decided by someone who did not record it; a
personal benefit is paid only to a registered beneficiary on an ended 公示 of that benefit,
after its period, without an upheld objection (``require_publicity``).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context

from fundtrack.audit.operations import log_access
from fundtrack.beneficiaries.errors import DuplicateBeneficiary, ObjectionUpheld, PublicityRequired
from fundtrack.beneficiaries.models import (
    BENEFICIARY_TRANSITIONS,
    EXIT_REASONS,
    FAMILY_TYPES,
    LIVE_STATUSES,
    OBJECTION_TRANSITIONS,
    PUBLICITY_TRANSITIONS,
    Beneficiary,
    DuplicateRegistration,
    Objection,
    Publicity,
    PublicityEntry,
)
from fundtrack.beneficiaries.permissions import (
    can_decide_objection,
    can_end_publicity,
    can_issue_publicity,
    can_propose_exit,
    can_record_objection,
    can_register_beneficiary,
    can_reveal_id_number,
    can_review_beneficiary,
    can_withdraw_publicity,
)
from fundtrack.core import idnumber
from fundtrack.core.errors import Forbidden, InvalidTransition, SameUserApproval, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.reasons import optional_reason, require_reason
from fundtrack.core.requests import record_after_refusal
from fundtrack.core.timeparse import local_today
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.funds.models import ExpenditureCategory
from fundtrack.ledger.checks import batch_cached, batch_get, flush_write
from fundtrack.regions.models import Region

#: the exit reasons as the stored audit action names them (Chinese whoever acts)
EXIT_WORDS = {"death": "死亡", "moved": "迁出", "ineligible": "不再符合条件"}  # zh-only: stored

#: first key of the advisory lock that serialises registrations of one ID number (the
#: second is the number's hash; the two-key space is apart from the chain's one-key lock)
REGISTRATION_LOCK = 0x62656E66  # "benf"

#: most beneficiaries one 公示 lists (a county's whole register fits)
MAX_ENTRIES = 10_000
MAX_TEXT = 128


def _text(value: str | None) -> str:
    return (value or "").strip()


def register_beneficiary(
    session,
    user,
    *,
    region_code: str,
    name: str,
    id_number: str,
    family_type: str,
    household: str = "",
    phone: str = "",
    bank_account: str | None = None,
    evidence: str = "",
    evidence_document_no: str = "",
    source: str = "entry",
) -> Beneficiary:
    """Register a family on a county's register, ``pending`` until a checker approves it.

    The ID number must pass the GB 11643 check digit and must not be on any register
    already (``duplicate_beneficiary``, naming the county; an attempt against another
    county's register is kept for both counties' reviewers even though it is refused).
    Raises ``Forbidden``, ``ValidationFailed`` and ``DuplicateBeneficiary``.
    """
    region = batch_get(session, Region, region_code or "")
    if region is None:
        raise ValidationFailed(fields={"region": [_("地区不存在")]})
    if user is not None and not can_register_beneficiary(session, user, region_code):
        raise Forbidden(_("只能登记本地区的受益人"))
    name, household, phone = _text(name), _text(household), _text(phone)
    evidence, evidence_document_no = _text(evidence), _text(evidence_document_no)
    bank_account = _text(bank_account) or None
    fields = {}
    if not idnumber.is_valid(id_number):
        fields["id_number"] = [_("身份证号码不正确（18 位，校验码须符合 GB 11643）")]
    if family_type not in FAMILY_TYPES:
        fields["family_type"] = [_("家庭类型不正确")]
    if not name or len(name) > 64:
        fields["name"] = [_("姓名不能为空，且不超过 64 个字符")]
    if len(household) > MAX_TEXT:
        fields["household"] = [_("户主及住址不超过 128 个字符")]
    if len(phone) > 20 or any(c not in "0123456789-+ " for c in phone):
        fields["phone"] = [_("联系电话只能是不超过 20 位的数字和“-”")]
    if bank_account is not None and (len(bank_account) > 34 or not bank_account.isalnum()):
        fields["bank_account"] = [_("银行账号只能是不超过 34 位的字母和数字")]
    if len(evidence) > 2000:
        fields["evidence"] = [_("认定依据不超过 2000 个字符")]
    if len(evidence_document_no) > 64:
        fields["evidence_document_no"] = [_("证明文件编号不超过 64 个字符")]
    if fields:
        raise ValidationFailed(fields=fields)
    number = idnumber.normalise(id_number)
    _refuse_duplicate(session, user, region, name, number, source)
    beneficiary = Beneficiary(
        region_code=region_code,
        name=name,
        id_number=number,
        family_type=family_type,
        household=household,
        phone=phone,
        bank_account=bank_account,
        evidence=evidence,
        evidence_document_no=evidence_document_no,
        created_by_id=user.id if user is not None else None,
    )
    session.add(beneficiary)
    set_action(session, f"登记受益人 {name}")  # zh-only: stored audit action
    flush_write(session)
    return beneficiary


def _refuse_duplicate(session, user, region, name: str, number: str, source: str) -> None:
    # the numbers of this batch's own rows, not yet flushed (an import writes them at once)
    in_batch = batch_cached(session, ("beneficiary_numbers",), dict)
    if number in in_batch:
        message = _("该身份证号码在本次导入中重复（第一次出现：%(name)s）", name=in_batch[number])
        raise DuplicateBeneficiary(message, fields={"id_number": [message]})
    if session.get_bind().dialect.name == "postgresql":
        # one registration of a number at a time, province-wide: two counties entering the
        # same person at once are one registration and one refusal, not a unique-index error
        session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(REGISTRATION_LOCK, sa.func.hashtext(number)))
        )
    with session.no_autoflush:
        other = session.scalar(
            sa.select(Beneficiary)
            .where(Beneficiary.id_number == number, Beneficiary.status.in_(LIVE_STATUSES))
            .limit(1)
        )
    if other is None:
        in_batch[number] = name
        return
    if other.region_code == region.code:
        message = _(
            "该身份证号码已在本地区登记（%(name)s，%(status)s）",
            name=other.name,
            status=other.status_label,
        )
        raise DuplicateBeneficiary(
            message,
            fields={"id_number": [message]},
            other_beneficiary_id=other.id,
            other_region=other.region_code,
        )
    message = _(
        "该身份证号码已在%(region)s登记（%(status)s），同一人只能在一个县市区在册；"
        "如已迁入本地，须由%(region)s先办理退出",
        region=other.region.name,
        status=other.status_label,
    )
    other_id, other_region = other.id, other.region_code
    user_id, region_code = (user.id if user is not None else None), region.code
    if has_request_context():
        # kept after the refusal's rollback, for both counties' reviewers and the prefecture
        record_after_refusal(
            lambda: session.add(
                DuplicateRegistration(
                    region_code=region_code,
                    name=name[:64],
                    id_number=number,
                    other_beneficiary_id=other_id,
                    other_region_code=other_region,
                    source=source,
                    user_id=user_id,
                )
            )
        )
    raise DuplicateBeneficiary(
        message,
        fields={"id_number": [message]},
        other_region=other_region,
        other_region_name=other.region.name,
    )


def _lock_beneficiary(session, beneficiary: Beneficiary) -> None:
    """Hold the row until the commit and read its status afresh: a payment being approved
    (``require_publicity`` reads it shared) waits for an exit, or the exit for it."""
    session.execute(
        sa.select(Beneficiary.id).where(Beneficiary.id == beneficiary.id).with_for_update()
    )
    session.refresh(beneficiary, ["status"])


def _review(session, user, beneficiary: Beneficiary, proposer_id) -> None:
    if proposer_id is not None and proposer_id == user.id:
        raise SameUserApproval()
    if not can_review_beneficiary(session, user, beneficiary):
        raise Forbidden(_("没有审核该地区受益人的权限"))


def approve_registration(session, user, beneficiary: Beneficiary, reason: str | None = None):
    """A checker over the county, not the registrar, puts the family on the register."""
    _review(session, user, beneficiary, beneficiary.created_by_id)
    opinion = optional_reason(reason)
    BENEFICIARY_TRANSITIONS.apply(beneficiary, "approve")
    beneficiary.reviewed_by_id, beneficiary.reviewed_at = user.id, utcnow()
    set_action(session, f"审核通过受益人 {beneficiary.name}")  # zh-only: stored audit action
    set_reason(session, opinion)
    session.flush()
    return beneficiary


def reject_registration(session, user, beneficiary: Beneficiary, reason: str):
    """Send a registration back with a reason; the ID number is free again."""
    _review(session, user, beneficiary, beneficiary.created_by_id)
    reason = require_reason(reason)
    BENEFICIARY_TRANSITIONS.apply(beneficiary, "reject")
    beneficiary.reviewed_by_id, beneficiary.reviewed_at = user.id, utcnow()
    set_action(session, f"退回受益人登记 {beneficiary.name}")  # zh-only: stored audit action
    set_reason(session, reason)
    session.flush()
    return beneficiary


def propose_exit(
    session,
    user,
    beneficiary: Beneficiary,
    *,
    exit_reason: str,
    exit_on: date | None = None,
    note: str | None = None,
):
    """Propose that a registered family leaves the register (死亡, 迁出, 不再符合条件) on a
    date not after today; a checker decides. Raises ``Forbidden``, ``ValidationFailed``,
    ``InvalidTransition``."""
    if not can_propose_exit(session, user, beneficiary):
        raise Forbidden(_("只能由本地区的财务经办人员申请受益人退出"))
    fields = {}
    if exit_reason not in EXIT_REASONS:
        fields["exit_reason"] = [_("退出原因须为死亡、迁出或不再符合条件")]
    today = local_today()
    exit_on = exit_on or today
    if exit_on > today:
        fields["exit_on"] = [_("退出日期不能晚于今天 %(today)s", today=today.isoformat())]
    if fields:
        raise ValidationFailed(fields=fields)
    note = optional_reason(note)
    _lock_beneficiary(session, beneficiary)
    BENEFICIARY_TRANSITIONS.apply(beneficiary, "propose_exit")
    beneficiary.exit_reason, beneficiary.exit_on = exit_reason, exit_on
    beneficiary.exit_proposed_by_id = user.id
    beneficiary.exit_decided_by_id = beneficiary.exit_decided_at = None
    words = EXIT_WORDS[exit_reason]
    set_action(session, f"申请受益人退出 {beneficiary.name}（{words}）")  # zh-only: stored action
    set_reason(session, note)
    session.flush()
    return beneficiary


def approve_exit(session, user, beneficiary: Beneficiary, reason: str | None = None):
    """A checker, not the proposer, takes the family off the register."""
    _review(session, user, beneficiary, beneficiary.exit_proposed_by_id)
    opinion = optional_reason(reason)
    _lock_beneficiary(session, beneficiary)
    BENEFICIARY_TRANSITIONS.apply(beneficiary, "approve_exit")
    beneficiary.exit_decided_by_id, beneficiary.exit_decided_at = user.id, utcnow()
    set_action(session, f"审核同意受益人退出 {beneficiary.name}")  # zh-only: stored action
    set_reason(session, opinion)
    session.flush()
    return beneficiary


def reject_exit(session, user, beneficiary: Beneficiary, reason: str):
    """Keep the family on the register, with a reason."""
    _review(session, user, beneficiary, beneficiary.exit_proposed_by_id)
    reason = require_reason(reason)
    BENEFICIARY_TRANSITIONS.apply(beneficiary, "reject_exit")
    beneficiary.exit_reason = beneficiary.exit_on = beneficiary.exit_proposed_by_id = None
    set_action(session, f"退回受益人退出申请 {beneficiary.name}")  # zh-only: stored action
    set_reason(session, reason)
    session.flush()
    return beneficiary


def reveal_id_number(session, user, beneficiary: Beneficiary, remote_addr: str | None) -> str:
    """The full ID number, for a role that needs it; every reveal is in the access log."""
    if not can_reveal_id_number(session, user, beneficiary.region_code):
        raise Forbidden(_("无权查看完整身份证号码"))
    detail = f"受益人 #{beneficiary.id} 的完整身份证号码"  # zh-only: access-log detail
    log_access(session, "reveal", user=user, remote_addr=remote_addr, detail=detail)
    return beneficiary.id_number


# --- 公示 ------------------------------------------------------------------------------


def publicity_days() -> tuple[int, int]:
    """(default, least) length of a 公示 in days, from the configuration."""
    config = current_app.config
    return int(config.get("PUBLICITY_DAYS", 7)), int(config.get("PUBLICITY_MIN_DAYS", 5))


def issue_publicity(
    session,
    user,
    *,
    region_code: str,
    category_code: str,
    entries: list[tuple[int, int]],
    objection_place: str,
    objection_phone: str,
    issuer: str = "",
    title: str = "",
    start_on: date | None = None,
    end_on: date | None = None,
    today: date | None = None,
) -> Publicity:
    """Issue a 公示 of a county's registered beneficiaries for one benefit, with proposed
    amounts (``entries``: (beneficiary id, fen)). It starts today or later (a 公示 is never
    backdated; ``today`` is for loading history, not for requests) and runs
    ``PUBLICITY_DAYS`` days by default, at least ``PUBLICITY_MIN_DAYS``.
    Raises ``Forbidden`` and ``ValidationFailed``."""
    region = session.get(Region, region_code or "")
    if region is None:
        raise ValidationFailed(fields={"region": [_("地区不存在")]})
    if not can_issue_publicity(session, user, region_code):
        raise Forbidden(_("只能由本地区的财务经办人员发布本地区的公示"))
    fields: dict[str, list[str]] = {}
    category = session.get(ExpenditureCategory, category_code or "")
    if category is None:
        fields["category"] = [_("支出科目不存在")]
    elif not category.requires_publicity:
        fields["category"] = [_("「%(category)s」不是须公示的个人待遇", category=category.name)]
    today = today or local_today()
    default_days, least_days = publicity_days()
    start_on = start_on or today
    if start_on < today:
        fields["start_on"] = [_("公示不能早于今天 %(today)s 开始", today=today.isoformat())]
    elif start_on > today + timedelta(days=366):
        fields["start_on"] = [_("公示开始日期不能晚于一年以后")]
        start_on = today  # the period below is checked from a date that exists
    end_on = end_on or start_on + timedelta(days=default_days - 1)
    if (end_on - start_on).days + 1 < least_days:
        fields["end_on"] = [_("公示期不少于 %(days)s 天", days=least_days)]
    elif (end_on - start_on).days > 90:
        fields["end_on"] = [_("公示期不超过 90 天")]
    objection_place, objection_phone = _text(objection_place), _text(objection_phone)
    issuer = _text(issuer) or f"{region.name}计划生育协会"  # zh-only: the notice's issuer
    if not objection_place or len(objection_place) > MAX_TEXT:
        fields["objection_place"] = [_("异议受理地点不能为空，且不超过 128 个字符")]
    if not objection_phone or len(objection_phone) > 32:
        fields["objection_phone"] = [_("异议受理电话不能为空，且不超过 32 个字符")]
    if len(issuer) > MAX_TEXT:
        fields["issuer"] = [_("发布单位不超过 128 个字符")]
    if len(_text(title)) > MAX_TEXT:
        fields["title"] = [_("标题不超过 128 个字符")]
    entry_errors = _check_entries(session, region_code, entries)
    if entry_errors:
        fields["entries"] = entry_errors
    if fields:
        raise ValidationFailed(fields=fields)
    publicity = Publicity(
        region_code=region_code,
        category_code=category_code,
        title=_text(title) or f"{region.name}{category.name}发放对象公示",  # zh-only: notice
        start_on=start_on,
        end_on=end_on,
        objection_place=objection_place,
        objection_phone=objection_phone,
        issuer=issuer,
        created_by_id=user.id,
    )
    session.add(publicity)
    session.flush()
    session.add_all(
        PublicityEntry(
            publicity_id=publicity.id,
            beneficiary_id=beneficiary_id,
            position=position,
            amount_fen=amount_fen,
        )
        for position, (beneficiary_id, amount_fen) in enumerate(entries, 1)
    )
    action = f"发布公示 {publicity.title}（{len(entries)} 人）"  # zh-only: stored audit action
    set_action(session, action)
    session.flush()
    return publicity


def _check_entries(session, region_code: str, entries) -> list[str]:
    if not entries:
        return [_("公示名单不能为空")]
    if len(entries) > MAX_ENTRIES:
        return [_("一次公示最多 %(max)s 人", max=MAX_ENTRIES)]
    ids = [beneficiary_id for beneficiary_id, _amount in entries]
    found = {
        b.id: b for b in session.scalars(sa.select(Beneficiary).where(Beneficiary.id.in_(set(ids))))
    }
    errors, seen = [], set()
    for line, (beneficiary_id, amount_fen) in enumerate(entries, 1):
        person = found.get(beneficiary_id)
        if person is None or person.region_code != region_code:
            errors.append(_("第 %(line)s 人：受益人不存在或不属于本地区", line=line))
        elif person.status != "registered":
            errors.append(
                _(
                    "第 %(line)s 人：%(name)s状态为「%(status)s」，只有在册的受益人才能公示",
                    line=line,
                    name=person.name,
                    status=person.status_label,
                )
            )
        elif beneficiary_id in seen:
            errors.append(_("第 %(line)s 人：%(name)s在名单中重复", line=line, name=person.name))
        if not isinstance(amount_fen, int) or amount_fen <= 0:
            errors.append(_("第 %(line)s 人：拟发放金额须为正数", line=line))
        seen.add(beneficiary_id)
    return errors


def _lock(session, publicity: Publicity) -> None:
    """Hold the 公示 still until the commit and read it afresh: an objection recorded while
    a checker ends it either comes first (and stops the end) or finds it ended."""
    session.execute(sa.select(Publicity.id).where(Publicity.id == publicity.id).with_for_update())
    session.refresh(publicity, ["status", "objections"])


def withdraw_publicity(session, user, publicity: Publicity, reason: str) -> Publicity:
    """Withdraw a running 公示 (a wrong list, a wrong amount); its listing counts for nothing."""
    if not can_withdraw_publicity(session, user, publicity):
        raise Forbidden(_("没有撤回该公示的权限"))
    reason = require_reason(reason)
    _lock(session, publicity)
    PUBLICITY_TRANSITIONS.apply(publicity, "withdraw")
    publicity.closed_by_id, publicity.closed_at = user.id, utcnow()
    set_action(session, f"撤回公示 {publicity.title}")  # zh-only: stored audit action
    set_reason(session, reason)
    session.flush()
    return publicity


def end_publicity(
    session, user, publicity: Publicity, reason: str | None = None, today: date | None = None
) -> Publicity:
    """A checker over the county, not its issuer, ends a 公示 whose last day has passed and
    whose every objection is decided. Raises ``Forbidden``, ``SameUserApproval``,
    ``InvalidTransition``."""
    if publicity.created_by_id == user.id:
        raise SameUserApproval()
    if not can_end_publicity(session, user, publicity):
        raise Forbidden(_("没有结束该公示的权限"))
    opinion = optional_reason(reason)
    _lock(session, publicity)
    PUBLICITY_TRANSITIONS.target(publicity.status, "end")
    today = today or local_today()
    if today <= publicity.end_on:
        raise InvalidTransition(
            _("公示期至 %(end_on)s，期满后才能结束", end_on=publicity.end_on.isoformat()),
            status=publicity.status,
            action="end",
            end_on=publicity.end_on.isoformat(),
        )
    undecided = [o.id for o in publicity.objections if o.status == "open"]
    if undecided:
        raise InvalidTransition(
            _("还有 %(count)s 件异议未处理，处理后才能结束公示", count=len(undecided)),
            status=publicity.status,
            action="end",
            open_objections=undecided,
        )
    PUBLICITY_TRANSITIONS.apply(publicity, "end")
    publicity.closed_by_id, publicity.closed_at = user.id, utcnow()
    set_action(session, f"公示期满结束 {publicity.title}")  # zh-only: stored audit action
    set_reason(session, opinion)
    session.flush()
    return publicity


def record_objection(
    session,
    user,
    publicity: Publicity,
    *,
    reporter: str,
    content: str,
    beneficiary_id: int | None = None,
    reporter_contact: str = "",
    received_on: date | None = None,
    today: date | None = None,
) -> Objection:
    """Write down an objection received during a running 公示, about one listed
    beneficiary or the list as a whole. Raises ``Forbidden``, ``ValidationFailed``,
    ``InvalidTransition`` (the 公示 is not running)."""
    if not can_record_objection(session, user, publicity):
        raise Forbidden(_("没有登记该公示异议的权限"))
    _lock(session, publicity)
    PUBLICITY_TRANSITIONS.target(publicity.status, "end")  # only a running 公示 takes them
    today = today or local_today()
    received_on = received_on or today
    reporter, content, reporter_contact = _text(reporter), _text(content), _text(reporter_contact)
    fields = {}
    if not (publicity.start_on <= received_on <= min(publicity.end_on, today)):
        fields["received_on"] = [
            _(
                "收到日期须在公示期 %(start)s 至 %(end)s 内，且不晚于今天",
                start=publicity.start_on.isoformat(),
                end=publicity.end_on.isoformat(),
            )
        ]
    if not reporter or len(reporter) > 64:
        fields["reporter"] = [_("反映人不能为空（可填“匿名”），且不超过 64 个字符")]
    if len(reporter_contact) > 64:
        fields["reporter_contact"] = [_("联系方式不超过 64 个字符")]
    if not content or len(content) > 2000:
        fields["content"] = [_("异议内容不能为空，且不超过 2000 个字符")]
    listed = {entry.beneficiary_id for entry in publicity.entries}
    if beneficiary_id is not None and beneficiary_id not in listed:
        fields["beneficiary_id"] = [_("该受益人不在本次公示名单中")]
    if fields:
        raise ValidationFailed(fields=fields)
    objection = Objection(
        publicity_id=publicity.id,
        beneficiary_id=beneficiary_id,
        reporter=reporter,
        reporter_contact=reporter_contact,
        content=content,
        received_on=received_on,
        recorded_by_id=user.id,
    )
    session.add(objection)
    set_action(session, f"登记公示异议 {publicity.title}")  # zh-only: stored audit action
    session.flush()
    return objection


def decide_objection(session, user, objection: Objection, *, upheld: bool, decision: str):
    """A checker over the county, not the one who recorded it, decides an objection with
    the reasons (处理意见). An upheld objection keeps that beneficiary from being paid the
    benefit on this 公示. Raises ``SameUserApproval``, ``Forbidden``, ``ReasonRequired``,
    ``InvalidTransition``."""
    if objection.recorded_by_id == user.id:
        raise SameUserApproval()
    if not can_decide_objection(session, user, objection.publicity):
        raise Forbidden(_("没有处理该公示异议的权限"))
    decision = require_reason(decision, "decision")
    _lock(session, objection.publicity)
    # the objection afresh too: two checkers deciding it at once decide it once
    session.refresh(objection, ["status"], with_for_update=True)
    PUBLICITY_TRANSITIONS.target(objection.publicity.status, "end")
    OBJECTION_TRANSITIONS.apply(objection, "uphold" if upheld else "dismiss")
    objection.decision = decision
    objection.decided_by_id, objection.decided_at = user.id, utcnow()
    verdict = "异议成立" if upheld else "异议不成立"  # zh-only: stored audit action
    set_action(session, f"处理公示异议 #{objection.id}：{verdict}")  # zh-only: stored action
    set_reason(session, decision)
    session.flush()
    return objection


# --- the rule a payment obeys ------------------------------------------------------------


def set_publicity_rule(session, category_code: str, required: bool, reason: str):
    """Decide whether a category is a personal benefit paid only after a 公示 (a
    deployment's policy; versioned, with the reason). Raises ``ValidationFailed`` (no such
    category, or one a special fund never pays) and ``ReasonRequired``."""
    category = session.get(ExpenditureCategory, category_code or "")
    if category is None or not category.earmarkable:
        raise ValidationFailed(
            fields={"category": [_("支出科目不存在，或不是专项资金可列支的科目")]}
        )
    reason = require_reason(reason)
    category.requires_publicity = required
    verdict = "须经公示" if required else "无须公示"  # zh-only: stored audit action
    set_action(session, f"设置「{category.name}」{verdict}后发放")  # zh-only: stored action
    set_reason(session, reason)
    session.flush()
    return category


def require_publicity(session, category, beneficiary: Beneficiary | None, paid_on: date) -> None:
    """Refuse a personal benefit (a category that ``requires_publicity``) unless the
    beneficiary is registered and listed on an ended 公示 of it whose period ended before
    ``paid_on``, without an upheld objection against them on it.

    Raises ``PublicityRequired`` or ``ObjectionUpheld``; nothing for other categories."""
    if not category.requires_publicity:
        return
    if beneficiary is None:
        message = _(
            "「%(category)s」是按人发放的待遇，须指定在册并经公示的受益人",
            category=category.name,
        )
        raise PublicityRequired(message, fields={"beneficiary_id": [message]})
    # held until the commit: an exit being decided meanwhile waits, or is waited for (and
    # two payments to one person go one after the other, as the yearly cap needs anyway)
    session.execute(
        sa.select(Beneficiary.id).where(Beneficiary.id == beneficiary.id).with_for_update()
    )
    session.refresh(beneficiary, ["status"])
    if beneficiary.status != "registered":
        message = _(
            "%(name)s的登记状态为「%(status)s」，只有审核在册的受益人才能发放",
            name=beneficiary.name,
            status=beneficiary.status_label,
        )
        raise PublicityRequired(message, fields={"beneficiary_id": [message]})
    listings = session.execute(
        sa.select(Publicity.id, Publicity.title, Publicity.end_on, Objection.id)
        .join(PublicityEntry, PublicityEntry.publicity_id == Publicity.id)
        .outerjoin(
            Objection,
            sa.and_(
                Objection.publicity_id == Publicity.id,
                # one to the list as a whole concerns everybody on it
                sa.or_(
                    Objection.beneficiary_id == beneficiary.id, Objection.beneficiary_id.is_(None)
                ),
                Objection.status == "upheld",
            ),
        )
        .where(
            PublicityEntry.beneficiary_id == beneficiary.id,
            Publicity.category_code == category.code,
            Publicity.status == "ended",
        )
        .order_by(Publicity.end_on.desc())
    ).all()
    clean = [row for row in listings if row[3] is None]
    if any(end_on < paid_on for _id, _title, end_on, _o in clean):
        return
    if clean:
        message = _(
            "支付日期须在公示期满（%(end_on)s）之后", end_on=max(r[2] for r in clean).isoformat()
        )
        raise PublicityRequired(message, fields={"paid_on": [message]}, publicity_id=clean[0][0])
    if listings:
        publicity_id, title, _end_on, objection_id = listings[0]
        raise ObjectionUpheld(
            _(
                "%(name)s在「%(title)s」中的异议成立（异议 #%(objection)s），不能发放%(category)s",
                name=beneficiary.name,
                title=title,
                objection=objection_id,
                category=category.name,
            ),
            publicity_id=publicity_id,
            objection_id=objection_id,
        )
    message = _(
        "%(name)s未列入已期满的「%(category)s」公示，公示期满无异议后才能发放",
        name=beneficiary.name,
        category=category.name,
    )
    raise PublicityRequired(message, fields={"beneficiary_id": [message]})
