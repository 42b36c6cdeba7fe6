from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import InputRequired

from fundtrack.core.forms import Form
from fundtrack.core.i18n import _l


class ImportForm(Form):
    file = FileField(
        _l("填好的工作簿（.xlsx）"),
        validators=[
            FileRequired(_l("请选择要导入的文件")),
            FileAllowed(["xlsx"], _l("只能导入 .xlsx 工作簿（请使用导入模板）")),
        ],
    )


class ErrorWorkbookForm(Form):
    """Hands the annotated workbook back without keeping it on the server: the page carries
    it, signed, so that the download endpoint returns only what this server produced."""

    kind = HiddenField(validators=[InputRequired()])
    workbook = HiddenField(validators=[InputRequired()])


class BankBatchForm(Form):
    region = SelectField(_l("付款地区"), validators=[InputRequired(_l("请选择付款地区"))])
    paid_from = DateField(
        _l("支付日期自"), validators=[InputRequired(_l("请填写开始日期（如 2018-01-01）"))]
    )
    paid_to = DateField(
        _l("支付日期至"), validators=[InputRequired(_l("请填写结束日期（如 2018-03-31）"))]
    )
