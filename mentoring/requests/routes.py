"""Views of requests between cities and of a city's preferences.

Thin: the access decorator decides who may come in, :mod:`mentoring.services.requests` and
:mod:`mentoring.services.preferences` decide what may change; a refused change (ServiceError)
re-renders the form with its field messages, or goes to the app-wide handler.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mentoring import rules
from mentoring.access import coordinator_required, login_required, owner_required
from mentoring.errors import apply_errors
from mentoring.extensions import db
from mentoring.forms import choices
from mentoring.models import City
from mentoring.models.requests import OPEN_REQUEST_STATES
from mentoring.requests import bp
from mentoring.requests.forms import LANGUAGE_LABELS, PreferencesForm, ReasonForm, RequestForm, VersionForm
from mentoring.services import ServiceError
from mentoring.services import preferences as preferences_service
from mentoring.services import requests as service
from mentoring.services.cities.directory import display_name
from mentoring.services.geography import language_choices, region_choices
from mentoring.services.taxonomy import active_areas, area_labels

# --- Access checks (owner_required) -------------------------------------------------------------

def _mentor_city(mentor_city_id: int) -> City:
    city = db.session.get(City, mentor_city_id)
    if city is None or city.status != "verified":
        abort(404)
    return city


def can_request(user, mentor_city_id: int, **_ignored) -> bool:
    """Representatives of a verified city other than the (verified) mentor city."""
    _mentor_city(mentor_city_id)
    return bool(service.requester_cities(user, mentor_city_id))


def _request_or_404(request_id: int):
    request_ = service.get(request_id)
    if request_ is None:
        abort(404)
    return request_


def request_viewer(user, request_id: int, **_ignored) -> bool:
    """Representatives of either city, and coordinators."""
    return service.can_view(user, _request_or_404(request_id))


def request_mentor(user, request_id: int, **_ignored) -> bool:
    """Representatives of the mentor city (they consent for it)."""
    return "mentor" in service.user_sides(user, _request_or_404(request_id))


def request_mentee(user, request_id: int, **_ignored) -> bool:
    """Representatives of the city that asked."""
    return "mentee" in service.user_sides(user, _request_or_404(request_id))


def city_editor(user, city_id: int, **_ignored) -> bool:
    """Representatives of the city, coordinators and administrators."""
    if db.session.get(City, city_id) is None:
        abort(404)
    return rules.is_coordinator(user) or rules.is_representative(user, city_id)


# --- Asking -------------------------------------------------------------------------------------

@bp.route("/new/<int:mentor_city_id>", methods=["GET", "POST"])
@owner_required("request_city", can_request)
def new(mentor_city_id: int):
    mentor = _mentor_city(mentor_city_id)
    form = RequestForm()
    cities = service.requester_cities(current_user, mentor.id)
    form.mentee_city_id.choices = choices((c.id, display_name(c)) for c in cities)
    labels = area_labels()
    offered = service.mentor_areas(mentor.id)
    form.areas.choices = choices((key, labels.get(key, key)) for key in offered)
    if request.method == "GET":
        form.language.data = str(get_locale() or "en")[:2] if str(get_locale())[:2] in LANGUAGE_LABELS else "en"
    status = 200
    if form.validate_on_submit():
        try:
            request_ = service.create(
                current_user, mentee_city_id=form.mentee_city_id.data, mentor_city_id=mentor.id,
                areas=form.areas.data, message=form.message.data, language=form.language.data,
                language_waived=form.language_waived.data,
            )
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("Your request was sent to %(city)s.", city=display_name(mentor)), "success")
            return redirect(url_for("requests.show", request_id=request_.id), 303)
    elif request.method == "POST":
        status = 422
    places = rules.mentor_places(mentor)
    problems = {}
    if request.method == "GET" and len(cities) == 1:
        problems = service.check_pair(mentor, cities[0], language_waived=True)
    return render_template("requests/new.html", form=form, mentor=mentor, places=places,
                           problems=problems, area_labels=labels), status


# --- Reading ------------------------------------------------------------------------------------

def _rows(requests_):
    return [{"request": r, "state": service.effective_state(r),
             "age": format_timedelta(service.age(r), add_direction=False)} for r in requests_]


@bp.route("/")
@login_required
def index():
    city_ids = list(db.session.scalars(rules.represented_city_ids(current_user)))
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(city_ids)))}
    rows = _rows(service.for_cities(city_ids))
    incoming = [r for r in rows if r["request"].mentor_city_id in cities]
    outgoing = [r for r in rows if r["request"].mentee_city_id in cities]
    return render_template("requests/index.html", incoming=incoming, outgoing=outgoing, cities=cities,
                           area_labels=area_labels(), state_label=service.state_label)


@bp.route("/open")
@coordinator_required
def open_list():
    return render_template("requests/open.html", rows=_rows(service.open_requests()),
                           area_labels=area_labels(), state_label=service.state_label)


@bp.route("/<int:request_id>")
@owner_required("request", request_viewer)
def show(request_id: int):
    request_ = _request_or_404(request_id)
    state = service.effective_state(request_)
    sides = service.user_sides(current_user, request_)
    return render_template(
        "requests/show.html", r=request_, state=state, sides=sides,
        age=format_timedelta(service.age(request_), add_direction=False),
        area_labels=area_labels(), state_label=service.state_label, language_labels=LANGUAGE_LABELS,
        version_form=VersionForm(version=request_.version), reason_form=ReasonForm(version=request_.version),
        places=rules.mentor_places(request_.mentor_city), open_states=OPEN_REQUEST_STATES,
        starts_directly=service.starts_directly(),
    )


# --- Decisions ----------------------------------------------------------------------------------

def _decide(request_id: int, action, message: str, *, reason: bool = False):
    form = ReasonForm() if reason else VersionForm()
    if not form.validate_on_submit():
        raise ServiceError(_("The form expired. Please submit it again."), dict(form.errors))
    args = {"reason": form.reason.data or ""} if reason else {}
    action(current_user, request_id, version=form.version.data or None, **args)
    flash(message, "success")
    return redirect(url_for("requests.show", request_id=request_id), 303)


@bp.route("/<int:request_id>/accept", methods=["POST"])
@owner_required("request_mentor", request_mentor)
def accept(request_id: int):
    return _decide(request_id, service.accept, _("You accepted the request."))


@bp.route("/<int:request_id>/decline", methods=["POST"])
@owner_required("request_mentor", request_mentor)
def decline(request_id: int):
    return _decide(request_id, service.decline, _("You declined the request."), reason=True)


@bp.route("/<int:request_id>/withdraw", methods=["POST"])
@owner_required("request_mentee", request_mentee)
def withdraw(request_id: int):
    return _decide(request_id, service.withdraw, _("You withdrew the request."))


@bp.route("/<int:request_id>/approve", methods=["POST"])
@coordinator_required
def approve(request_id: int):
    _request_or_404(request_id)
    return _decide(request_id, service.approve, _("Approved: the mentorship has started."))


@bp.route("/<int:request_id>/reject", methods=["POST"])
@coordinator_required
def reject(request_id: int):
    _request_or_404(request_id)
    return _decide(request_id, service.reject, _("You rejected the request."), reason=True)


# --- Preferences --------------------------------------------------------------------------------

def _preference_choices(form: PreferencesForm, city: City) -> None:
    others = list(db.session.execute(
        select(City.id, City.name, City.country, City.subdivision).where(City.status == "verified", City.id != city.id)
        .order_by(City.name, City.country)
    ))
    city_choices = choices((row.id, f"{display_name(row)} ({row.country})") for row in others)
    form.preferred_city_ids.choices = city_choices
    form.avoided_city_ids.choices = city_choices
    form.regions.choices = choices(region_choices())
    languages = [("", _("—"))] + language_choices(str(get_locale() or "en"))
    for name in form.LANGUAGE_FIELDS:
        getattr(form, name).choices = choices(languages)
    areas = [("", _("—"))] + [(a.key, label) for a, label in
                               ((a, area_labels().get(a.key, a.key)) for a in active_areas())]
    for name in form.AREA_FIELDS:
        getattr(form, name).choices = choices(areas)


@bp.route("/preferences/<int:city_id>", methods=["GET", "POST"])
@owner_required("city", city_editor)
def preferences(city_id: int):
    city = db.session.get(City, city_id)
    saved = preferences_service.get(city.id)
    form = PreferencesForm()
    _preference_choices(form, city)
    status = 200
    if request.method == "GET" and saved is not None:
        form.version.data = saved.version
        form.preferred_city_ids.data = list(saved.preferred_city_ids)
        form.avoided_city_ids.data = list(saved.avoided_city_ids)
        form.regions.data = list(saved.regions)
        for name, value in zip(form.LANGUAGE_FIELDS, list(saved.languages) + [""] * 3):
            getattr(form, name).data = value
        for name, value in zip(form.AREA_FIELDS, list(saved.areas) + [""] * 3):
            getattr(form, name).data = value
    if form.validate_on_submit():
        try:
            preferences_service.save(
                current_user, city,
                preferred_city_ids=form.preferred_city_ids.data, avoided_city_ids=form.avoided_city_ids.data,
                regions=form.regions.data,
                languages=[getattr(form, n).data for n in form.LANGUAGE_FIELDS if getattr(form, n).data],
                areas=[getattr(form, n).data for n in form.AREA_FIELDS if getattr(form, n).data],
                version=form.version.data or None,
            )
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("The preferences of %(city)s are saved. They count from the next round.", city=display_name(city)),
                  "success")
            return redirect(url_for("requests.preferences", city_id=city.id), 303)
    elif request.method == "POST":
        status = 422
    return render_template("requests/preferences.html", form=form, city=city, saved=saved), status


# --- Helpers of other pages' templates (registered by mentoring.templating) ------------------------

def request_mentor_url(city) -> str | None:
    """Where the reader can ask ``city`` to mentor one of the cities they represent (or None).

    Shown on a city's profile and in the directory: a verified city with mentor places, and a
    reader who represents another verified city. The form then says what else stands in the way.
    """
    if not current_user.is_authenticated or city.status != "verified" or not city.mentor_capacity:
        return None
    if "requester_city_ids" not in g:
        g.requester_city_ids = {c.id for c in service.requester_cities(current_user)}
    if not (g.requester_city_ids - {city.id}):
        return None
    return url_for("requests.new", mentor_city_id=city.id)


def mentor_suggestions(city, k: int = 5) -> list[dict]:
    """For a representative's home: the mentor cities that would suit ``city`` best now, explained."""
    from mentoring.services import explanations, suggestions

    if not rules.is_representative(current_user, city.id):
        return []
    items = suggestions.suggestions_for_city(city, k=k)
    for item in items:
        pair = item["pair"]
        item["explanation"] = explanations.explain(item["mentor"], city, list(pair.areas), pair.components,
                                                   stored=pair.explanation)
        item["ask_url"] = url_for("requests.new", mentor_city_id=item["mentor"].id)
    return items
