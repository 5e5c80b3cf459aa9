"""Forms of the rounds blueprint: opening a round and deciding proposals."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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
        }


class ActionForm(FlaskForm):
    """A bare form for buttons (CSRF only)."""


class DecisionForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ReasonForm(DecisionForm):
    reason = TextAreaField(_l("Reason"),
                           validators=[DataRequired(message=_l("Please give a reason.")), Length(max=2000)])


class AreasForm(DecisionForm):
    areas = MultiCheckboxField(_l("Focus areas"),
                               validators=[DataRequired(message=_l("Choose at least one focus area."))])


class ManualMatchForm(FlaskForm):
    mentor = IntegerField(validators=[DataRequired()])
