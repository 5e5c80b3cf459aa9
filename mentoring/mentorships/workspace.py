"""The workspace page of a mentorship: its people, goals, sessions (a page at a time) and feedback.

The page runs the same queries whatever the mentorship's size: the totals in one query of
aggregates, the sessions coming up and one page of the log (:mod:`mentoring.services.workspace.
timeline`), the goals with their history, the feedback of the sessions shown. The sessions' filter
and page live in the URL (``?sessions=held&page=3#sessions``), so any page can be bookmarked.
"""
from __future__ import annotations

import functools

from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from mentoring.mentorships import bp, items
from mentoring.mentorships.access import mentorship_required
from mentoring.mentorships.forms import AssignMentorForm, ConfirmForm, GoalForm, LinkForm, choices
from mentoring.models import utcnow
from mentoring.services import contacts, messages
from mentoring.services import workspace as service
from mentoring.services.cities.directory import display_name
from mentoring.services.taxonomy import area_labels

#: The statuses a goal can be given from the workspace (the others are set at close-out).
GOAL_FORM_STATUSES = ("open", "achieved", "dropped")


@bp.get("/<int:mentorship_id>")
@mentorship_required
def show(mentorship_id: int):
    mentorship = g.mentorship
    active = mentorship.state == "active"
    now = utcnow()
    side = service.side_of(current_user, mentorship)
    zone, own_city = service.viewer_zone(current_user, mentorship)
    other_city = mentorship.mentee_city if side != "mentee" else mentorship.mentor_city
    other_zone = service.city_zone(other_city)

    counts = service.session_counts(mentorship.id, now)
    page = service.session_page(mentorship.id, counts, view=request.args.get("sessions", ""),
                                page=request.args.get("page", 1, type=int), now=now)
    feedback = service.feedback_overview(current_user, mentorship, [s.id for s in page.upcoming + page.items])

    def row(session) -> dict:
        return {
            "session": session,
            "future": session.starts_at > now,
            "can_feedback": active and session.held and side is not None and session.id not in feedback.mine,
            "feedback": feedback.by_session.get(session.id, ()),
        }

    labels = area_labels()
    goals = service.goals_with_history(mentorship.id)
    goal_form = GoalForm()
    goal_form.area_key.choices = choices((k, labels.get(k, k)) for k in mentorship.areas)
    statuses = service.goal_status_labels()
    fits = service.fit_labels()
    ws, csrf = url_for("mentorships.show", mentorship_id=mentorship.id), generate_csrf()
    sessions = functools.partial(items.session_items, zone=zone, other_zone=other_zone, labels=labels,
                                 formats=service.session_format_labels(), fits=fits, authors=feedback.authors,
                                 other_city=display_name(other_city), active=active, ws=ws, csrf=csrf)
    return render_template(
        "mentorships/show.html",
        mentorship=mentorship, active=active, side=side, own_city=own_city, zone=zone, other_city=other_city,
        counts=counts, page=page, upcoming=sessions([row(s) for s in page.upcoming]),
        log=sessions([row(s) for s in page.items]), views=service.view_labels(), feedback=feedback, labels=labels,
        goals=goals, goal_form=goal_form, goal_items=items.goal_items(
            goals, labels=labels, statuses=statuses, active=active, ws=ws, csrf=csrf,
            overdue={goal.id for goal in goals if service.is_overdue(goal, now.date())},
            goal_statuses=[(k, statuses[k]) for k in GOAL_FORM_STATUSES],
            percent_label=_("Progress (%)")),  # (a template's gettext would read "%)" as a placeholder)
        assign=_assign_choices(mentorship) if active else {}, confirm=ConfirmForm(), link_form=LinkForm(),
        links=service.links_of(mentorship.id),
        contacts=contacts.visible_for_mentorship(mentorship), unread=messages.unread_count(current_user, mentorship),
        maturity=service.maturity_before_after(mentorship) if not active else [],
        silent=service.went_silent(mentorship, counts.last_held_at, now),
        fits=fits, states=service.state_labels(),
    )


def _assign_choices(mentorship) -> dict[str, AssignMentorForm]:
    """``{side: form}`` for the sides whose people the viewer may assign."""
    sides = [s for s in ("mentor", "mentee") if service.can_assign(current_user, mentorship, s)]
    forms = {}
    for side, members in service.assignable_by_side(mentorship, sides).items():
        form = AssignMentorForm(prefix=side, side=side)
        form.user_id.choices = choices((u.id, u.name) for u in members)
        forms[side] = form
    return forms
