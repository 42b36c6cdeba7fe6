from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundtrack.core.forms import Form, MoneyField, OpinionForm
from fundtrack.core.i18n import _l


class AllocationForm(Form):
    fund_id = SelectField(
        _l("专项资金"), coerce=int, validators=[InputRequired(_l("请选择专项资金"))]
    )
    to_region = SelectField(
        _l("接收地区"), validate_choice=False, validators=[InputRequired(_l("请选择接收地区"))]
    )
    amount = MoneyField(_l("金额（元）"), validators=[InputRequired(_l("请填写金额"))])
    document_no = StringField(
        _l("文号"),
        validators=[
            InputRequired(_l("请填写文号")),
            Length(max=64, message=_l("文号不超过 64 个字符")),
        ],
    )
    reason = TextAreaField(_l("事由（以事定钱：资金用于什么任务）"), validators=[Length(max=2000)])


class RecallForm(Form):
    amount = MoneyField(_l("收回金额（元）"), validators=[InputRequired(_l("请填写金额"))])
    reason = TextAreaField(
        _l("收回原因"), validators=[InputRequired(_l("请填写原因")), Length(max=2000)]
    )
    document_no = StringField(_l("文号"), validators=[Optional(), Length(max=64)])
    redistribute_to = SelectField(
        _l("调剂给（不选则收回本级）"), validate_choice=False, validators=[Optional()]
    )


class ApproveAllocationForm(OpinionForm):
    """The approval of an allocation or a recall, with the provincial checker's override of
    the evaluation gate where the receiver's last evaluation did not pass."""

    evaluation_override_reason = TextAreaField(
        _l("绩效评价例外理由"),
        description=_l("接收地区上年度绩效评价未通过：确需下达时由省级审批人员填写，记入历史"),
        validators=[Optional(), Length(max=2000)],
    )
