"""Forms of the people blueprint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from mentoring.models.people import DELIVERIES, EVENTS
from mentoring.services import mail_preferences as preferences


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class PreferencesForm(FlaskForm):
    show_email = BooleanField(_l("Show my e-mail address to the people of the paired city"))

    @classmethod
    def build(cls, current: dict[str, str], show_email: bool, formdata=None):
        labels = preferences.delivery_labels()
        attributes = {}
        for event, label in preferences.event_labels().items():
            attributes[f"event_{event}"] = SelectField(label)
        form_class = type("BoundPreferencesForm", (cls,), attributes)
        form = form_class(formdata=formdata, data={
            **{f"event_{e}": current.get(e, "immediate") for e in EVENTS}, "show_email": show_email})
        for field in form.event_fields():
            field.choices = [(d, labels[d]) for d in DELIVERIES]
        return form

    def event_fields(self):
        return [getattr(self, f"event_{e}") for e in EVENTS]


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(message=_l("Write a message first.")),
                                                    Length(max=5000)])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the person's name.")), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[DataRequired(message=_l("Enter a valid e-mail address.")),
                                                   Length(max=254)])
    role = StringField(_l("Role"), validators=[Optional(), Length(max=120)],
                       description=_l("e.g. International relations officer"))
    languages = StringField(_l("Languages"), validators=[Optional(), Length(max=60)],
                            description=_l("Two-letter codes separated by commas, e.g. en, fr"))
    timezone = StringField(_l("Time zone"), validators=[Optional(), Length(max=64)],
                           description=_l("e.g. America/Mexico_City"))
    show_email = BooleanField(_l("Show the e-mail address to the paired city"), default=True)


class AskContactForm(FlaskForm):
    contact = SelectField(_l("Programme contact"), coerce=int)


class InviteForm(FlaskForm):
    email = StringField(_l("E-mail of the representative to invite"),
                        validators=[DataRequired(message=_l("Enter a valid e-mail address.")), Length(max=254)])


class EndorseLinkForm(FlaskForm):
    reason = TextAreaField(_l("Reason (needed to decline)"), validators=[Optional(), Length(max=2000)])


class CircularForm(FlaskForm):
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    body_en = TextAreaField(_l("Text (English, Markdown)"), validators=[Optional(), Length(max=20000)])
    title_fr = StringField(_l("Title (French)"), validators=[Optional(), Length(max=200)])
    body_fr = TextAreaField(_l("Text (French, Markdown)"), validators=[Optional(), Length(max=20000)])
    title_es = StringField(_l("Title (Spanish)"), validators=[Optional(), Length(max=200)])
    body_es = TextAreaField(_l("Text (Spanish, Markdown)"), validators=[Optional(), Length(max=20000)])
    audience = SelectField(_l("Audience"))
    audience_value = SelectField(_l("Region, commission or round"), validate_choice=False)
    version = HiddenField()

    def texts(self) -> dict:
        return {code: {"title": getattr(self, f"title_{code}").data, "body": getattr(self, f"body_{code}").data}
                for code in ("en", "fr", "es")}
