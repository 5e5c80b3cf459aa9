"""Form pieces shared by the blueprints' forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.widgets import CheckboxInput, ListWidget

__all__ = ["MultiCheckboxField", "choices"]


def _render_field(meta, field, render_kw):
    """Render the CSRF token without an ``id``: a page may hold many forms, and ids must be unique
    (WCAG 4.1.1); nothing refers to the token by id, only by name."""
    if field.type == "CSRFTokenField":
        render_kw = {"id": False, **render_kw}
    return DefaultMeta.render_field(meta, field, render_kw)


FlaskForm.Meta.render_field = _render_field  # every form of the application inherits FlaskForm.Meta


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), …]`` as the SelectChoice objects WTForms 3.3 wants (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A list of check boxes: easier to use, by mouse, touch and keyboard, than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
