from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from fundtrack.core.forms import Form


class LoginForm(Form):
    username = StringField("用户名", validators=[InputRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[InputRequired("请输入密码"), Length(max=256)])
