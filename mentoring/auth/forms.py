"""Forms of the auth blueprint.

Forms hold only the fields a user may set: anything else in a request body (role, active,
session_token…) is ignored because the views read values from the form, never from the body.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

# Each language named in itself (lang attribute so screen readers pronounce it right).
LANGUAGE_CHOICES = [
    SelectChoice(code, name, render_kw={"lang": code})
    for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español"))
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 10 characters. A few unrelated words make a strong password."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES, default="en")
    submit = SubmitField(_l("Create my account"))


class EmailForm(FlaskForm):
    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 10 characters. A few unrelated words make a strong password."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Save the new password"))


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])


class AccountForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Save"))


class ActionForm(FlaskForm):
    """A button that POSTs (with its CSRF token): confirm, log out everywhere, mark read."""

    submit = SubmitField(_l("Confirm"))
