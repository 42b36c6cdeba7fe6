from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundtrack.core.forms import Form, MoneyField


class AllocationForm(Form):
    fund_id = SelectField("专项资金", coerce=int, validators=[InputRequired("请选择专项资金")])
    to_region = SelectField(
        "接收地区", validate_choice=False, validators=[InputRequired("请选择接收地区")]
    )
    amount = MoneyField("金额（元）", validators=[InputRequired("请填写金额")])
    document_no = StringField(
        "文号",
        validators=[InputRequired("请填写文号"), Length(max=64, message="文号不超过 64 个字符")],
    )
    reason = TextAreaField("事由（以事定钱：资金用于什么任务）", validators=[Length(max=2000)])


class RecallForm(Form):
    amount = MoneyField("收回金额（元）", validators=[InputRequired("请填写金额")])
    reason = TextAreaField("收回原因", validators=[InputRequired("请填写原因"), Length(max=2000)])
    document_no = StringField("文号", validators=[Optional(), Length(max=64)])
    redistribute_to = SelectField(
        "调剂给（不选则收回本级）", validate_choice=False, validators=[Optional()]
    )
