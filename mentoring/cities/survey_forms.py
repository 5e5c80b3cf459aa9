"""Forms of the survey import (coordinators)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField


class SurveyUploadForm(FlaskForm):
    file = FileField(
        _l("Survey file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Choose a .csv file (save the spreadsheet as “CSV UTF-8”).")),
        ],
        description=_l("A .csv file saved as UTF-8, with commas or semicolons between cells; at most 1 MiB."),
    )
    submit = SubmitField(_l("Check the file"))


class SurveyConfirmForm(FlaskForm):
    """Confirms the import of the file kept on the server; carries nothing but the CSRF token."""

    submit = SubmitField(_l("Import"))
