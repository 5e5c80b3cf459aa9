"""Forms of the mentorship workspace; choices that depend on the mentorship are set by the views."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from mentoring.forms import MultiCheckboxField, choices
from mentoring.services import workspace


def format_choices():
    return choices(workspace.session_format_labels().items())


class SessionForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts at (local date and time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message=_l("Give the date and time."))])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[InputRequired(message=_l("Give the duration in minutes.")),
                    NumberRange(min=1, max=20160, message=_l("A session lasts from 1 minute to two weeks."))],
        default=60,
    )
    format = SelectField(_l("Format"), choices=format_choices, validators=[DataRequired()])
    travel = StringField(_l("Study visit: who travelled where"), validators=[Length(max=500)],
                         description=_l("For example: two officials of Lyon visited Dakar's data office."))
    meeting_url = StringField(_l("Meeting link"), validators=[Length(max=500)],
                              description=_l("A video call address starting with https://"))
    place = StringField(_l("Place (address)"), validators=[Length(max=300)],
                        description=_l("Where the session happens, when it is not online."))
    place_city = StringField(_l("City of the place"), validators=[Length(max=120)])
    areas = MultiCheckboxField(_l("Focus areas covered"), choices=[])
    attendees = TextAreaField(_l("Attendees"), validators=[Length(max=2000)],
                              description=_l("Names and roles, one per line."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=10000)])
    outcomes = TextAreaField(_l("Outcomes"), validators=[Length(max=10000)])
    next_steps = TextAreaField(_l("Next steps"), validators=[Length(max=5000)])
    idempotency_key = HiddenField()
    version = HiddenField()
    submit = SubmitField(_l("Save session"))


class CreateMentorshipForm(FlaskForm):
    mentor_city_id = SelectField(_l("Mentor city"), coerce=int,
                                 validators=[DataRequired(message=_l("Choose the mentor city."))])
    mentee_city_id = SelectField(_l("Mentee city"), coerce=int,
                                 validators=[DataRequired(message=_l("Choose the mentee city."))])
    areas = MultiCheckboxField(_l("Focus areas"), choices=[],
                               validators=[DataRequired(message=_l("Choose at least one focus area."))])
    start_date = DateField(_l("Start"), validators=[InputRequired(message=_l("Give the start date."))])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])
    submit = SubmitField(_l("Create mentorship"))


class AssignMentorForm(FlaskForm):
    side = HiddenField(validators=[DataRequired()])
    user_id = SelectField(_l("Person"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))


class GoalForm(FlaskForm):
    area_key = SelectField(_l("Focus area"), validators=[DataRequired()])
    statement = TextAreaField(_l("Goal"), validators=[DataRequired(message=_l("Describe the goal.")),
                                                      Length(max=2000)])
    target_date = DateField(_l("Target date"), validators=[Optional()])
    submit = SubmitField(_l("Add goal"))


class GoalProgressForm(FlaskForm):
    progress = IntegerField(_l("Progress (%)"), validators=[
        InputRequired(message=_l("Give the progress.")),
        NumberRange(min=0, max=100, message=_l("Progress is a percentage from 0 to 100."))])
    status = SelectField(_l("Status"), choices=lambda: choices(
        (k, v) for k, v in workspace.goal_status_labels().items() if k in ("open", "achieved", "dropped")))
    target_date = DateField(_l("Target date"), validators=[Optional()])
    submit = SubmitField(_l("Update goal"))


def fit_choices():
    return choices(workspace.fit_labels().items())


class SessionFeedbackForm(FlaskForm):
    fit = RadioField(_l("How well does the pairing fit?"), choices=fit_choices,
                     validators=[InputRequired(message=_l("Choose how well the pairing fits."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=5000)])
    coordinators_only = BooleanField(_l("Only coordinators may read my comment"))
    submit = SubmitField(_l("Send feedback"))


class CloseFeedbackForm(SessionFeedbackForm):
    rating = RadioField(_l("Overall rating"), coerce=int,
                        choices=lambda: choices((i, f"{i} · {name}") for i, name in workspace.rating_labels().items()),
                        validators=[InputRequired(message=_l("Give a rating from 1 to 5."))])


class CloseForm(FlaskForm):
    state = RadioField(_l("Close as"),
                       choices=lambda: choices((k, v) for k, v in workspace.state_labels().items() if k != "active"),
                       validators=[InputRequired(message=_l("Choose how the mentorship ends."))])
    outcome = TextAreaField(_l("Outcome"), validators=[Length(max=5000)],
                            description=_l("What changed for the mentee city?"))
    reason = TextAreaField(_l("Reason (required to withdraw)"), validators=[Length(max=2000)])
    version = HiddenField()
    submit = SubmitField(_l("Close mentorship"))


class LinkForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    url = StringField(_l("Address (URL)"), validators=[
        DataRequired(), Length(max=500),
        URL(require_tld=False, message=_l("Give a web address starting with https:// or http://."))])
    submit = SubmitField(_l("Add link"))


class NoteForm(FlaskForm):
    markdown = TextAreaField(_l("Peer-Learning Note (Markdown)"),
                             validators=[DataRequired(message=_l("The note is empty.")), Length(max=50000)])
    save = SubmitField(_l("Save draft"))
    publish = SubmitField(_l("Publish to the programme"))


class ConfirmForm(FlaskForm):
    """An empty form: the CSRF token of a button that changes something."""

    submit = SubmitField(_l("Confirm"))
