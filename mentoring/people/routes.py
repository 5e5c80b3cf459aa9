"""Views of the people blueprint. Thin: load, check access (one decorator each), call a service.

The commit is the request's (``database.commit_response``); a :class:`ServiceError` either lands
on the form (``apply_errors``) or goes to the app-wide handler.
"""
from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from mentoring import rules
from mentoring.access import (
    coordinator_required,
    login_required,
    owner_required,
    public,
)
from mentoring.database import after_commit
from mentoring.errors import apply_errors
from mentoring.extensions import db
from mentoring.markdown import render_markdown
from mentoring.models import (
    Circular,
    City,
    Commission,
    MatchRound,
    Mentorship,
    ProgrammeContact,
    Proposal,
)
from mentoring.models.people import EVENTS
from mentoring.people import bp
from mentoring.people.forms import (
    AskContactForm,
    CircularForm,
    ConfirmForm,
    ContactForm,
    EndorseLinkForm,
    InviteForm,
    MessageForm,
    PreferencesForm,
)
from mentoring.services import (
    ServiceError,
    circulars,
    consent,
    contacts,
    messages,
)
from mentoring.services import (
    mail_preferences as preferences,
)
from mentoring.services.cities.directory import display_name
from mentoring.services.geography import region_choices

# --- Access checks -----------------------------------------------------------------------------


def _get_or_404(model, object_id):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def check_city_contacts(user, city_id: int, **_ignored) -> bool:
    g.city = _get_or_404(City, city_id)
    return contacts.can_manage(user, city_id)


def check_contact(user, contact_id: int, **_ignored) -> bool:
    g.contact = _get_or_404(ProgrammeContact, contact_id)
    return contacts.can_manage(user, g.contact.city_id)


def check_proposal_thread(user, proposal_id: int, **_ignored) -> bool:
    g.thread_obj = _get_or_404(Proposal, proposal_id)
    if not messages.can_read(user, g.thread_obj):
        abort(404)  # nothing leaks about pairs of other cities
    return True


def check_mentorship_thread(user, mentorship_id: int, **_ignored) -> bool:
    g.thread_obj = _get_or_404(Mentorship, mentorship_id)
    if not messages.can_read(user, g.thread_obj):
        abort(404)
    return True


def check_circular(user, circular_id: int, **_ignored) -> bool:
    g.circular = _get_or_404(Circular, circular_id)
    if not circulars.can_read(user, g.circular):
        abort(404)
    return True


# --- Notification preferences ---------------------------------------------------------------------

@bp.route("/preferences", methods=["GET", "POST"], endpoint="preferences")
@login_required
def preferences_page():
    stored = preferences.preference(current_user)
    form = PreferencesForm.build(stored.events or {}, stored.show_email is not False,
                                 formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            preferences.update(current_user, {e: getattr(form, f"event_{e}").data for e in EVENTS},
                               form.show_email.data)
        except ServiceError as error:
            status = apply_errors(form, error)  # before rendering: the messages go on the form
            return render_template("people/preferences.html", form=form), status
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("people.preferences"), 303)
    return render_template("people/preferences.html", form=form), 422 if form.errors else 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """One-click unsubscribe from one kind of e-mail (GET shows the button: mail scanners follow links)."""
    found = preferences.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user, event = found
    form = ConfirmForm()
    done = False
    if request.method == "POST" and form.validate():
        preferences.unsubscribe(user, event)
        done = True
    return render_template("people/unsubscribe.html", form=form, event_label=preferences.event_labels()[event],
                           done=done)


# --- Programme contacts ----------------------------------------------------------------------------

@bp.route("/cities/<int:city_id>/contacts", methods=["GET", "POST"])
@owner_required("city-contacts", check_city_contacts)
def city_contacts(city_id: int):
    city = g.city
    form = ContactForm()
    status = 200
    if form.validate_on_submit():
        try:
            contacts.add_contact(current_user, city, name=form.name.data, email=form.email.data,
                                 role=form.role.data, languages=form.languages.data,
                                 timezone=form.timezone.data, show_email=form.show_email.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("The contact is saved."), "success")
            return redirect(request.args.get("next") and _safe(request.args["next"])
                            or url_for("people.city_contacts", city_id=city.id), 303)
    elif form.errors:
        status = 422
    return render_template("people/contacts.html", city=city, form=form, contacts=contacts.city_contacts(city.id),
                           remove_form=ConfirmForm()), status


def _safe(target: str) -> str | None:
    from mentoring.urls import safe_next

    return safe_next(target)


@bp.route("/contacts/<int:contact_id>/remove", methods=["POST"])
@owner_required("contact", check_contact)
def remove_contact(contact_id: int):
    city_id = g.contact.city_id
    if ConfirmForm().validate_on_submit():
        contacts.remove_contact(current_user, g.contact)
        flash(_("The contact is removed."), "success")
    return redirect(url_for("people.city_contacts", city_id=city_id), 303)


# --- Messages ----------------------------------------------------------------------------------------

def _thread_page(obj, endpoint: str, **values):
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                messages.post(current_user, obj, form.body.data)
            except ServiceError as error:
                status = apply_errors(form, error)
            else:
                return redirect(url_for(endpoint, **values) + "#latest", 303)
        else:
            status = 422
    items = messages.history(obj) if isinstance(obj, Mentorship) else messages.thread_messages(obj)
    messages.mark_read(current_user, obj)
    return render_template("people/thread.html", obj=obj, thread=messages.Thread.of(obj), items=items, form=form,
                           can_write=messages.can_write(current_user, obj), linkify=linkify,
                           is_mentorship=isinstance(obj, Mentorship)), status


@bp.route("/proposals/<int:proposal_id>/messages", methods=["GET", "POST"])
@owner_required("proposal-thread", check_proposal_thread)
def proposal_messages(proposal_id: int):
    return _thread_page(g.thread_obj, "people.proposal_messages", proposal_id=proposal_id)


@bp.route("/mentorships/<int:mentorship_id>/messages", methods=["GET", "POST"])
@owner_required("mentorship-thread", check_mentorship_thread)
def mentorship_messages(mentorship_id: int):
    return _thread_page(g.thread_obj, "people.mentorship_messages", mentorship_id=mentorship_id)


def linkify(text: str) -> Markup:
    """Plain text with its http(s) links made clickable (everything else escaped)."""
    import re

    out, last = [], 0
    for match in re.finditer(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]", text):
        out.append(escape(text[last:match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


# --- The consent gate -----------------------------------------------------------------------------

@bp.route("/proposals/<int:proposal_id>/consent", methods=["GET", "POST"])
@coordinator_required
def consent_gate(proposal_id: int):
    """What stops the pair from being endorsed, and the fixes: ask a contact, invite a representative."""
    proposal = _get_or_404(Proposal, proposal_id)
    gaps = consent.gaps(proposal)
    ask_forms, invite_forms = {}, {}
    for gap in gaps:
        ask = AskContactForm(prefix=f"ask-{gap.side}")
        ask.contact.choices = [(c.id, f"{c.name} <{c.email}>") for c in gap.contacts]
        ask_forms[gap.side] = ask
        invite_forms[gap.side] = InviteForm(prefix=f"invite-{gap.side}")
    status = 200
    if request.method == "POST":
        action, side = request.form.get("action", ""), request.form.get("side", "")
        gap = next((item for item in gaps if item.side == side), None)
        if gap is None:
            abort(400)
        try:
            if action == "ask" and ask_forms[side].validate_on_submit():
                consent.request_by_contact(current_user, proposal, ask_forms[side].contact.data)
                flash(_("The endorsement request was sent to the programme contact."), "success")
                return redirect(url_for("people.consent_gate", proposal_id=proposal.id), 303)
            if action == "invite" and invite_forms[side].validate_on_submit():
                from mentoring.services import cities

                cities.invite_member(gap.city, current_user, invite_forms[side].email.data, "representative")
                flash(_("The invitation was sent."), "success")
                return redirect(url_for("people.consent_gate", proposal_id=proposal.id), 303)
            status = 422
        except ServiceError as error:
            status = apply_errors(ask_forms[side] if action == "ask" else invite_forms[side], error)
    return render_template("people/consent.html", proposal=proposal, gaps=gaps, ask_forms=ask_forms,
                           invite_forms=invite_forms, step=consent.next_step(proposal)), status


@bp.route("/endorse/<token>", methods=["GET", "POST"])
@public
def endorse(token: str):
    """A programme contact endorses or declines their city's side, without an account."""
    link = consent.find_link(token)
    if link is None:
        abort(404)
    problem = consent.link_problem(link)
    form = EndorseLinkForm()
    status = 200
    done = None
    if request.method == "POST" and not problem:
        if form.validate_on_submit():
            decision = request.form.get("decision", "")
            if decision == "decline" and not (form.reason.data or "").strip():
                form.reason.errors = [_("Please give a reason.")]
                status = 422
            else:
                try:
                    consent.use_link(token, decision, form.reason.data or "")
                except ServiceError as error:
                    status = apply_errors(form, error)
                else:
                    done = link.outcome
        else:
            status = 422
    return render_template("people/endorse.html", link=link, proposal=link.proposal, problem=problem,
                           form=form, done=done), status


# --- Circulars --------------------------------------------------------------------------------------

@bp.route("/circulars")
@login_required
def circulars_index():
    return render_template("people/circulars.html", sent=circulars.archive(current_user),
                           drafts=circulars.drafts() if rules.is_coordinator(current_user) else [],
                           labels=circulars.audience_labels())


@bp.route("/circulars/<int:circular_id>")
@owner_required("circular", check_circular)
def circular(circular_id: int):
    circular = g.circular
    from mentoring.services import letters

    text = circulars.text_for(circular, letters.language_of(current_user))
    return render_template("people/circular.html", circular=circular, text=text,
                           html=render_markdown(text["body"]), labels=circulars.audience_labels(),
                           send_form=ConfirmForm(),
                           count=circulars.recipient_count(circular) if circular.status == "draft" else None)


def _circular_form(circular: Circular | None):
    form = CircularForm(obj=None, data=None if circular is None else {
        **{f"title_{c}": (circular.texts.get(c) or {}).get("title", "") for c in circulars.LANGUAGES},
        **{f"body_{c}": (circular.texts.get(c) or {}).get("body", "") for c in circulars.LANGUAGES},
        "audience": circular.audience, "audience_value": circular.audience_value or "",
        "version": circular.version})
    form.audience.choices = list(circulars.audience_labels().items())
    from mentoring.i18n import localized

    values = [("", "—")]
    values += region_choices()
    commissions = db.session.scalars(select(Commission).order_by(Commission.key))
    values += [(c.key, localized(c.labels, c.key)) for c in commissions]
    values += [(str(r.id), r.name) for r in db.session.scalars(select(MatchRound).order_by(MatchRound.id.desc()))]
    form.audience_value.choices = values
    return form


@bp.route("/circulars/new", methods=["GET", "POST"])
@coordinator_required
def new_circular():
    return _edit_circular(None)


@bp.route("/circulars/<int:circular_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_circular(circular_id: int):
    return _edit_circular(_get_or_404(Circular, circular_id))


def _edit_circular(circular: Circular | None):
    form = _circular_form(circular)
    status = 200
    if form.validate_on_submit():
        try:
            saved = circulars.save(current_user, circular, texts=form.texts(), audience=form.audience.data,
                                   audience_value=form.audience_value.data, version=form.version.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("The draft is saved. Check the preview, then send it."), "success")
            return redirect(url_for("people.circular", circular_id=saved.id), 303)
    elif form.errors:
        status = 422
    return render_template("people/circular_form.html", form=form, circular=circular), status


@bp.route("/circulars/<int:circular_id>/send", methods=["POST"])
@coordinator_required
def send_circular(circular_id: int):
    circular = _get_or_404(Circular, circular_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = circulars.send(current_user, circular, request.form.get("version"))
    # As for rounds: the recipients are committed before a worker (another process) reads them.
    after_commit(circulars.start_delivery, circular.id)
    flash(_("The circular is on its way to %(num)d people.", num=count), "success")
    return redirect(url_for("people.circular", circular_id=circular.id), 303)


# --- The mentorship's export ------------------------------------------------------------------------

@bp.route("/mentorships/<int:mentorship_id>/export.json")
@owner_required("mentorship-thread", check_mentorship_thread)
def mentorship_export(mentorship_id: int):
    """The mentorship's record for its two cities: pair, sessions (cancelled ones included), messages."""
    from mentoring.services import session_notices

    mentorship = g.thread_obj
    payload = {
        "mentorship": {"id": mentorship.id, "mentor_city": display_name(mentorship.mentor_city),
                       "mentee_city": display_name(mentorship.mentee_city), "state": mentorship.state,
                       "start_date": mentorship.start_date.isoformat(), "areas": list(mentorship.areas or [])},
        "sessions": [{"starts_at": s.starts_at.isoformat(), "duration_minutes": s.duration_minutes,
                      "format": s.format, "held": s.held, "where": session_notices.where_text(s),
                      "cancelled_at": s.cancelled_at.isoformat() if s.cancelled_at else None}
                     for s in mentorship.sessions],
        "messages": messages.export_rows(mentorship),
    }
    response = jsonify(payload)
    response.headers["Content-Disposition"] = f'attachment; filename="mentorship-{mentorship.id}.json"'
    return response


# --- For every page: expired pairs in "Needs a nudge" -----------------

@bp.app_context_processor
def people_helpers() -> dict:
    return {"expired_pairs": consent.expired_recently}
