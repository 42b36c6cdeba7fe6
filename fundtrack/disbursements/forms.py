from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fundtrack.core.forms import Form, MoneyField


class DisbursementForm(Form):
    category = SelectField(
        "支出科目（仅限本资金的专项用途）",
        validate_choice=False,
        validators=[InputRequired("请选择科目")],
    )
    amount = MoneyField("金额（元）", validators=[InputRequired("请填写金额")])
    paid_on = DateField("支付日期", validators=[InputRequired("请填写支付日期")])
    beneficiary_id = SelectField(
        "受益人（按人发放的待遇必填）", coerce=int, validate_choice=False, validators=[Optional()]
    )
    days = IntegerField(
        "天数（按天发放的待遇必填）",
        validators=[Optional(), NumberRange(1, 366, "天数须在 1–366 之间")],
    )
    payee_name = StringField("收款人", validators=[Optional(), Length(max=128)])
    payee_id_number = StringField("收款人身份证号码", validators=[Optional(), Length(max=18)])
    payee_account = StringField("收款账号", validators=[Optional(), Length(max=34)])
    project_name = StringField("项目名称", validators=[Optional(), Length(max=128)])
    voucher_no = StringField("凭证号", validators=[InputRequired("请填写凭证号"), Length(max=64)])
    purpose = TextAreaField("用途说明", validators=[Length(max=2000)])


class BeneficiaryForm(Form):
    name = StringField("姓名", validators=[InputRequired("请填写姓名"), Length(max=64)])
    id_number = StringField(
        "身份证号码", validators=[InputRequired("请填写身份证号码"), Length(max=18)]
    )
    family_type = SelectField("家庭类型", validators=[InputRequired("请选择家庭类型")])
    region = SelectField("所属地区", validate_choice=False, validators=[InputRequired()])
