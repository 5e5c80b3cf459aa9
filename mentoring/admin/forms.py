"""Forms of the admin blueprint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional

ROLE_CHOICES = [
    SelectChoice("none", _l("No programme role")),
    SelectChoice("coordinator", _l("Coordinator")),
    SelectChoice("admin", _l("Administrator")),
]


class RoleForm(FlaskForm):
    role = SelectField(_l("Programme role"), choices=ROLE_CHOICES)
    reason = StringField(_l("Reason (kept in the audit trail)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Change the role"))


class ActiveForm(FlaskForm):
    """Deactivate (``active=0``) or reactivate (``active=1``); repeating it changes nothing."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])
    # Not "reason": the role form on the same page has one, and ids must be unique.
    access_reason = StringField(_l("Reason (kept in the audit trail)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Apply"))
