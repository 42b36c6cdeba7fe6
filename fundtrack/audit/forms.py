from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from fundtrack.core.forms import Form
from fundtrack.core.i18n import _l


class DocumentCheckForm(Form):
    """A notice PDF (with its proofs), or a pasted signed head or proof."""

    file = FileField(_l("文书 PDF（资金下达通知等）"))
    text = TextAreaField(
        _l("或粘贴签名树头 / 证明（JSON）"),
        validators=[Optional(), Length(max=200_000, message=_l("粘贴的内容过长"))],
    )
