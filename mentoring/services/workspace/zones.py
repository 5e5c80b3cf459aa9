"""Time zones of the workspace, and the dates a session may have."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from mentoring.models import City
from mentoring.services import ServiceError
from mentoring.services.cities.directory import display_name

#: How far ahead a session may be planned.
PLAN_AHEAD_YEARS = 10


def city_zone(city: City | None) -> ZoneInfo:
    """The city's IANA zone, or UTC when it has none (or an unknown one)."""
    return zone_or_utc(city.timezone if city is not None else None)


def zone_or_utc(name: str | None) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def programme_start() -> date:
    """The first day a session may have (``PROGRAMME_START``, an ISO date or a date)."""
    value = current_app.config["PROGRAMME_START"]
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def session_range(now: datetime, *, held: bool) -> tuple[datetime, datetime]:
    """The earliest and latest start (aware UTC) of a session logged (``held``) or planned at ``now``."""
    earliest = datetime.combine(programme_start(), datetime.min.time(), tzinfo=UTC)
    if held:
        return earliest, now
    try:
        latest = now.replace(year=now.year + PLAN_AHEAD_YEARS)
    except ValueError:  # 29 February
        latest = now.replace(year=now.year + PLAN_AHEAD_YEARS, day=28)
    return earliest, latest


def check_session_start(local: datetime, zone_name: str, *, held: bool, now: datetime) -> datetime:
    """The session's start as aware UTC, or a ``starts_at`` field error when it is out of range.

    The range is checked on the local date first (a day of margin covers every zone), so a date at
    the edge of the calendar (year 1 or 9999) never reaches a conversion that would overflow.
    """
    earliest, latest = session_range(now, held=held)
    if local.date() < earliest.date() - timedelta(days=1):
        _too_early(earliest)
    if local.date() > latest.date() + timedelta(days=1):
        _too_late(latest, held)
    starts_at = local_to_utc(local, zone_name)
    if starts_at < earliest:
        _too_early(earliest)
    if starts_at > latest:
        _too_late(latest, held)
    return starts_at


def _too_early(earliest: datetime):
    message = _("A session cannot be before the programme started (%(date)s).",
                date=format_date(earliest.date()))
    raise ServiceError(message, {"starts_at": [message]})


def _too_late(latest: datetime, held: bool):
    if held:
        message = _("A session can be logged once it has started; plan it instead.")
    else:
        message = _("A session can be planned at most %(years)d years ahead.", years=PLAN_AHEAD_YEARS)
    raise ServiceError(message, {"starts_at": [message]})


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """Interpret a naive local date-time in ``zone_name`` and return it as aware UTC.

    Refuses a time that does not exist in that zone (skipped by a clock change); an ambiguous
    time (repeated by a clock change) is read as the first occurrence.
    """
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(_("Unknown time zone."), {"timezone": [_("Unknown time zone.")]}) from None
    aware = local.replace(tzinfo=zone, fold=0)
    try:
        result = aware.astimezone(UTC)
        round_trip = result.astimezone(zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        message = _("This date is outside the calendar.")
        raise ServiceError(message, {"starts_at": [message]}) from None
    if round_trip != local.replace(tzinfo=None):
        message = _("This time does not exist in that time zone (the clocks change then).")
        raise ServiceError(message, {"starts_at": [message]})
    return result


def zone_choices(mentorship) -> list[tuple[str, str]]:
    """Time zones for a session form: the two cities' zones and UTC first, then every IANA zone."""
    first = []
    for city in (mentorship.mentor_city, mentorship.mentee_city):
        if city.timezone and city.timezone not in first:
            first.append(city.timezone)
    if "UTC" not in first:
        first.append("UTC")
    labels = {mentorship.mentor_city.timezone: display_name(mentorship.mentor_city),
              mentorship.mentee_city.timezone: display_name(mentorship.mentee_city)}
    result = [(z, f"{z} ({labels[z]})" if z in labels else z) for z in first]
    result += [(z, z) for z in sorted(available_timezones()) if z not in first]
    return result
