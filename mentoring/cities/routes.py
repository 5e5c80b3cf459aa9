"""Views of the cities blueprint: directory, profiles, the profile editor, members, verification.

Views stay thin: they load the city, let the access decorator decide, call
:mod:`mentoring.services.cities` and render or redirect; the request's commit point
(:func:`mentoring.database.commit_response`) commits or rolls back. What the pages show is
computed in :mod:`mentoring.cities.presenters`.
"""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mentoring.access import (
    coordinator_required,
    login_required,
    owner_required,
    public,
)
from mentoring.cities import bp, presenters
from mentoring.cities.forms import (
    CapabilitiesForm,
    ConfirmForm,
    IdentityForm,
    InviteForm,
    RegisterCityForm,
    StatusForm,
    TextsForm,
)
from mentoring.errors import apply_errors, json_error, wants_json
from mentoring.extensions import db
from mentoring.i18n import localized
from mentoring.models import (
    Assessment,
    City,
    CityInvitation,
    CityMember,
    Commission,
    utcnow,
)
from mentoring.models.cities import CITY_STATUSES
from mentoring.rules import TEXT_MAX, check_version
from mentoring.services import Conflict, ServiceError, geography, taxonomy
from mentoring.services import cities as service
from mentoring.urls import safe_next

# --- Access checks (owner_required) ---------------------------------------------------------

def _city(city_id: int) -> City:
    city = g.get("city")
    if city is None or city.id != city_id:
        city = db.get_or_404(City, city_id)
        g.city = city
    return city


def city_editor(user, city_id: int, **_ignored) -> bool:
    """Representatives of the city, coordinators and administrators."""
    return service.can_edit(_city(city_id), user)


def city_viewer(user, city_id: int, **_ignored) -> bool:
    """Verified cities for every signed-in user; others only for members and coordinators (404)."""
    city = _city(city_id)
    if not service.can_view(city, user):
        abort(404)
    return True


# --- Directory ------------------------------------------------------------------------------

@bp.get("/")
@login_required
def directory():
    filters = service.directory_filters(request.args, coordinator=current_user.is_coordinator)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = min(current_app.config["CITIES_PER_PAGE"], 100)
    stmt, params = service.directory_query(filters, coordinator=current_user.is_coordinator)
    locale = presenters.locale()
    areas = taxonomy.active_areas()
    if wants_json():
        pagination = db.paginate(stmt.options(
            selectinload(City.languages), selectinload(City.commissions),
            selectinload(City.assessments.and_(Assessment.can_mentor)).lazyload(Assessment.area),
        ).params(params), page=page, per_page=per_page, max_per_page=100, error_out=False)
        area_keys = {area.id: area.key for area in areas}
        return jsonify({
            "cities": [presenters.city_summary(city, locale, area_keys) for city in pagination.items],
            "page": pagination.page, "pages": pagination.pages, "total": pagination.total,
        })
    # Plain rows (no ORM objects) with their languages, commissions and offers in one more query.
    pagination = service.DirectoryPage(stmt, params, page, per_page)
    commissions = list(db.session.scalars(select(Commission).order_by(Commission.id)))
    # Labels in the current language, looked up once per page rather than once per row.
    area_labels = {area.id: localized(area.labels, area.key) for area in areas}
    commission_labels = {c.id: localized(c.labels, c.key) for c in commissions}
    region_choices = geography.region_choices()
    lines = presenters.directory_lines(
        pagination.items, area_labels=area_labels, commission_labels=commission_labels,
        country_names=geography.country_names(locale), region_labels=dict(region_choices))
    return render_template(
        "cities/directory.html",
        pagination=pagination, lines=lines, filters=filters,
        # Long option lists go through select_options (rendered once per list and language).
        area_choices=[(area.key, area_labels[area.id]) for area in areas],
        commission_choices=[(c.key, commission_labels[c.id]) for c in commissions],
        country_choices=geography.country_choices(locale),
        language_choices=geography.language_choices(locale),
        region_choices=region_choices,
        subdivision_choices=geography.subdivisions(filters["country"]) if filters["country"] else (),
        statuses=CITY_STATUSES,
        active_filters=sum(1 for k, v in filters.items() if v and k != "sort"),
    )


# --- My cities, registration ----------------------------------------------------------------

@bp.get("/mine")
@login_required
def mine():
    memberships = list(db.session.scalars(
        select(CityMember)
        .where(CityMember.user_id == current_user.id)
        .options(selectinload(CityMember.city).selectinload(City.assessments))
        .order_by(CityMember.created_at)
    ))
    area_count = len(taxonomy.active_areas())
    return render_template("cities/mine.html", memberships=memberships, area_count=area_count)


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    confirmed = current_user.email_confirmed_at is not None
    form = RegisterCityForm()
    status = 200
    if confirmed and form.validate_on_submit():
        if presenters.offer_homonyms(form):  # several cities of this name in the country: the user chooses
            return render_template("cities/register.html", form=form, confirmed=confirmed)
        chosen = form.geonames_id.data if form.geonames_id.choices and form.geonames_id.data != "other" else None
        try:
            city = service.register_city(
                current_user, name=form.name.data, country=form.country.data, region=form.region.data or None,
                geonames_id=chosen,
            )
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("%(city)s is registered. A coordinator will verify it; meanwhile, complete its profile.",
                    city=service.display_name(city)), "success")
            return redirect(url_for("cities.edit_identity", city_id=city.id))
    elif request.method == "POST":
        status = 422 if confirmed else 403
    return render_template("cities/register.html", form=form, confirmed=confirmed), status


# --- Profile --------------------------------------------------------------------------------

@bp.get("/<int:city_id>")
@owner_required("city_view", city_viewer)
def profile(city_id: int):
    city = db.session.scalars(
        select(City).where(City.id == city_id).options(
            selectinload(City.languages),
            selectinload(City.commissions),
            # (Each assessment's area is one of the taxonomy's, which the page holds: no join to load it again.)
            selectinload(City.assessments).lazyload(Assessment.area),
            selectinload(City.members).selectinload(CityMember.user),
        )
    ).one()
    locale = presenters.locale()
    insider = current_user.is_coordinator or service.is_member(city, current_user)
    grid = presenters.grid(city)
    if wants_json():
        keys = {row["area"].id: row["area"].key for axis in grid for row in axis["rows"]}
        data = presenters.city_summary(city, locale, keys)
        data.update({
            "timezone": city.timezone, "website": service.safe_website(city.website),
            "practices": city.practices, "needs": city.needs,
            "assessments": {
                row["area"].key: {"maturity": row["assessment"].maturity, "need": row["assessment"].need,
                                  "can_mentor": row["assessment"].can_mentor}
                for axis in grid for row in axis["rows"] if row["assessment"]
            },
        })
        if insider:
            data["members"] = [{"name": m.user.name, "role": m.role} for m in city.members]
        return jsonify(data)
    status_forms = {}
    if current_user.is_coordinator:
        for action, (sources, _target, _needs_reason) in service.STATUS_ACTIONS.items():
            if city.status in sources:
                status_forms[action] = StatusForm(action=action, next=url_for("cities.profile", city_id=city.id))
    return render_template(
        "cities/profile.html",
        city=city, grid=grid, chart=presenters.chart_data(grid), insider=insider,
        can_edit=service.can_edit(city, current_user),
        website=service.safe_website(city.website),
        country_name=geography.country_name(city.country, locale),
        region_label=geography.REGION_LABELS.get(city.region, city.region),
        languages=[(code, geography.language_name(code, locale)) for code in city.language_codes],
        commissions=[localized(m.commission.labels, m.commission.key) for m in city.commissions],
        status_forms=status_forms,
        # The grid's level and need names, translated once per page rather than once per area.
        level_names=[taxonomy.level_name(level) for level in range(5)],
        need_names=[taxonomy.need_name(level) for level in range(4)],
        idle_mentor_areas=service.idle_mentor_areas(city) if service.can_edit(city, current_user) else [],
    )


# --- Editor ---------------------------------------------------------------------------------

def _editor(template: str, city: City, status: int = 200, **context):
    form = context.get("form")
    if isinstance(form, IdentityForm):  # the language picker: the city's and its country's languages first
        form.order_languages(form.country.data)
    return render_template(template, city=city, idle_mentor_areas=service.idle_mentor_areas(city), **context), status


@bp.route("/<int:city_id>/edit", methods=["GET", "POST"])
@owner_required("city", city_editor)
def edit_identity(city_id: int):
    city = _city(city_id)
    commissions = list(db.session.scalars(select(Commission).order_by(Commission.id)))
    form = IdentityForm(commissions=commissions, country=city.country, coordinator=current_user.is_coordinator)
    if request.method == "GET":
        snapshot = service.identity_snapshot(city)
        for name in ("name", "country", "subdivision", "geonames_id", "region", "population", "latitude",
                     "longitude", "timezone", "website", "mentor_capacity", "wants_mentor", "languages",
                     "commissions"):
            if name in form:
                getattr(form, name).data = snapshot[name]
        form.offer_timezones()
        form.version.data = city.version
        return _editor("cities/edit_identity.html", city, form=form, section="identity")
    status, conflict = 422, None
    if form.validate_on_submit():
        fields = {
            "name": form.name.data, "country": form.country.data, "region": form.region.data,
            "population": form.population.data,
            "latitude": None if form.latitude.data is None else float(form.latitude.data),
            "longitude": None if form.longitude.data is None else float(form.longitude.data),
            "timezone": form.timezone.data, "languages": form.languages.data or [],
            "website": form.website.data, "commissions": form.commissions.data or [],
            "mentor_capacity": form.mentor_capacity.data, "wants_mentor": form.wants_mentor.data,
        }
        # The place's identity, when the form carried it (the GeoNames id only on coordinators' forms).
        fields.update({name: form[name].data for name in ("subdivision", "geonames_id")
                       if name in form and form[name].raw_data})
        saved, status, conflict = _save_identity(city, form, fields)
        if saved:
            flash(_("The identity of %(city)s is saved.", city=service.display_name(city)), "success")
            return redirect(url_for("cities.edit_identity", city_id=city.id))
    return _editor("cities/edit_identity.html", city, status, form=form, section="identity", conflict=conflict)


def _save_identity(city, form, fields: dict) -> tuple[bool, int, dict | None]:
    """Save an editor section; on refusal keep the user's input: ``(saved, status, conflict)``.

    A stale version gives 409 with what changed meanwhile, and the form takes the current version
    so that saving again is a deliberate overwrite.
    """
    try:
        service.update_identity(city, current_user, form.version.data, **fields)
    except ServiceError as error:
        if not db.session.is_active:
            raise  # the write itself failed (a lost race): the app-wide handler rolls back and explains
        if isinstance(error, Conflict):
            form.version.data = city.version
            return False, 409, {"message": error.message, "fields": presenters.conflict_diff(city, form, fields)}
        return False, apply_errors(form, error), None
    return True, 200, None


@bp.route("/<int:city_id>/edit/texts", methods=["GET", "POST"])
@owner_required("city", city_editor)
def edit_texts(city_id: int):
    city = _city(city_id)
    form = TextsForm()
    if request.method == "GET":
        form.practices.data, form.needs.data, form.version.data = city.practices, city.needs, city.version
        return _editor("cities/edit_texts.html", city, form=form, section="texts")
    status, conflict = 422, None
    if form.validate_on_submit():
        fields = {"practices": form.practices.data or "", "needs": form.needs.data or ""}
        saved, status, conflict = _save_identity(city, form, fields)
        if saved:
            flash(_("The texts of %(city)s are saved.", city=service.display_name(city)), "success")
            return redirect(url_for("cities.edit_texts", city_id=city.id))
    return _editor("cities/edit_texts.html", city, status, form=form, section="texts", conflict=conflict)


@bp.route("/<int:city_id>/edit/capabilities", methods=["GET", "POST"])
@owner_required("city", city_editor)
def edit_capabilities(city_id: int):
    city = _city(city_id)
    areas = taxonomy.active_areas()
    form = CapabilitiesForm()
    current = service.current_assessments(city)
    saved = {
        key: {"maturity": str(a.maturity), "need": str(a.need), "can_mentor": a.can_mentor, "evidence": a.evidence}
        for key, a in current.items()
    }
    errors: dict[str, list[str]] = {}
    status, conflict, values = 200, None, saved
    if request.method == "GET":
        form.version.data = city.version
    elif form.validate_on_submit():
        values = presenters.grid_values(areas, request.form)
        try:
            check_version(city, form.version.data, service.conflict_message())
            changed = service.set_assessments(city, values, current_user)
        except ServiceError as error:
            if not db.session.is_active:
                raise  # the write itself failed (a lost race): the app-wide handler rolls back and explains
            if isinstance(error, Conflict):
                differing = presenters.capability_conflict(city, areas, values)
                status, conflict = 409, {"message": error.message, "areas": differing}
                form.version.data = city.version
            else:
                errors, status = error.errors, error.status
        else:
            flash(_("Capabilities saved: %(n)d area(s) changed.", n=changed), "success")
            return redirect(url_for("cities.edit_capabilities", city_id=city.id))
    else:
        values, status = presenters.grid_values(areas, request.form), 422
    return _editor(
        "cities/edit_capabilities.html", city, status, form=form, section="capabilities",
        axes=taxonomy.axes_with_areas(areas), values=values, errors=errors, conflict=conflict,
        text_max=TEXT_MAX,
        level_names=[taxonomy.level_name(i) for i in range(5)],
        need_names=[taxonomy.need_name(i) for i in range(4)],
    )




# --- Members and invitations ----------------------------------------------------------------

@bp.route("/<int:city_id>/members", methods=["GET", "POST"])
@owner_required("city", city_editor)
def members(city_id: int):
    city = _city(city_id)
    form = InviteForm()
    status = 200
    if form.validate_on_submit():
        try:
            _invitation, _token = service.invite_member(city, current_user, form.email.data, form.role.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("An invitation was sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("cities.members", city_id=city.id))
    elif request.method == "POST":
        status = 422
    member_rows = list(db.session.scalars(
        select(CityMember).where(CityMember.city_id == city.id)
        .options(selectinload(CityMember.user)).order_by(CityMember.role.desc(), CityMember.created_at)
    ))
    invitations = list(db.session.scalars(
        select(CityInvitation).where(
            CityInvitation.city_id == city.id, CityInvitation.accepted_at.is_(None),
            CityInvitation.expires_at > utcnow(),
        ).order_by(CityInvitation.created_at.desc())
    ))
    representatives = sum(1 for m in member_rows if m.role == "representative")
    return render_template(
        "cities/members.html", city=city, form=form, members=member_rows, invitations=invitations,
        representatives=representatives, remove_form=ConfirmForm(), section="members",
    ), status


@bp.post("/<int:city_id>/members/<int:user_id>/remove")
@owner_required("city", city_editor)
def remove_member(city_id: int, user_id: int):
    city = _city(city_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.remove_member(city, current_user, user_id)
    except ServiceError as error:  # refused before anything was written
        flash(error.message, "error")
    else:
        flash(_("The member was removed."), "success")
    return redirect(url_for("cities.members", city_id=city_id))


@bp.get("/invitations/<token>")
@public
def invitation(token: str):
    invitation = service.find_invitation(token)
    problem = service.invitation_problem(invitation)
    wrong_account = (
        problem is None and current_user.is_authenticated
        and current_user.email.lower() != invitation.email.lower()
    )
    return render_template(
        "cities/invitation.html", invitation=invitation, problem=problem, token=token,
        wrong_account=wrong_account, form=ConfirmForm(),
    ), (404 if invitation is None else 200)


@bp.post("/invitations/<token>")
@login_required
def accept_invitation(token: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        member = service.accept_invitation(token, current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("cities.invitation", token=token))
    flash(_("Welcome to %(city)s.", city=service.display_name(member.city)), "success")
    return redirect(url_for("cities.mine"))


# --- Verification ---------------------------------------------------------------------------

@bp.get("/verification")
@coordinator_required
def verification_queue():
    status = request.args.get("status", "pending")
    if status not in CITY_STATUSES:
        status = "pending"
    cities = list(db.session.scalars(
        select(City).where(City.status == status)
        .options(selectinload(City.members).selectinload(CityMember.user), selectinload(City.languages))
        .order_by(City.created_at, City.id).limit(200)
    ))
    counts = dict(db.session.execute(select(City.status, func.count()).group_by(City.status)).all())
    forms = {
        city.id: {
            action: StatusForm(action=action, next=url_for("cities.verification_queue", status=status))
            for action, (sources, _t, _r) in service.STATUS_ACTIONS.items() if city.status in sources
        }
        for city in cities
    }
    return render_template(
        "cities/verification_queue.html", cities=cities, status=status, counts=counts, forms=forms,
        statuses=CITY_STATUSES, country_names=dict(geography.country_choices(presenters.locale())),
        region_labels=dict(geography.region_choices()),
    )


@bp.post("/<int:city_id>/status")
@coordinator_required
def change_status(city_id: int):
    city = db.get_or_404(City, city_id)
    form = StatusForm()
    back = safe_next(form.next.data) or url_for("cities.verification_queue")
    if not form.validate_on_submit():
        if wants_json():
            return json_error(400, _("The form expired. Please submit it again."), form.errors)
        flash(_("The form expired. Please submit it again."), "error")
        return redirect(back)
    try:
        service.change_status(city, current_user, form.action.data, form.reason.data)
    except ServiceError as error:
        if wants_json():
            return json_error(error.status, error.message, error.errors)
        messages = [m for msgs in error.errors.values() for m in msgs] or [error.message]
        flash(" ".join(messages), "error")
        return redirect(back)
    if wants_json():
        return jsonify({"id": city.id, "status": city.status})
    flash(_("%(city)s: %(status)s.", city=service.display_name(city), status=service.status_label(city.status)),
          "success")
    return redirect(back)
