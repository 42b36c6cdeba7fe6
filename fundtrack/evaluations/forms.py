from wtforms import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundtrack.core.forms import Form, MoneyField
from fundtrack.core.i18n import _l


class IndicatorLineForm(Form):
    class Meta:
        csrf = False

    id = HiddenField()
    tier = HiddenField()
    dimension = HiddenField()
    name = HiddenField()
    unit = HiddenField()
    weight = StringField(_l("权重"), validators=[Length(max=10)])
    target = StringField(_l("目标值"), validators=[Length(max=64)])
    actual = StringField(_l("实际完成值"), validators=[Length(max=64)])
    self_score = StringField(_l("自评分"), validators=[Length(max=10)])
    note = StringField(_l("说明"), validators=[Length(max=2000)])


class DeclaredUseForm(Form):
    class Meta:
        csrf = False

    category = SelectField(_l("科目"), validate_choice=False, validators=[Optional()])
    amount = MoneyField(_l("金额（元）"), validators=[Optional()])
    description = StringField(_l("说明"), validators=[Length(max=2000)])


class EvaluationForm(Form):
    summary = TextAreaField(_l("自评总结"), validators=[Length(max=10_000)])
    indicators = FieldList(FormField(IndicatorLineForm), min_entries=0, max_entries=50)
    declared_uses = FieldList(FormField(DeclaredUseForm), min_entries=0, max_entries=100)


class ApproveEvaluationForm(Form):
    final_score = StringField(
        _l("审定得分（0–100）"),
        validators=[InputRequired(_l("请填写审定得分")), Length(max=10)],
    )
    reason = TextAreaField(
        _l("审核意见"), default=_l("同意"), validators=[Optional(), Length(max=2000)]
    )


class ReturnEvaluationForm(Form):
    comment = TextAreaField(
        _l("退回意见"), validators=[InputRequired(_l("请填写退回意见")), Length(max=2000)]
    )
