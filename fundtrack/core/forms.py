"""Form pieces shared by the pages: money, reasons, and domain errors shown next to fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fundtrack.core.api import UNSTORABLE_TEXT, is_unstorable
from fundtrack.core.errors import DomainError
from fundtrack.core.i18n import _l
from fundtrack.core.money import AmountError, parse_yuan, yuan_str


class Form(FlaskForm):
    """Every page form: WTForms' own messages in the page language (Flask-WTF's i18n); text no
    database column can hold (a NUL, a lone surrogate) refused at its field, as the API
    refuses it."""

    def validate(self, extra_validators=None) -> bool:

        valid = super().validate(extra_validators)
        for field in self:
            raw = getattr(field, "raw_data", None) or []
            if any(isinstance(text, str) and is_unstorable(text) for text in raw):
                if not isinstance(field.errors, list):
                    field.errors = list(field.errors)
                field.errors.append(str(UNSTORABLE_TEXT))
                valid = False
        return valid


class MoneyField(StringField):
    """Yuan typed by a person (``1,000.50``), integer fen in ``data``; the typed text is kept
    for redisplay when the form is refused."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_yuan(valuelist[0])
            except AmountError as exc:
                raise ValueError(str(exc)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return yuan_str(self.data) if self.data is not None else ""


class ReasonForm(Form):
    """A one-field form for actions that need a reason (cancel, reject, reverse, return)."""

    reason = TextAreaField(
        _l("原因"), validators=[InputRequired(_l("请填写原因")), Length(max=2000)]
    )


class OpinionForm(Form):
    """An approval with the approver's opinion (审批意见), prefilled 同意 as on a paper form;
    the person may change it or leave it empty."""

    reason = TextAreaField(
        _l("审批意见"), default=_l("同意"), validators=[Optional(), Length(max=2000)]
    )


class ActionForm(Form):
    """A button-only form (approve): CSRF protection and nothing else."""


def show_domain_error(form, error: DomainError, field_names: dict[str, str] | None = None):
    """Put a refusal next to the fields it names (``details.fields``), else above the form.

    ``field_names`` maps the operation's field names to the form's where they differ.
    """
    field_names = field_names or {}
    placed = False
    for name, messages in (error.details.get("fields") or {}).items():
        field = getattr(form, field_names.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.extend(
                [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
            )
            placed = True
    if not placed or not error.details.get("fields"):
        form.form_errors.append(error.message)
