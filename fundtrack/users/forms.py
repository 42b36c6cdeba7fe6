"""Page forms of the login and of user administration. The rules (names, roles, regions,
password strength, the last administrator) are the operations'; the forms only read."""

from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length

from fundtrack.core.forms import Form
from fundtrack.core.i18n import _l


class LoginForm(Form):
    username = StringField(
        _l("用户名"), validators=[InputRequired(_l("请输入用户名")), Length(max=64)]
    )
    password = PasswordField(
        _l("密码"), validators=[InputRequired(_l("请输入密码")), Length(max=256)]
    )


def _display_name_field():
    return StringField(
        _l("姓名"),
        validators=[
            InputRequired(_l("请填写姓名")),
            Length(max=64, message=_l("姓名不超过 64 个字符")),
        ],
    )


def _password_fields(label):
    return (
        PasswordField(
            label,
            validators=[
                InputRequired(_l("请输入密码")),
                Length(max=256, message=_l("密码不超过 256 个字符")),
            ],
        ),
        PasswordField(
            _l("再次输入密码"),
            validators=[
                InputRequired(_l("请再次输入密码")),
                EqualTo("password", message=_l("两次输入的密码不一致")),
            ],
        ),
    )


class UserCreateForm(Form):
    username = StringField(
        _l("用户名"),
        validators=[
            InputRequired(_l("请输入用户名")),
            Length(max=64, message=_l("用户名不超过 64 个字符")),
        ],
    )
    display_name = _display_name_field()
    role = SelectField(_l("角色"), validate_choice=False)
    region_code = SelectField(_l("所属地区"), validate_choice=False)
    password, password_confirm = _password_fields(_l("初始密码"))


class UserEditForm(Form):
    display_name = _display_name_field()
    role = SelectField(_l("角色"), validate_choice=False)
    region_code = SelectField(_l("所属地区"), validate_choice=False)
    active = BooleanField(_l("启用"))
    reason = TextAreaField(
        _l("修改原因"),
        validators=[
            InputRequired(_l("请填写原因")),
            Length(max=2000, message=_l("原因不超过 2000 个字符")),
        ],
    )


class PasswordResetForm(Form):
    password, password_confirm = _password_fields(_l("新密码"))


class PasswordChangeForm(Form):
    """A user changes their own password (page 「我的账户」)."""

    current_password = PasswordField(
        _l("当前密码"),
        validators=[
            InputRequired(_l("请输入当前密码")),
            Length(max=256, message=_l("密码不超过 256 个字符")),
        ],
    )
    password, password_confirm = _password_fields(_l("新密码"))
