"""Forms of the cities blueprint.

Forms check types and shapes; the business rules (ranges, one city per name and country, levels
allowed for mentoring…) live in :mod:`mentoring.services.cities`, whose field errors the views copy
back onto these forms.
"""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from mentoring.forms import MultiCheckboxField
from mentoring.i18n import localized
from mentoring.rules import CITY_NAME_MAX, TEXT_MAX
from mentoring.services import geography
from mentoring.services.cities import MAX_MENTOR_CAPACITY, REASON_MAX


def _locale() -> str:
    return str(get_locale() or "en")


class VersionedForm(FlaskForm):
    """Every editor section carries the version of the city it was read at."""

    version = HiddenField(validators=[InputRequired()])


class RegisterCityForm(FlaskForm):
    name = StringField(_l("City name"), validators=[DataRequired(), Length(max=CITY_NAME_MAX)])
    country = SelectField(_l("Country"), validators=[DataRequired()], validate_choice=False)
    region = SelectField(
        _l("UCLG region"), validators=[Optional()], validate_choice=False,
        description=_l("Leave empty to use the region of the country."),
    )
    #: Offered when GeoNames knows several cities of the name in the country (choices set by the view).
    geonames_id = RadioField(_l("Which one is yours?"), choices=[], validators=[Optional()], validate_choice=False)
    submit = SubmitField(_l("Register the city"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("Choose a country"))] + geography.country_choices(_locale())
        self.region.choices = [("", _l("Region of the country"))] + geography.region_choices()


class IdentityForm(VersionedForm):
    name = StringField(_l("City name"), validators=[DataRequired(), Length(max=CITY_NAME_MAX)])
    country = SelectField(_l("Country"), validators=[DataRequired()], validate_choice=False)
    subdivision = SelectField(
        _l("Province, state or region"), validators=[Optional()], validate_choice=False,
        description=_l("Tells your city apart from others of the same name in the country. "
                       "After choosing another country, save to see its list."),
    )
    geonames_id = IntegerField(_l("GeoNames identifier"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
                               description=_l("The number in the city's address on geonames.org (coordinators)."))
    region = SelectField(
        _l("UCLG region"), validators=[Optional()], validate_choice=False,
        description=_l("Leave empty to use the region of the country."),
    )
    population = IntegerField(_l("Population"), validators=[Optional(), NumberRange(min=0)])
    latitude = DecimalField(_l("Latitude"), places=None, validators=[Optional(), NumberRange(-90, 90)],
                            description=_l("Decimal degrees, -90 to 90."))
    longitude = DecimalField(_l("Longitude"), places=None, validators=[Optional(), NumberRange(-180, 180)],
                             description=_l("Decimal degrees, -180 to 180."))
    timezone = SelectField(_l("Time zone"), validators=[Optional()], validate_choice=False,
                           description=_l("Used to show session times. Leave empty to use the country's."))
    languages = MultiCheckboxField(
        _l("Working languages"), validators=[Optional()], validate_choice=False,
        description=_l("Tick every language the city works in. Its current languages and its country's come first."),
    )
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          description=_l("For example www.example.org: https:// is added when left out."))
    commissions = MultiCheckboxField(_l("Commissions"), validators=[Optional()], validate_choice=False)
    mentor_capacity = IntegerField(
        _l("Mentor capacity"), default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_MENTOR_CAPACITY)],
        description=_l("How many cities yours can mentor at the same time (0 to 20)."),
    )
    wants_mentor = BooleanField(_l("We would like a mentor city"))
    submit = SubmitField(_l("Save identity"))

    def __init__(self, *args, commissions=(), country="", coordinator=False, **kwargs):
        super().__init__(*args, **kwargs)
        locale = _locale()
        self.country.choices = [("", _l("Choose a country"))] + geography.country_choices(locale)
        # The subdivisions of the country submitted (a changed country shows its own list), else the saved one's.
        self.subdivision.choices = [("", _l("Not given"))] + list(geography.subdivisions(self.country.data or country))
        if not coordinator:
            del self.geonames_id
        self.region.choices = [("", _l("Region of the country"))] + geography.region_choices()
        self.offer_timezones()
        self.languages.choices = geography.language_choices(locale)
        self.commissions.choices = [(c.key, localized(c.labels, c.key)) for c in commissions]
        self.suggested_languages = 0

    def order_languages(self, country: str | None) -> None:
        """Put the chosen languages, then the country's, before every other (alphabetical) one.

        ``suggested_languages`` counts them: the picker shows them as its first group.
        """
        names = dict(self.languages.choices)
        chosen = [c for c in self.languages.data or [] if c in names]
        first = list(dict.fromkeys(chosen + [c for c in geography.country_languages(country) if c in names]))
        self.languages.choices = [(c, names[c]) for c in first] + [
            (code, name) for code, name in names.items() if code not in first]
        self.suggested_languages = len(first)

    def offer_timezones(self) -> None:
        """The time zones of the chosen country first (call again once the country and zone are filled in)."""
        zones = geography.timezone_choices(self.country.data, _locale(), self.timezone.data)
        self.timezone.choices = {None: [("", _l("Time zone of the country"))] + zones.pop(None, []), **zones}


class TextsForm(VersionedForm):
    practices = TextAreaField(
        _l("Practices we can share"), validators=[Optional(), Length(max=TEXT_MAX)],
        description=_l("Projects, tools and lessons other cities could learn from."),
    )
    needs = TextAreaField(
        _l("What we are looking for"), validators=[Optional(), Length(max=TEXT_MAX)],
        description=_l("The challenges where the experience of a peer city would help most."),
    )
    submit = SubmitField(_l("Save texts"))


class CapabilitiesForm(VersionedForm):
    """CSRF and version only: the grid's inputs (one set per area) are read by the view."""

    submit = SubmitField(_l("Save capabilities"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Colleague's e-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), default="mentor")
    submit = SubmitField(_l("Send invitation"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("representative", _l("Representative (edits the profile)")), ("mentor", _l("Mentor"))]


class StatusForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=REASON_MAX)],
                           description=_l("Sent to the city's representatives."))
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))
