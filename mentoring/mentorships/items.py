"""The workspace's goals and sessions, each written once per content and kept (per process) until it changes.

With 20 goals and a page of sessions, writing each item (some forty escaped values and tests a session,
twenty a goal, its dates formatted by Babel) was most of the workspace's rendering, on every request,
for items that rarely change. Here each item's HTML is kept under a key made of *everything it is written
from* — its row's values, the labels and texts of the reader's language, the time zones, whether the
viewer can act — so a changed item has another key and is written again: nothing is ever invalidated, and
nothing stale can be served. The forms' CSRF token, different on every request, is put in afterwards.
The HTML is the one ``templates/mentorships/_goals.html`` and ``_sessions.html`` wrote.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from mentoring import cache
from mentoring.templating import duration_text, label, local_time, percent, select_options

_NONE = Markup("")
_TOKEN = cache.TOKEN_SLOT  # the request's CSRF token, put in by cache.with_token
_kept = cache.Memo(maxsize=4096)


def _context() -> tuple:
    """What every item is written in: the language and the time zone dates are shown in (and the database:
    items are kept apart per database, as the other kept results)."""
    return (*cache.html_context(), current_app.config.get("BABEL_DEFAULT_TIMEZONE"))


# --- Goals -------------------------------------------------------------------------------------------

_GOAL = Markup('\n  <article class="ms-goal" id="goal-%s">\n'
               '    <div class="row row--between"><h3>%s</h3><span><span class="tag tag--%s">%s</span>%s</span></div>\n'
               '    <p>%s</p>\n'
               '    <div class="ms-progress"><progress class="progress" max="100" value="%s" aria-label="%s">%s %%'
               '</progress><span class="ms-progress__value">%s</span><span class="muted small ms-goal__date">%s'
               '</span></div>%s%s\n  </article>')
_OVERDUE = Markup(' <span class="tag tag--rejected">%s</span>')
_HISTORY = Markup('\n    <details class="ms-details"><summary>%s</summary><ol class="ms-history">%s</ol></details>')
_EARLIER = Markup('<li class="muted">%s</li>')
_CHANGE = Markup('<li><time datetime="%s">%s</time>: %s · %s</li>')
_GOAL_FORM = Markup('\n    <details class="ms-details"><summary>%s</summary><form method="post" action="%s/goals/%s" '
    'class="ms-goal-form"><input type="hidden" name="csrf_token" value="%s"><label>%s <input name="goal%s-progress" '
    'type="number" min="0" max="100" step="5" required value="%s"></label><label>%s <select name="goal%s-status">'
    '%s</select></label><label>%s <input name="goal%s-target_date" type="date" value="%s"></label>'
    '<button type="submit" class="btn btn--small">%s</button></form></details>')


def goal_items(goals, *, labels: dict, statuses: dict, overdue: set, active: bool, ws: str, csrf: str,
               goal_statuses, percent_label: str) -> list[Markup]:
    """Each goal: its area, status, statement, progress and target date, its last five changes, and (in an
    active mentorship) the form updating it."""
    page = (_context(), tuple(statuses.items()), tuple(goal_statuses), active, ws, percent_label)
    out = []
    for goal in goals:
        key = ("goal", page, goal.id, labels.get(goal.area_key, goal.area_key), goal.status, goal.id in overdue,
               goal.statement, goal.progress, goal.target_date, len(goal.history),
               tuple((h.at, h.progress, h.status) for h in goal.history[-5:]))
        out.append(_kept.get_or_compute(key, lambda goal=goal, key=key: _goal(goal, key[3], statuses, key[5],
                                                                              active, ws, goal_statuses,
                                                                              percent_label)))
    return cache.with_token(out, csrf)


def _goal(goal, area: str, statuses: dict, overdue: bool, active: bool, ws: str, goal_statuses,
          percent_label: str) -> Markup:
    history = _NONE
    if len(goal.history) > 1:
        earlier = (_EARLIER % ngettext("%(num)d earlier change", "%(num)d earlier changes", len(goal.history) - 5)
                   if len(goal.history) > 5 else _NONE)
        changes = _NONE.join(_CHANGE % (h.at.isoformat(), format_date(h.at), percent(h.progress / 100),
                                        statuses.get(h.status, h.status)) for h in goal.history[-5:])
        history = _HISTORY % (_("Progress history"), earlier + changes)
    form = _NONE
    if active:
        form = _GOAL_FORM % (_("Update progress"), ws, goal.id, _TOKEN, percent_label, goal.id, goal.progress,
                             _("Status"), goal.id, select_options(goal_statuses, goal.status), _("Target date"),
                             goal.id, goal.target_date.isoformat() if goal.target_date else "", _("Update goal"))
    target = (_("Target date: %(date)s", date=format_date(goal.target_date)) if goal.target_date
              else _("No target date"))
    return _GOAL % (goal.id, area, goal.status, statuses.get(goal.status, goal.status),
                    _OVERDUE % _("past its date") if overdue else "", goal.statement, goal.progress, _("Progress"),
                    goal.progress, percent(goal.progress / 100), target, history, form)


# --- Sessions ----------------------------------------------------------------------------------------

_SESSION = Markup('\n    <li class="ms-session%s" id="session-%s">\n'
    '      <div class="row row--between"><h3 class="ms-session__when"><time datetime="%s">%s</time></h3>'
    '<span><span class="tag tag--brand">%s</span> %s</span></div>%s\n'
    '      <p class="small">%s%s</p>%s%s%s%s\n'
    '      <div class="row no-print"><a class="btn btn--ghost btn--small" href="%s/sessions/%s.ics">%s</a>%s\n'
    '      </div>%s\n    </li>')
_OTHER = Markup('<p class="muted small">%s</p>')
_LINK = Markup('<p class="ms-where"><strong>%s</strong> '
               '<a href="%s" rel="nofollow noopener" target="_blank">%s</a></p>')
_PLACE = Markup('<p class="ms-where"><strong>%s</strong> %s</p>')
_TRAVEL = Markup('<p><strong>%s</strong> %s</p>')
_DL = Markup('\n      <dl class="ms-dl">%s</dl>')
_DT = Markup('<dt>%s</dt><dd>%s</dd>')
_FITS = Markup('\n      <ul class="ms-session-fits small">%s</ul>')
_FIT = Markup('<li><span class="tag ms-fit ms-fit--%s">%s</span> %s%s</li>')
_COMMENT = Markup(': %s')
_HIDDEN = Markup(' <span class="muted">(%s)</span>')
_LOG = Markup(' <a class="btn btn--small" href="%s/sessions/%s/edit?log=1">%s</a>')
_EDIT = Markup('\n        <a class="btn btn--ghost btn--small" href="%s/sessions/%s/edit">%s</a>')
_CANCEL = Markup(' <form method="post" action="%s/sessions/%s/cancel" class="inline" data-confirm="%s">'
                 '<input type="hidden" name="csrf_token" value="%s"><button type="submit" '
                 'class="btn btn--ghost btn--small">%s</button></form>')
_CHECK = Markup('\n      <details class="ms-details ms-feedback-form"><summary>%s</summary><form method="post" '
                'action="%s/sessions/%s/feedback"><input type="hidden" name="csrf_token" value="%s">'
                '<fieldset class="ms-radios"><legend>%s</legend>%s</fieldset><label class="ms-block">%s '
                '<textarea name="comment" rows="2" maxlength="5000"></textarea></label><label class="ms-block">'
                '<input type="checkbox" name="coordinators_only" value="y"> %s</label>'
                '<button type="submit" class="btn btn--small">%s</button></form></details>')
_RADIO = Markup('<label class="ms-radio"><input type="radio" name="fit" value="%s" required> %s</label>')
_STATE = Markup('<span class="tag tag--%s">%s</span>')


def session_items(rows, *, zone, other_zone, labels: dict, formats: dict, fits: dict, authors: dict,
                  other_city: str, active: bool, ws: str, csrf: str) -> list[Markup]:
    """Each session of ``rows`` (the view's dicts: ``session``, ``future``, ``can_feedback``, ``feedback``):
    when (in ``zone``, and in ``other_zone`` when it differs), where, what was said, its fit checks, and
    the viewer's actions."""
    other_key = other_zone.key if other_zone.key != zone.key else None
    page = (_context(), zone.key, other_key, tuple(formats.items()), tuple(fits.items()), other_city, active, ws)
    out = []
    for item in rows:
        s = item["session"]
        key = ("session", page, s.id, s.starts_at, s.format, s.cancelled_at is not None, s.held, s.duration_minutes,
               tuple((k, labels.get(k, k)) for k in s.areas or ()), s.meeting_url, s.place, s.place_city, s.travel,
               s.attendees, s.notes, s.outcomes, s.next_steps, item["future"], item["can_feedback"],
               tuple((f.fit, authors.get(f.author_id), f.comment, f.comment_hidden) for f in item["feedback"]))
        out.append(_kept.get_or_compute(key, lambda item=item, key=key: _session(
            item, zone, other_zone if other_key else None, key[8], formats, fits, authors, other_city, active, ws)))
    return cache.with_token(out, csrf)


def _session(item, zone, other_zone, areas, formats: dict, fits: dict, authors: dict, other_city: str,
             active: bool, ws: str) -> Markup:
    s = item["session"]
    if s.cancelled_at:
        kind, state = " ms-session--cancelled", _STATE % ("rejected", _("cancelled"))
    elif not s.held:
        kind, state = " ms-session--planned", _STATE % ("pending", _("planned"))
    else:
        kind, state = "", _STATE % ("done", _("held"))
    other = (_OTHER % _("In %(city)s: %(time)s", city=other_city, time=local_time(s.starts_at, other_zone))
             if other_zone is not None else _NONE)
    if s.meeting_url:
        where = _LINK % (label(_("Meeting link")), s.meeting_url, s.meeting_url)
    elif s.place or s.place_city:
        where = _PLACE % (label(_("Place")), ", ".join(v for v in (s.place, s.place_city) if v))
    else:
        where = _NONE
    travel = _TRAVEL % (label(_("Travel")), s.travel) if s.travel else _NONE
    said = _NONE.join(_DT % (title, value) for title, value in (
        (_("Attendees"), s.attendees), (_("Notes"), s.notes), (_("Outcomes"), s.outcomes),
        (_("Next steps"), s.next_steps)) if value)
    fits_html = _NONE
    if item["feedback"]:
        fits_html = _FITS % _NONE.join(
            _FIT % (f.fit, fits.get(f.fit, f.fit), authors.get(f.author_id, _("former user")),
                    (_COMMENT % f.comment if not f.comment_hidden
                     else _HIDDEN % _("The comment is visible to coordinators only.")) if f.comment else _NONE)
            for f in item["feedback"])
    actions = _NONE
    if active and not s.cancelled_at:
        actions = ((_LOG % (ws, s.id, _("Log as held")) if not s.held and not item["future"] else _NONE)
                   + _EDIT % (ws, s.id, _("Edit"))
                   + (_CANCEL % (ws, s.id, _("Cancel this planned session?"), _TOKEN, _("Cancel session"))
                      if not s.held else _NONE))
    feedback_form = _NONE
    if item["can_feedback"]:
        radios = _NONE.join(_RADIO % (value, text) for value, text in fits.items())
        feedback_form = _CHECK % (_("Quick fit check"), ws, s.id, _TOKEN, _("How well does the pairing fit?"), radios,
                                  _("Comment (optional)"), _("Only coordinators may read my comment"),
                                  _("Send feedback"))
    areas_text = (" · " + ", ".join(text for _key, text in areas)) if areas else ""
    return _SESSION % (kind, s.id, s.starts_at.isoformat(), local_time(s.starts_at, zone),
                       formats.get(s.format, s.format), state, other, duration_text(s.duration_minutes), areas_text,
                       where, travel, _DL % said if said else _NONE, fits_html, ws, s.id, _("Add to calendar (.ics)"),
                       actions, feedback_form)
