"""Who may see and change a city's profile (the views' owner checks ask here)."""
from __future__ import annotations

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import City, CityMember


def is_member(city: City, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(CityMember, (city.id, user.id)) is not None


def can_edit(city: City, user) -> bool:
    """Representatives of the city, coordinators and administrators."""
    return rules.is_coordinator(user) or rules.is_representative(user, city.id)


def can_view(city: City, user) -> bool:
    """Verified cities are visible to every signed-in user; others to members and coordinators."""
    if city.status == "verified":
        return True
    return rules.is_coordinator(user) or is_member(city, user)
