"""City profiles: registration, the profile editor, verification, members and invitations, the directory.

Every operation flushes and leaves the commit to its caller (a view, a CLI command, an import), and
records what it changed in the audit trail in the same transaction. Field-level problems are
reported as :class:`~mentoring.services.ServiceError` with ``errors`` keyed by form field names, so a
view can show them next to the right input and an import can report them per row. Who speaks for a
city, capacities and versions are :mod:`mentoring.rules`.
"""
from __future__ import annotations

from mentoring.services.cities.access import can_edit, can_view, is_member
from mentoring.services.cities.directory import (
    SORTS,
    DirectoryPage,
    directory_filters,
    directory_query,
    display_name,
    has_homonym,
)
from mentoring.services.cities.editor import (
    current_assessments,
    idle_mentor_areas,
    register_city,
    set_assessments,
    set_commissions,
    set_languages,
    update_identity,
)
from mentoring.services.cities.members import (
    accept_invitation,
    find_invitation,
    invitation_problem,
    invite_member,
    remove_member,
)
from mentoring.services.cities.validation import (
    IDENTITY_FIELDS,
    MAX_MENTOR_CAPACITY,
    MAX_POPULATION,
    REASON_MAX,
    conflict_message,
    identity_snapshot,
    safe_website,
)
from mentoring.services.cities.verification import (
    STATUS_ACTIONS,
    change_status,
    status_label,
)

__all__ = [
    "IDENTITY_FIELDS", "MAX_MENTOR_CAPACITY", "MAX_POPULATION", "REASON_MAX", "SORTS", "STATUS_ACTIONS",
    "accept_invitation", "can_edit", "can_view", "change_status", "conflict_message", "current_assessments",
    "DirectoryPage", "directory_filters", "directory_query", "display_name", "has_homonym", "find_invitation",
    "identity_snapshot",
    "idle_mentor_areas", "invitation_problem",
    "invite_member", "is_member", "register_city", "remove_member", "safe_website", "set_assessments",
    "set_commissions", "set_languages", "status_label", "update_identity",
]
