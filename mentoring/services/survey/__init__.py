"""Survey import and export: many city profiles as one CSV file.

* :mod:`.columns` — the format (columns, safe cells);
* :mod:`.parse` — reading bytes into checked rows;
* :mod:`.validate` — :func:`preview_import`: every problem by row and column, against the database,
  without writing;
* :mod:`.importer` — :func:`import_csv`: all or nothing (a SAVEPOINT in the caller's transaction);
* :mod:`.export` — :func:`export_csv` (same columns, so export → import round-trips) and the template;
* :mod:`.report` — what the preview page shows, as plain data;
* :mod:`.uploads` — files kept between a preview and its confirmation;
* :mod:`.background` — large files checked and imported in the background (:class:`~mentoring.models.SurveyJob`).
"""
from __future__ import annotations

from mentoring.services.survey.background import (
    create_job,
    display_status,
    estimated_rows,
    is_stale,
    purge_uploads,
    request_import,
    runs_in_background,
)
from mentoring.services.survey.columns import BASE_COLUMNS, columns
from mentoring.services.survey.export import (
    export_csv,
    export_filename,
    export_query,
    template_csv,
)
from mentoring.services.survey.importer import (
    ImportSummary,
    SurveyError,
    import_csv,
)
from mentoring.services.survey.parse import CellError
from mentoring.services.survey.report import preview_report
from mentoring.services.survey.uploads import (
    discard_upload,
    load_upload,
    store_upload,
    upload_dir,
)
from mentoring.services.survey.validate import SurveyPreview, preview_import

__all__ = [
    "BASE_COLUMNS",
    "CellError",
    "ImportSummary",
    "SurveyError",
    "SurveyPreview",
    "columns",
    "create_job",
    "display_status",
    "estimated_rows",
    "is_stale",
    "preview_report",
    "purge_uploads",
    "request_import",
    "runs_in_background",
    "discard_upload",
    "export_csv",
    "export_filename",
    "export_query",
    "import_csv",
    "load_upload",
    "preview_import",
    "store_upload",
    "template_csv",
    "upload_dir",
]
