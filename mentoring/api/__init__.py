"""The api blueprint: JSON for scripts and the pages' JavaScript (url prefix /api)."""
from flask import Blueprint

bp = Blueprint("api", __name__)


@bp.record_once
def _no_login_redirect(state) -> None:
    # A JSON client is told 401, not redirected to the sign-in page (Flask-Login aborts with 401
    # when a blueprint's login view is None).
    from mentoring.extensions import login_manager

    login_manager.blueprint_login_views["api"] = None


from mentoring.api import routes  # noqa: E402, F401  (registers the views, after bp exists)
