"""Views of the rounds blueprint: open and run rounds, decide proposals, endorse them.

Views are thin: they check access, parse the form, call a service from
:mod:`mentoring.services.matchmaking` / :mod:`mentoring.services.proposals`, and
render or redirect; the request commits once when it answers (:func:`mentoring.database.commit_response`).
A refused decision renders the proposal page again with the service's message and its status
(409 for a conflict or a forbidden transition, 422 for bad input); other refusals go to the
application's ServiceError handler (a flash and back to the page).
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from mentoring import jobs
from mentoring.access import coordinator_required, login_required, owner_required
from mentoring.errors import apply_errors, flash_refusal
from mentoring.extensions import db
from mentoring.forms import choices
from mentoring.i18n import localized
from mentoring.models import City, Commission, MatchRound, Proposal
from mentoring.rounds import bp, rows
from mentoring.rounds.forms import (
    REGION_LABELS,
    ActionForm,
    AreasForm,
    DecisionForm,
    ManualMatchForm,
    OpenRoundForm,
    ReasonForm,
)
from mentoring.services import (
    ServiceError,
    consent,
    contacts,
    explanations,
    matchmaking,
    messages,
    proposal_filters,
    round_summary,
    rule_reasons,
)
from mentoring.services import proposals as proposal_service
from mentoring.services import unmatched as unmatched_reasons
from mentoring.services.cities.directory import display_name
from mentoring.services.proposals import can_see_proposal, represents_a_city_of
from mentoring.services.taxonomy import area_labels
from mentoring.urls import safe_next

#: Proposals per page of a round: 20 rows with their explanations keep the page under 60 KiB of HTML
#: (the score components are on each proposal's page).
PER_PAGE = 20
#: Unmatched mentees listed on the round page (the count shows them all; each has its own manual page).
UNMATCHED_SHOWN = 50
#: Cities listed under "Stated preferences" (the totals count them all).
MET_SHOWN = 50


def _proposal_or_404(proposal_id: int) -> Proposal:
    return db.get_or_404(Proposal, proposal_id)


def _labels() -> dict[str, str]:
    """The focus areas a pair can have, in the reader's language."""
    return area_labels(active_only=True)


def _version(form) -> int | None:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None


def _round_or_404(round_id: int) -> MatchRound:
    return db.get_or_404(MatchRound, round_id)


# --- Rounds -----------------------------------------------------------------------------------

@bp.get("/")
@coordinator_required
def index():
    rounds = db.session.scalars(
        select(MatchRound).options(selectinload(MatchRound.commissions)).order_by(MatchRound.created_at.desc())
    ).all()
    waiting = proposal_service.waiting_for_endorsement()
    return render_template("rounds/index.html", rounds=rounds, waiting=waiting)


def _open_form() -> OpenRoundForm:
    form = OpenRoundForm()
    commissions = db.session.scalars(select(Commission).order_by(Commission.id)).all()
    form.commissions.choices = choices((c.id, localized(c.labels, c.key)) for c in commissions)
    return form


@bp.route("/new", methods=["GET", "POST"])
@coordinator_required
def open_round():
    form = _open_form()
    if form.validate_on_submit():
        try:
            round_ = matchmaking.open_round(
                current_user, name=form.name.data, commission_ids=form.commissions.data,
                regions=form.regions.data, params=form.engine_params(), seed=form.seed.data or 0,
            )
        except ServiceError as error:
            status = apply_errors(form, error)  # before rendering: the errors go under their fields
            return render_template("rounds/new.html", form=form), status
        flash(_("The round is open. Check who takes part, then run it."), "success")
        return redirect(url_for("rounds.show", round_id=round_.id))
    status = 422 if form.errors else 200
    return render_template("rounds/new.html", form=form), status


def _filters() -> dict:
    """The round page's filters; unknown values are ignored (the API reports them)."""
    filters, _errors = proposal_filters.parse_filters(
        request.args, regions=REGION_LABELS, area_keys=set(_labels())
    )
    return filters


def _cities(ids) -> dict[int, City]:
    ids = set(ids)
    return {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(ids)))} if ids else {}


@bp.get("/<int:round_id>")
@coordinator_required
def show(round_id: int):
    # The engine's unmatched list is read only when the round's summary is computed again.
    round_ = db.get_or_404(MatchRound, round_id, options=[defer(MatchRound.unmatched)])
    filters = _filters()
    summary = round_summary.summary(round_)
    # Every filter is part of the query: pagination counts and pages the filtered rows. Without a filter
    # other than the state, the summary's counts by state are the total (no count over the round).
    counted = not (filters["region"] or filters["area"] or filters["min_score"] is not None)
    page = db.paginate(proposal_filters.round_proposals_query(round_.id, filters, with_cities=False),
                       per_page=PER_PAGE, error_out=False, count=not counted)
    if counted:
        page.total = summary.by_state.get(filters["state"], 0) if filters["state"] else summary.total
    items = page.items
    proposal_filters.load_cities(items)
    stale = matchmaking.is_stale(round_)
    status = matchmaking.display_status(round_)
    elig = matchmaking.eligibility(round_) if status in ("draft", "failed") else None
    unmatched_shown = summary.unmatched[:UNMATCHED_SHOWN] if status == "done" else ()
    met_shown = summary.met.cities[:MET_SHOWN] if status == "done" else ()
    # The cities of the rows shown, in one query (the summary keeps ids and numbers only).
    cities = _cities([city_id for city_id, _reason in unmatched_shown]
                     + [c for row in met_shown for c in (row.city_id, *row.granted)])
    unmatched = unmatched_reasons.describe(unmatched_reasons.with_cities(unmatched_shown, cities))
    labels = _labels()
    proposal_rows = rows.proposal_rows(items, explanations.explain_many(items, kept_with=summary.preferences),
                                       labels, csrf=generate_csrf(), back=request.full_path)
    return render_template(
        "rounds/show.html", round=round_, page=page, rows=proposal_rows, filters=filters, elig=elig,
        summary=summary, unmatched=unmatched, unmatched_total=len(summary.unmatched) if status == "done" else 0,
        met=summary.met, met_shown=met_shown, cities=cities, area_labels=labels,
        regions={key: str(label) for key, label in REGION_LABELS.items()},  # (select_options keeps them per text)
        status=status, stale=stale, round_rules=rule_reasons.rules_summary(round_.params),
        busy=round_.is_busy and not stale, stale_message=matchmaking.stale_message() if stale else "",
        action_form=ActionForm(), background=elig is not None and matchmaking.runs_in_background(round_, elig),
    )


@bp.get("/<int:round_id>/status.json")
@coordinator_required
def status(round_id: int):
    round_ = _round_or_404(round_id)
    stale = matchmaking.is_stale(round_)
    return jsonify({
        "id": round_.id, "status": matchmaking.display_status(round_), "progress": round_.progress,
        "message": round_.progress_message, "error": matchmaking.stale_message() if stale else round_.error,
        "stale": stale,
    })


@bp.post("/<int:round_id>/run")
@coordinator_required
def run(round_id: int):
    round_ = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        background = matchmaking.request_run(current_user, round_)
    except ServiceError as error:  # refused (already running): say why on the round page
        flash_refusal(error)
        return redirect(url_for("rounds.show", round_id=round_id), code=303)
    if background:
        jobs.enqueue_after_commit(round_.id, current_user.id)
        flash(_("The round is running in the background; this page shows its progress."), "info")
    else:
        outcome = jobs.run_round(round_id, current_user.id)
        if outcome == "done":
            flash(_("The round ran: review the proposals below."), "success")
        else:
            flash(_("The round failed; the error is shown below. You can correct it and retry."), "error")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/<int:round_id>/approve")
@coordinator_required
def bulk_approve(round_id: int):
    round_ = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = [int(x) for x in request.form.getlist("proposal") if x.isdigit()]
    ids = list(db.session.scalars(
        select(Proposal.id).where(Proposal.id.in_(ids), Proposal.round_id == round_.id)
    ))
    if not ids:
        flash(_("Select at least one proposal."), "warning")
        return redirect(url_for("rounds.show", round_id=round_id))
    approved, refused = proposal_service.bulk_approve(current_user, ids)
    if approved:
        flash(_("%(n)d proposals approved.", n=len(approved)), "success")
    # The consent gate: which approved pairs nobody can endorse yet, and why.
    for proposal_id, found in consent.gaps_by_proposal(approved).items():
        flash(_("Proposal %(id)d: %(problems)s Fix it on its consent page.", id=proposal_id,
                problems=" ".join(gap.reason for gap in found)), "warning")
    for proposal_id, message in refused.items():
        flash(_("Proposal %(id)d not approved: %(message)s", id=proposal_id, message=message), "error")
    return redirect(safe_next(request.form.get("next")) or url_for("rounds.show", round_id=round_id))


@bp.get("/<int:round_id>/manual/<int:mentee_id>")
@coordinator_required
def manual(round_id: int, mentee_id: int):
    round_ = _round_or_404(round_id)
    mentee = db.get_or_404(City, mentee_id)
    suggestions = matchmaking.suggestions(round_, mentee.id, k=5)
    levels = explanations.load_levels({mentee.id} | {s["mentor"].id for s in suggestions},
                                      {key for s in suggestions for key in s["pair"].areas})
    labels = _labels()
    for s in suggestions:
        s["explanation"] = explanations.explain(s["mentor"], mentee, s["pair"].areas, s["pair"].components,
                                                stored=s["pair"].explanation, levels=levels, labels=labels)
    return render_template("rounds/manual.html", round=round_, mentee=mentee, suggestions=suggestions,
                           form=ManualMatchForm(), area_labels=labels)


@bp.post("/<int:round_id>/manual/<int:mentee_id>")
@coordinator_required
def manual_match(round_id: int, mentee_id: int):
    round_ = _round_or_404(round_id)
    mentee = db.get_or_404(City, mentee_id)
    form = ManualMatchForm()
    back = url_for("rounds.manual", round_id=round_.id, mentee_id=mentee.id)
    if not form.validate_on_submit():  # a stale page (expired form): back to the suggestions, never 400
        flash(_("Choose one of the suggested mentors."), "error")
        return redirect(back, code=303)
    try:
        proposal = proposal_service.manual_match(current_user, round_, mentee.id, form.mentor.data)
    except ServiceError as error:  # back to the suggestions with the reason (Post/Redirect/Get)
        flash_refusal(error)
        return redirect(back, code=303)
    flash(_("Pair approved: %(mentor)s will mentor %(mentee)s once both cities endorse.",
            mentor=display_name(proposal.mentor_city), mentee=display_name(proposal.mentee_city)), "success")
    return redirect(url_for("rounds.proposal", proposal_id=proposal.id))


@bp.get("/waiting")
@coordinator_required
def waiting():
    return render_template("rounds/waiting.html", proposals=proposal_service.waiting_for_endorsement())


# --- Proposals --------------------------------------------------------------------------------

@bp.get("/proposals/mine")
@login_required
def mine():
    proposals = proposal_service.proposals_for_user(current_user)
    return render_template("rounds/mine.html", proposals=proposals, area_labels=_labels(),
                           explanations=explanations.explain_many(proposals))


def _render_proposal(proposal_id: int, *, error: ServiceError | None = None, forms: dict | None = None):
    # The pair, its cities (with their languages) and its round, in one query.
    proposal = db.session.execute(select(Proposal).where(Proposal.id == proposal_id).options(
        joinedload(Proposal.mentor_city).joinedload(City.languages),
        joinedload(Proposal.mentee_city).joinedload(City.languages), joinedload(Proposal.round),
    )).unique().scalar_one_or_none() or abort(404)
    sides = proposal_service.representative_sides(current_user, proposal) if current_user.is_authenticated else []
    forms = forms or {}
    reject_form = forms.get("reject") or ReasonForm(prefix="reject", formdata=None, version=proposal.version)
    decline_form = forms.get("decline") or ReasonForm(prefix="decline", formdata=None, version=proposal.version)
    areas_form = forms.get("areas") or AreasForm(prefix="areas", formdata=None, version=proposal.version,
                                                 areas=list(proposal.areas or []))
    labels = _labels()
    areas_form.areas.choices = choices(labels.items())
    for form in (reject_form, decline_form, areas_form):
        form.version.data = proposal.version
    status = error.status if error is not None else 200
    can_talk = proposal.state in messages.TALKING_STATES and messages.can_read(current_user, proposal)
    return render_template(
        "rounds/proposal.html", proposal=proposal, sides=sides, error=error,
        gaps=consent.gaps(proposal) if proposal.state in ("proposed", "approved") else [],
        step=consent.next_step(proposal), people=contacts.visible_for_proposal(current_user, proposal),
        can_talk=can_talk, unread=messages.unread_count(current_user, proposal) if can_talk else 0,
        decision_form=DecisionForm(formdata=None, version=proposal.version),
        reject_form=reject_form, decline_form=decline_form, areas_form=areas_form, area_labels=labels,
        explanation=explanations.explain(proposal.mentor_city, proposal.mentee_city, proposal.areas,
                                         proposal.components, stored=proposal.explanation, rules=proposal.rules),
    ), status


@bp.get("/proposals/<int:proposal_id>")
@owner_required("proposal", can_see_proposal)
def proposal(proposal_id: int):
    return _render_proposal(proposal_id)


def _after_decision(proposal: Proposal, changed: bool, message: str):
    if changed:
        flash(message, "success")
    target = safe_next(request.form.get("next")) or url_for("rounds.proposal", proposal_id=proposal.id)
    return redirect(target)


def _refused(proposal_id: int, error: ServiceError, forms: dict | None = None):
    return _render_proposal(proposal_id, error=error, forms=forms)


@bp.post("/proposals/<int:proposal_id>/approve")
@coordinator_required
def approve(proposal_id: int):
    _proposal_or_404(proposal_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        proposal, changed = proposal_service.approve(current_user, proposal_id, _version(form))
    except ServiceError as error:
        return _refused(proposal_id, error)
    if changed and consent.gaps(proposal):
        # Nobody can endorse for one of the cities: straight to the fixes (contact or invitation).
        flash(_("Approved, but one city has nobody who can endorse the pair yet."), "warning")
        return redirect(url_for("people.consent_gate", proposal_id=proposal.id))
    return _after_decision(proposal, changed, _("Approved. Both cities are asked to endorse the pair."))


@bp.post("/proposals/<int:proposal_id>/reject")
@coordinator_required
def reject(proposal_id: int):
    _proposal_or_404(proposal_id)
    form = ReasonForm(prefix="reject")
    if not form.validate_on_submit():
        return _refused(proposal_id, ServiceError(_("Please give a reason."), form.errors), {"reject": form})
    try:
        proposal, changed = proposal_service.reject(current_user, proposal_id, form.reason.data, _version(form))
    except ServiceError as error:
        return _refused(proposal_id, error, {"reject": form})
    return _after_decision(proposal, changed, _("Rejected. The mentee is back among the unmatched cities."))


@bp.post("/proposals/<int:proposal_id>/areas")
@coordinator_required
def areas(proposal_id: int):
    _proposal_or_404(proposal_id)
    form = AreasForm(prefix="areas")
    form.areas.choices = choices(_labels().items())
    if not form.validate_on_submit():
        return _refused(proposal_id, ServiceError(_("Choose at least one focus area."), form.errors), {"areas": form})
    try:
        proposal, changed = proposal_service.change_areas(current_user, proposal_id, form.areas.data, _version(form))
    except ServiceError as error:
        return _refused(proposal_id, error, {"areas": form})
    return _after_decision(proposal, changed, _("Focus areas saved."))


def _side(proposal_id: int) -> str:
    proposal = _proposal_or_404(proposal_id)
    sides = proposal_service.representative_sides(current_user, proposal)
    wanted = request.form.get("side")
    if wanted in sides:
        return wanted
    return sides[0]


@bp.post("/proposals/<int:proposal_id>/endorse")
@owner_required("proposal_city", represents_a_city_of)
def endorse(proposal_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        proposal, changed = proposal_service.endorse(current_user, proposal_id, _side(proposal_id), _version(form))
    except ServiceError as error:
        return _refused(proposal_id, error)
    if proposal.state == "endorsed":
        message = _("Endorsed by both cities: the mentorship has started.")
    else:
        message = _("Endorsed for your city. The other city is asked to endorse too.")
    return _after_decision(proposal, changed, message)


@bp.post("/proposals/<int:proposal_id>/decline")
@owner_required("proposal_city", represents_a_city_of)
def decline(proposal_id: int):
    form = ReasonForm(prefix="decline")
    if not form.validate_on_submit():
        return _refused(proposal_id, ServiceError(_("Please give a reason."), form.errors), {"decline": form})
    try:
        proposal, changed = proposal_service.decline(
            current_user, proposal_id, _side(proposal_id), form.reason.data, _version(form)
        )
    except ServiceError as error:
        return _refused(proposal_id, error, {"decline": form})
    return _after_decision(proposal, changed, _("Declined. The coordinators have been told."))
