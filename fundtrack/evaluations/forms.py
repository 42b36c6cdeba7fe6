from wtforms import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundtrack.core.forms import Form, MoneyField


class IndicatorLineForm(Form):
    class Meta:
        csrf = False

    id = HiddenField()
    tier = HiddenField()
    dimension = HiddenField()
    name = HiddenField()
    unit = HiddenField()
    weight = StringField("权重", validators=[Length(max=10)])
    target = StringField("目标值", validators=[Length(max=64)])
    actual = StringField("实际完成值", validators=[Length(max=64)])
    self_score = StringField("自评分", validators=[Length(max=10)])
    note = StringField("说明", validators=[Length(max=2000)])


class DeclaredUseForm(Form):
    class Meta:
        csrf = False

    category = SelectField("科目", validate_choice=False, validators=[Optional()])
    amount = MoneyField("金额（元）", validators=[Optional()])
    description = StringField("说明", validators=[Length(max=2000)])


class EvaluationForm(Form):
    summary = TextAreaField("自评总结", validators=[Length(max=10_000)])
    indicators = FieldList(FormField(IndicatorLineForm), min_entries=0, max_entries=50)
    declared_uses = FieldList(FormField(DeclaredUseForm), min_entries=0, max_entries=100)


class ApproveEvaluationForm(Form):
    final_score = StringField(
        "审定得分（0–100）", validators=[InputRequired("请填写审定得分"), Length(max=10)]
    )


class ReturnEvaluationForm(Form):
    comment = TextAreaField(
        "退回意见", validators=[InputRequired("请填写退回意见"), Length(max=2000)]
    )
