"""Survey import and export: many city profiles as one CSV file.

* :mod:`.columns` — the format (columns, safe cells);
* :mod:`.parse` — reading bytes into checked rows;
* :mod:`.validate` — :func:`preview_import`: every problem by row and column, against the database,
  without writing;
* :mod:`.importer` — :func:`import_csv`: all or nothing, in the caller's transaction;
* :mod:`.export` — :func:`export_csv` (same columns, so export → import round-trips) and the template;
* :mod:`.uploads` — files kept between a preview and its confirmation.
"""
from __future__ import annotations

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
    apply_import,
    import_csv,
)
from mentoring.services.survey.parse import CellError
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
    "apply_import",
    "columns",
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
