"""Domain errors raised by operations; mapped to HTTP status and error code in one place.

Every error carries a stable snake_case ``code`` for the API and a ``message`` for people,
in the reader's language. ``details`` holds what a client needs to point at the problem
(field names, lines).
"""

from __future__ import annotations

from fundtrack.core.i18n import _l


class DomainError(Exception):
    code = "domain_error"
    status = 422
    default_message = _l("操作不符合业务规则")

    def __init__(self, message: str | None = None, **details):
        # kept as given (a lazy default stays lazy, so that it is translated when it is
        # shown, not where it was raised: inside ``chinese_documents`` for instance)
        self._message = message or self.default_message
        self.details = details
        super().__init__(self._message)

    @property
    def message(self) -> str:
        """The message as text (a lazy default message is translated here), ready for JSON,
        a template or a comparison."""
        return str(self._message)

    @message.setter
    def message(self, value: str) -> None:
        self._message = value


class ValidationFailed(DomainError):
    code = "validation_error"
    default_message = _l("输入不正确")

    def __init__(self, message: str | None = None, *, fields: dict | None = None, **details):
        if fields:
            details["fields"] = fields
        super().__init__(message, **details)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _l("记录不存在")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("没有执行此操作的权限")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = _l("当前状态下不能执行此操作")


class FundNotActive(InvalidTransition):
    code = "fund_not_active"
    default_message = _l("资金不在执行中（草稿或已结束），不能下达或支出")


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    default_message = _l("可用余额不足")


class NotEarmarked(DomainError):
    code = "not_earmarked"
    default_message = _l("该支出科目不在本专项资金的用途范围内（专款专用）")


class SameUserApproval(DomainError):
    code = "same_user_approval"
    default_message = _l("经办人不能审批自己经办的记录")


class SecondPersonRequired(DomainError):
    code = "second_person_required"
    default_message = _l("资金变动须由经办人以外的审批人员审批后才能生效")


class BenefitCapExceeded(DomainError):
    code = "benefit_cap_exceeded"
    default_message = _l("超出该受益人本年度的待遇上限")


class NonEarmarkedUse(DomainError):
    code = "non_earmarked_use"
    default_message = _l("存在专项资金用途范围以外的支出，不能提交")


class EvaluationRequired(DomainError):
    code = "evaluation_required"
    default_message = _l("该地区上一年度同类专项资金的绩效评价未通过审批或评为差，不能下达资金")


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    default_message = _l("此操作必须填写原因")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _l("记录已存在")


class DuplicateBenefit(DomainError):
    code = "duplicate_benefit"
    default_message = _l("该受益人本年度已在其他地区领取同一待遇")
