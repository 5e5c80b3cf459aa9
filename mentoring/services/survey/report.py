"""What the preview page shows of a checked file, as plain data (JSON): the same page for a file checked
during the request and for one checked in the background (stored on its :class:`~mentoring.models.SurveyJob`).

New cities and cities the file changes are listed (each change as ``column, before, after``); cities the
file leaves as they are are counted, not listed. Every problem is kept, up to :data:`ERRORS_KEPT`.
"""
from __future__ import annotations

from mentoring.services.survey.validate import SurveyPreview

ROWS_LISTED = 500
ERRORS_KEPT = 2000


def preview_report(preview: SurveyPreview, listed: int = ROWS_LISTED) -> dict:
    errors = preview.errors
    shown = [row for row in preview.rows if row.action != "unchanged" or row.errors]
    return {
        "ok": preview.ok,
        "delimiter": preview.delimiter,
        "rows": len(preview.rows),
        "new": preview.new_count,
        "updated": preview.update_count,
        "unchanged": preview.unchanged_count,
        "problems": len(errors),
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in errors[:ERRORS_KEPT]],
        "listed": [{
            "row": row.row, "name": row.name, "country": row.country, "subdivision": row.subdivision,
            "action": row.action, "areas": row.assessed, "problems": len(row.errors),
            "changes": [list(change) for change in row.changes],
        } for row in shown[:listed]],
        "listable": len(shown),
    }
