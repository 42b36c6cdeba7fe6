from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundtrack.core.forms import Form
from fundtrack.core.i18n import _l


class BeneficiaryForm(Form):
    name = StringField(_l("姓名"), validators=[InputRequired(_l("请填写姓名")), Length(max=64)])
    id_number = StringField(
        _l("身份证号码"), validators=[InputRequired(_l("请填写身份证号码")), Length(max=18)]
    )
    family_type = SelectField(_l("家庭类型"), validators=[InputRequired(_l("请选择家庭类型"))])
    region = SelectField(_l("所属地区"), validate_choice=False, validators=[InputRequired()])
    household = StringField(_l("户主及住址"), validators=[Optional(), Length(max=128)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])
    bank_account = StringField(_l("银行账号"), validators=[Optional(), Length(max=34)])
    evidence = TextAreaField(_l("认定依据"), validators=[Optional(), Length(max=2000)])
    evidence_document_no = StringField(_l("证明文件编号"), validators=[Optional(), Length(max=64)])


class ExitForm(Form):
    exit_reason = SelectField(_l("退出原因"), validators=[InputRequired(_l("请选择退出原因"))])
    exit_on = DateField(_l("退出日期"), validators=[InputRequired(_l("请填写退出日期"))])
    reason = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])


class PublicityForm(Form):
    category = SelectField(_l("待遇（支出科目）"), validators=[InputRequired(_l("请选择待遇"))])
    title = StringField(_l("标题（留空自动生成）"), validators=[Optional(), Length(max=128)])
    start_on = DateField(_l("公示开始日期"), validators=[InputRequired(_l("请填写开始日期"))])
    end_on = DateField(_l("公示截止日期（留空为 7 天）"), validators=[Optional()])
    objection_place = StringField(
        _l("异议受理地点"), validators=[InputRequired(_l("请填写受理地点")), Length(max=128)]
    )
    objection_phone = StringField(
        _l("异议受理电话"), validators=[InputRequired(_l("请填写受理电话")), Length(max=32)]
    )
    issuer = StringField(
        _l("发布单位（留空为本地区计生协）"), validators=[Optional(), Length(max=128)]
    )


class ObjectionForm(Form):
    beneficiary_id = SelectField(
        _l("所涉对象"), coerce=int, validate_choice=False, validators=[Optional()]
    )
    reporter = StringField(
        _l("反映人（可填“匿名”）"), validators=[InputRequired(_l("请填写反映人")), Length(max=64)]
    )
    reporter_contact = StringField(_l("联系方式"), validators=[Optional(), Length(max=64)])
    content = TextAreaField(
        _l("反映内容"), validators=[InputRequired(_l("请填写反映内容")), Length(max=2000)]
    )
    received_on = DateField(_l("收到日期"), validators=[InputRequired(_l("请填写收到日期"))])


class DecideObjectionForm(Form):
    upheld = BooleanField(_l("异议成立（该对象不予发放）"))
    decision = TextAreaField(
        _l("处理意见"), validators=[InputRequired(_l("请填写处理意见")), Length(max=2000)]
    )
