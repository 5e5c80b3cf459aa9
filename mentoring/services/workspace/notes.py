"""The Peer-Learning Note written at the close of a completed mentorship."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import LearningNote, Mentorship, User, utcnow
from mentoring.services import NotAllowed, ServiceError
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name
from mentoring.services.workspace.closeout import maturity_before_after
from mentoring.services.workspace.labels import (
    goal_status_labels,
    session_format_labels,
)
from mentoring.services.workspace.sessions import totals


def draft_note(mentorship: Mentorship, area_label) -> str:
    """A Markdown draft from the goals, the sessions and their outcomes."""
    t = totals(mentorship)
    lines = [
        "# " + _("Peer-Learning Note: %(mentor)s and %(mentee)s",
                 mentor=display_name(mentorship.mentor_city), mentee=display_name(mentorship.mentee_city)),
        "",
        "- " + _("Period: %(start)s to %(end)s", start=mentorship.start_date.isoformat(),
                 end=(mentorship.closed_at.date() if mentorship.closed_at else mentorship.planned_end
                      or mentorship.start_date).isoformat()),
        "- " + ngettext("%(num)d session held", "%(num)d sessions held", t.sessions_held),
        "- " + _("Hours together: %(hours)s", hours=f"{t.hours:g}"),
        "- " + ngettext("%(num)d study visit", "%(num)d study visits", t.study_visits),
        "",
        "## " + _("Focus areas"),
        "",
    ]
    lines += [_("Maturity of %(city)s before → after (levels 0 to 4):", city=mentorship.mentee_city.name), ""]
    for row in maturity_before_after(mentorship):
        before, after = ("—" if v is None else str(v) for v in (row["before"], row["after"]))
        change = "" if row["after"] is not None else " (" + _("not re-assessed yet") + ")"
        lines.append(f"- {area_label(row['area'].key)}: {before} → {after}{change}")
    lines += ["", "## " + _("Goals"), ""]
    status_names = goal_status_labels()
    for goal in mentorship.goals:
        lines.append(f"- **{area_label(goal.area_key)}**: {goal.statement} "
                     f"({status_names.get(goal.status, goal.status)}, {goal.progress} %)")
    if not mentorship.goals:
        lines.append("- " + _("No goals were recorded."))
    lines += ["", "## " + _("What we did and learned"), ""]
    held = [s for s in mentorship.sessions if s.held]
    formats = session_format_labels()
    for session in held:
        lines.append(f"### {session.starts_at.date().isoformat()} · {formats.get(session.format, session.format)}")
        lines.append("")
        if session.notes:
            lines.append(session.notes)
            lines.append("")
        if session.outcomes:
            lines.append(session.outcomes)
            lines.append("")
        if session.next_steps:
            lines.append(_("Next steps: %(steps)s", steps=session.next_steps))
            lines.append("")
    if not held:
        lines += [_("No sessions were logged."), ""]
    lines += ["## " + _("Outcome"), "", mentorship.outcome or _("(Describe the outcome.)"), "",
              "## " + _("Advice for other cities"), "", _("(Write what other cities should know.)"), ""]
    return "\n".join(lines)


def note_or_draft(mentorship: Mentorship, area_label) -> LearningNote:
    """The saved note, or a fresh draft that is not saved (reading a page never writes)."""
    note = db.session.scalar(select(LearningNote).where(LearningNote.mentorship_id == mentorship.id))
    if note is None:
        note = LearningNote(mentorship_id=mentorship.id, markdown=draft_note(mentorship, area_label))
    return note


def save_note(actor: User, mentorship: Mentorship, note: LearningNote, markdown: str, *,
              publish: bool = False) -> LearningNote:
    if mentorship.state != "completed":
        raise NotAllowed(_("A Peer-Learning Note is written for a completed mentorship."))
    markdown = (markdown or "").replace("\x00", "")
    if not markdown.strip():
        raise ServiceError(_("The note is empty."), {"markdown": [_("The note is empty.")]})
    if len(markdown) > 50_000:
        raise ServiceError(_("The note is too long."), {"markdown": [_("The note is too long.")]})
    note.markdown = markdown.replace("\r\n", "\n")
    if note.id is None:
        db.session.add(note)
    if publish and note.published_at is None:
        note.published_at = utcnow()
        record(actor, "note.publish", note, after={"mentorship_id": mentorship.id})
    else:
        record(actor, "note.update", note, after={"mentorship_id": mentorship.id})
    db.session.flush()
    return note
