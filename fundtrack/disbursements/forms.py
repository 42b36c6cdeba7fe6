from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fundtrack.core.forms import Form, MoneyField
from fundtrack.core.i18n import _l
from fundtrack.core.timeparse import local_today


class DisbursementForm(Form):
    category = SelectField(
        _l("支出科目（仅限本资金的专项用途）"),
        validate_choice=False,
        validators=[InputRequired(_l("请选择科目"))],
    )
    amount = MoneyField(_l("金额（元）"), validators=[InputRequired(_l("请填写金额"))])
    paid_on = DateField(_l("支付日期"), validators=[InputRequired(_l("请填写支付日期"))])
    beneficiary_id = SelectField(
        _l("受益人（按人发放的待遇必填）"),
        coerce=int,
        validate_choice=False,
        validators=[Optional()],
    )
    days = IntegerField(
        _l("天数（按天发放的待遇必填）"),
        validators=[Optional(), NumberRange(1, 366, _l("天数须在 1–366 之间"))],
    )
    payee_name = StringField(_l("收款人"), validators=[Optional(), Length(max=128)])
    payee_id_number = StringField(_l("收款人身份证号码"), validators=[Optional(), Length(max=18)])
    payee_account = StringField(_l("收款账号"), validators=[Optional(), Length(max=34)])
    project_name = StringField(_l("项目名称"), validators=[Optional(), Length(max=128)])
    voucher_no = StringField(
        _l("凭证号"), validators=[InputRequired(_l("请填写凭证号")), Length(max=64)]
    )
    purpose = TextAreaField(_l("用途说明"), validators=[Length(max=2000)])


class ReverseForm(Form):
    """A proposed reversal: why, and its business date (today in Beijing by default)."""

    reason = TextAreaField(
        _l("冲销原因"), validators=[InputRequired(_l("请填写冲销原因")), Length(max=2000)]
    )
    reversed_on = DateField(
        _l("冲销日期"),
        default=local_today,
        validators=[InputRequired(_l("请填写冲销日期"))],
    )
