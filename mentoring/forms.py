"""Form pieces shared by the blueprints' forms."""
from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

__all__ = ["MultiCheckboxField", "choices"]


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), …]`` as the SelectChoice objects WTForms 3.3 wants (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A list of check boxes: easier to use, by mouse, touch and keyboard, than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
