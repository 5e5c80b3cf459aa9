"""Business operations: plain arguments in, model objects out. They flush; callers commit once."""
from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the operation; ``errors`` maps field names to messages."""

    status = 422

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotAllowed(ServiceError):
    """The transition or change is not allowed in the object's current state."""

    status = 409


class Conflict(ServiceError):
    """Someone else changed the object since it was read (optimistic locking)."""

    status = 409
