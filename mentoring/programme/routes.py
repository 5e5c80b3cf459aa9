"""Views of the programme blueprint (/programme) and of its JSON (/api/programme).

Public: the programme page, its aggregated map data (ties between countries, never cities), and
the knowledge library of Peer-Learning Notes (public notes for visitors, every published note for
members). Coordinators: the network with its map, the outcomes, and the Smart Cities Study.
"""
from __future__ import annotations

from datetime import date

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from mentoring.access import coordinator_required, owner_required, public
from mentoring.extensions import db
from mentoring.models import LearningNote, Mentorship
from mentoring.programme import api_bp, bp
from mentoring.programme import views as helpers
from mentoring.services import ServiceError, library, network, outcomes, study
from mentoring.services.geography import REGION_LABELS
from mentoring.services.taxonomy import area_labels

# --- Public --------------------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
@public
def index():
    """What the programme is, how to join, its figures, the map of ties and the latest notes."""
    countries = helpers.country_map(network.network())
    return render_template(
        "programme/index.html", figures=helpers.public_figures(), country_map=countries,
        country_names={n["id"]: n["name"] for n in countries["nodes"]},
        notes=library.items(None, public_only=True, limit=3),
        area_labels=area_labels(), region_labels=REGION_LABELS,
    )


@bp.get("/map.json")
@public
def map_data():
    """The public map: member countries and the number of ties between them (no city, no person)."""
    return jsonify(helpers.country_map(network.network()))


@bp.get("/notes")
@public
def library_index():
    """The knowledge library: search and filter the Peer-Learning Notes the reader may see."""
    filters = helpers.library_filters(request.args)
    items = library.items(current_user, **filters)
    return render_template("programme/library.html", items=items, filters=filters,
                           area_labels=area_labels(), region_labels=REGION_LABELS,
                           languages=helpers.language_names(library.NOTE_LANGUAGES))


@bp.get("/notes/<int:note_id>")
@public
def library_note(note_id: int):
    item = library.find(current_user, note_id)
    if item is None:
        abort(404)
    sides = library.side_for(current_user, item.mentorship) if current_user.is_authenticated else []
    agreed = item.publication is not None and any(getattr(item.publication, f"{side}_consent_at") for side in sides)
    return render_template("programme/note.html", item=item, sides=sides, agreed=agreed,
                           body=helpers.markdown(item.note.markdown),
                           area_labels=area_labels(), region_labels=REGION_LABELS,
                           languages=helpers.language_names(library.NOTE_LANGUAGES))


def check_note_city(user, note_id: int, **_ignored) -> bool:
    """A representative of one of the note's two cities."""
    note = db.session.get(LearningNote, note_id)
    if note is None:
        abort(404)
    return bool(library.side_for(user, db.session.get(Mentorship, note.mentorship_id)))


@bp.post("/notes/<int:note_id>/public")
@owner_required("note_city", check_note_city)
def note_consent(note_id: int):
    """The representative's city agrees (``agree=1``) or no longer agrees to publish the note."""
    note = db.session.get(LearningNote, note_id)
    agree = request.form.get("agree") == "1"
    publication = library.set_consent(current_user, note, agree=agree,
                                      language=request.form.get("language") or None)
    if not agree:
        message = _("Your city no longer agrees to make this note public.")
    elif publication.is_public:
        message = _("Both cities agree: the note is now public.")
    else:
        message = _("Your city agrees. The note becomes public when the other city agrees too.")
    flash(message, "success")
    return redirect(url_for("programme.library_note", note_id=note_id), code=303)


# --- Coordinators ----------------------------------------------------------------------------------


@bp.get("/network")
@coordinator_required
def network_page():
    data = network.network()
    return render_template("programme/network.html", data=data, names=helpers.node_names(data),
                           countries=helpers.country_names(data["metrics"]["not_reached"]["countries"]),
                           filters=helpers.map_filters(data), region_labels=REGION_LABELS,
                           area_labels=area_labels(), income_labels=helpers.income_labels())


@bp.get("/network.json")
@coordinator_required
def network_map_data():
    """The coordinators' map data (cities and ties), for js/programme-map.js."""
    return jsonify(helpers.city_map(network.network()))


@bp.get("/outcomes")
@coordinator_required
def outcomes_page():
    items = outcomes.mentorship_outcomes()
    dimension = request.args.get("by", "round")
    if dimension not in outcomes.DIMENSIONS:
        dimension = "round"
    return render_template("programme/outcomes.html", items=items, dimension=dimension,
                           rows=outcomes.aggregate(items, dimension), total=outcomes.totals(items),
                           chart=helpers.outcome_chart(outcomes.aggregate(items, dimension), dimension),
                           area_labels=area_labels(), region_labels=REGION_LABELS)


@bp.get("/outcomes.csv")
@coordinator_required
def outcomes_csv():
    return Response(outcomes.to_csv(outcomes.mentorship_outcomes()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="mentorship-outcomes.csv"'})


def _as_of() -> date:
    raw = request.args.get("as_of", "").strip()
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(_("Give the date as YYYY-MM-DD."), {"as_of": [_("Give the date as YYYY-MM-DD.")]}) from None


@bp.get("/study")
@coordinator_required
def study_page():
    as_of = _as_of()
    return render_template("programme/study.html", **helpers.study_context(study.compute(as_of)),
                           pdf=helpers.pdf_available())


@bp.get("/study.csv")
@coordinator_required
def study_csv():
    as_of = _as_of()
    return Response(study.to_csv(study.compute(as_of)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="smart-cities-study-{as_of.isoformat()}.csv"'})


@bp.get("/study.pdf")
@coordinator_required
def study_pdf():
    as_of = _as_of()
    if not helpers.pdf_available():
        abort(404)
    html = render_template("programme/study.html", **helpers.study_context(study.compute(as_of)), pdf=False,
                           printing=True)
    return Response(helpers.to_pdf(html, current_app.static_folder), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="smart-cities-study-{as_of.isoformat()}.pdf"'})


# --- JSON API ----------------------------------------------------------------------------------------


@api_bp.get("/network")
@coordinator_required
def api_network():
    """``{"nodes", "edges", "metrics"}`` (see ``mentoring/programme/network.schema.json``)."""
    return jsonify(network.network())
