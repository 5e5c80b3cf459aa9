"""The programme seen whole: the public page and knowledge library, and the coordinators' network,
map, outcomes and Smart Cities Study (url prefix /programme), plus their JSON (/api/programme)."""
from flask import Blueprint

bp = Blueprint("programme", __name__)
api_bp = Blueprint("programme_api", __name__)


@api_bp.record_once
def _no_login_redirect(state) -> None:
    # A JSON client is told 401, not redirected to the sign-in page.
    from mentoring.extensions import login_manager

    login_manager.blueprint_login_views["programme_api"] = None


from mentoring.programme import routes  # noqa: E402,F401  (registers the views)
