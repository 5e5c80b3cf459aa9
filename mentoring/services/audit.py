"""The audit trail: one call per change, inside the same transaction as the change."""
from __future__ import annotations

from typing import Any

from mentoring.extensions import db
from mentoring.logs import current_request_id
from mentoring.models import AuditEvent


def record(
    actor,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an :class:`AuditEvent` for ``action`` on ``obj`` by ``actor`` (a User or ``None``).

    The event is flushed with the caller's transaction: it is saved exactly when the change is.
    """
    if obj is not None:
        object_type = object_type or type(obj).__name__.lower()
        if object_id is None:
            object_id = getattr(obj, "id", None)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "",
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        reason=reason,
        request_id=current_request_id(),
    )
    db.session.add(event)
    return event


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the keys whose values differ, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
