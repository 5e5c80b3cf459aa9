"""Forms of the rounds blueprint: opening a round and deciding proposals."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import html_params

from mentoring.forms import MultiCheckboxField
from mentoring.services.geography import REGION_LABELS


class OpenRoundForm(FlaskForm):
    name = StringField(_l("Name of the round"), validators=[DataRequired(), Length(max=120)])
    commissions = MultiCheckboxField(
        _l("Commissions"), coerce=int, validators=[DataRequired(message=_l("Choose at least one commission."))]
    )
    regions = MultiCheckboxField(
        _l("Regions"), choices=[SelectChoice(k, v) for k, v in REGION_LABELS.items()],
        description=_l("Leave all unticked to include every region."),
    )
    require_shared_language = BooleanField(
        _l("Pair only cities that share a working language"), default=True,
        description=_l("Recommended: mentoring happens in conversation. Default: on."),
    )
    allow_same_country = BooleanField(
        _l("Allow pairs of cities in the same country"), default=False,
        description=_l("Off by default: the programme favours exchanges across borders."),
    )
    objective = SelectField(
        _l("Objective"),
        choices=[
            SelectChoice("max_coverage", _l("Give a mentor to as many cities as possible, then the best pairs")),
            SelectChoice("max_score", _l("The best total score, even if fewer cities get a mentor")),
        ],
        default="max_coverage",
    )
    weight_complementarity = DecimalField(
        _l("Weight of complementarity"), default=0.7, places=2,
        validators=[InputRequired(), NumberRange(min=0.01, max=10)],
        description=_l("How much the mentor's strengths meet the mentee's needs count. Default 0.7."),
    )
    weight_text = DecimalField(
        _l("Weight of the texts"), default=0.2, places=2, validators=[InputRequired(), NumberRange(min=0, max=10)],
        description=_l("Similarity of what one city practises and the other needs, in their own words. Default 0.2."),
    )
    weight_context = DecimalField(
        _l("Weight of the context"), default=0.1, places=2, validators=[InputRequired(), NumberRange(min=0, max=10)],
        description=_l("Similar size and situation of the two cities. Default 0.1."),
    )
    min_score = DecimalField(
        _l("Minimum score"), default=0, places=2, validators=[InputRequired(), NumberRange(min=0, max=100)],
        description=_l("Pairs scoring below this are never proposed. Default 0 (no minimum)."),
    )
    # The programme's rules (issue 10): each a minimum-cost flow the engine solves exactly.
    max_per_country = IntegerField(
        _l("At most N mentees from one country in this round"), validators=[Optional(), NumberRange(min=1, max=10000)],
        description=_l("So that no single bilateral relation takes the round. Leave empty for no limit."),
    )
    max_per_mentor_country = IntegerField(
        _l("At most k mentees of one country per mentor city"),
        validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l("A mentor city with several places then mentors cities of several countries. "
                       "Leave empty for no limit."),
    )
    priority_floor = IntegerField(
        _l("At least X percent of matched places go to priority mentees"), default=0,
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("Priority mentees are cities of low and lower-middle income countries (World Bank groups); "
                       "their pairs also count 10 % more in the score. Met as far as the eligible pairs allow. "
                       "0: no floor."),
    )
    min_per_region = IntegerField(
        _l("At least M pairs per region"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)],
        description=_l("Met as far as each region's eligible pairs allow. 0: no minimum."),
    )
    cross_commission = SelectField(
        _l("Pairs across commissions"),
        choices=[
            SelectChoice("off", _l("Off")),
            SelectChoice("bonus", _l("Rewarded (bonus below)")),
            SelectChoice("required", _l("Required")),
        ],
        default="off",
        description=_l("Pairs of cities from different commissions, in a round that spans several (e.g. a Digital "
                       "Cities mentor with an Urban Mobility mentee): rewarded with a bonus, or the only pairs "
                       "allowed."),
    )
    cross_commission_bonus = DecimalField(
        _l("Bonus for a pair across commissions"), default=0.1, places=2,
        validators=[Optional(), NumberRange(min=0, max=10)],
        description=_l("Added to the score of such a pair when they are rewarded. Default 0.1."),
    )
    seed = IntegerField(
        _l("Seed"), default=0, validators=[Optional(), NumberRange(min=0, max=2**31 - 1)],
        description=_l("The same seed and the same data give the same proposals."),
    )

    @property
    def weights(self):
        """Where the engine's errors on ``weights`` are shown (see :func:`mentoring.errors.apply_errors`)."""
        return self.weight_complementarity

    def engine_params(self) -> dict:
        return {
            "require_shared_language": bool(self.require_shared_language.data),
            "allow_same_country": bool(self.allow_same_country.data),
            "objective": self.objective.data,
            "weights": {
                "complementarity": float(self.weight_complementarity.data),
                "text": float(self.weight_text.data),
                "context": float(self.weight_context.data),
            },
            "min_score": float(self.min_score.data),
            "max_per_country": self.max_per_country.data or None,
            "max_per_mentor_country": self.max_per_mentor_country.data or None,
            "priority_floor": (self.priority_floor.data or 0) / 100,
            "min_per_region": self.min_per_region.data or 0,
            "cross_commission": self.cross_commission.data,
            "cross_commission_bonus": float(self.cross_commission_bonus.data if self.cross_commission_bonus.data
                                            is not None else 0.1),
        }


class ActionForm(FlaskForm):
    """A bare form for buttons (CSRF only)."""


class DecisionForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ReasonForm(DecisionForm):
    reason = TextAreaField(_l("Reason"),
                           validators=[DataRequired(message=_l("Please give a reason.")), Length(max=2000)])


_BOX = Markup('<li><input%s id="%s-%d" name="%s" type="checkbox" value="%s"> <label for="%s-%d">%s</label></li>')
_CHECKED = Markup(" checked")


class CheckboxList:
    """The markup of ``ListWidget(prefix_label=False)`` with ``CheckboxInput``, one ``Markup % values`` a box:
    WTForms builds each box's attributes and label through ``html_params`` and field objects, a quarter of
    the proposal page's time for the 25 focus areas."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        boxes = Markup("").join(
            _BOX % (_CHECKED if checked else "", field.id, n, field.name, value, field.id, n, label)
            for n, (value, label, checked, _render_kw) in enumerate(field.iter_choices()))
        return Markup("<ul %s>%s</ul>") % (html_params(**kwargs), boxes)


class AreasForm(DecisionForm):
    areas = MultiCheckboxField(_l("Focus areas"), widget=CheckboxList(),
                               validators=[DataRequired(message=_l("Choose at least one focus area."))])


class ManualMatchForm(FlaskForm):
    mentor = IntegerField(validators=[DataRequired()])
