"""Forms of the requests blueprint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from mentoring.forms import MultiCheckboxField, choices
from mentoring.services.requests import MESSAGE_MAX, REASON_MAX

LANGUAGE_LABELS = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish")}


class RequestForm(FlaskForm):
    mentee_city_id = SelectField(_l("Your city"), coerce=int)
    areas = MultiCheckboxField(_l("Focus areas"), description=_l("Among the areas this city can mentor."))
    message = TextAreaField(
        _l("Message"), validators=[Length(max=MESSAGE_MAX)],
        description=_l("A few words on what you hope to learn (at most 2,000 characters)."),
    )
    language = SelectField(_l("Language of the message"), choices=choices(LANGUAGE_LABELS.items()))
    language_waived = BooleanField(
        _l("We share no working language and will work with interpretation"),
        description=_l("Only when the two cities share no language; a coordinator then decides."),
    )


class VersionForm(FlaskForm):
    version = HiddenField()


class ReasonForm(VersionForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class PreferencesForm(VersionForm):
    preferred_city_ids = SelectMultipleField(
        _l("Preferred partner cities"), coerce=int,
        description=_l("Up to five cities you would like to work with."),
    )
    avoided_city_ids = SelectMultipleField(
        _l("Cities to avoid"), coerce=int,
        description=_l("Your city is never paired with these, whichever side they are on."),
    )
    regions = MultiCheckboxField(_l("Preferred regions"))
    language_1 = SelectField(_l("First working language"), validators=[Optional()])
    language_2 = SelectField(_l("Second working language"), validators=[Optional()])
    language_3 = SelectField(_l("Third working language"), validators=[Optional()])
    area_1 = SelectField(_l("Most wanted focus area"), validators=[Optional()])
    area_2 = SelectField(_l("Second focus area"), validators=[Optional()])
    area_3 = SelectField(_l("Third focus area"), validators=[Optional()])

    LANGUAGE_FIELDS = ("language_1", "language_2", "language_3")
    AREA_FIELDS = ("area_1", "area_2", "area_3")
