"""Declarative base, naming convention and column types shared by every model."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic alter tables on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime (a callable default, never import-time)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones: values are stored as naive UTC and come back aware. Naive values
    are refused on the way in, so a local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    # One registry carries both settings: Flask-SQLAlchemy subclasses this base, and SQLAlchemy 2.1
    # refuses a per-class type_annotation_map next to an inherited registry.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# --- What the database can store ----------------------------------------------------------------
# A last line of defence under the forms' own validation, identical on SQLite (which would store
# anything) and PostgreSQL (which refuses with an error that would be a 500):
# - strings lose NUL characters and unpaired surrogates (no column can store them);
# - a string longer than its column is shortened with an ellipsis when the column is marked
#   ``info={"shorten": True}`` (text the service builds from user data, e.g. an e-mail subject
#   quoting two city names); any other over-long string or out-of-range integer refuses the whole
#   flush with a ServiceError (422) naming the field, so nothing is half-saved.
ELLIPSIS = "…"
INTEGER_RANGES = {"SmallInteger": 2**15, "Integer": 2**31, "BigInteger": 2**63}


def shorten(text: str, length: int) -> str:
    """``text`` cut to at most ``length`` characters, ending with an ellipsis when it was cut."""
    if len(text) <= length:
        return text
    return text[: max(length - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS if length > 0 else ""


def storable_text(text: str) -> str:
    """``text`` without the characters no database can store (NUL, unpaired surrogates)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _integer_bound(column_type) -> int | None:
    for cls in type(column_type).__mro__:
        if cls.__name__ in INTEGER_RANGES:
            return INTEGER_RANGES[cls.__name__]
    return None


def _fit_columns(session, flush_context, instances) -> None:
    from flask_babel import gettext as _

    from mentoring.services import ServiceError

    errors: dict[str, list[str]] = {}
    for obj in list(session.new) + list(session.dirty):
        mapper = getattr(obj, "__mapper__", None)
        if mapper is None:
            continue
        for attr in mapper.column_attrs:
            if len(attr.columns) != 1:
                continue
            column = attr.columns[0]
            value = obj.__dict__.get(attr.key)  # only what was loaded or set: no lazy loads
            if isinstance(value, str):
                fixed = storable_text(value)
                length = getattr(column.type, "length", None)
                if length and len(fixed) > length:
                    if column.info.get("shorten"):
                        fixed = shorten(fixed, length)
                    else:
                        errors.setdefault(attr.key, []).append(
                            _("This text is too long (at most %(max)d characters).", max=length))
                        continue
                if fixed != value:
                    setattr(obj, attr.key, fixed)
            elif isinstance(value, int) and not isinstance(value, bool):
                bound = _integer_bound(column.type)
                if bound is not None and not -bound <= value < bound:
                    errors.setdefault(attr.key, []).append(_("This number is out of range."))
    if errors:
        raise ServiceError(_("Some of the data is too long or out of range."), errors)


def install_column_guards(session_class) -> None:
    """Run :func:`_fit_columns` before every flush of ``session_class`` (idempotent)."""
    from sqlalchemy import event

    if not event.contains(session_class, "before_flush", _fit_columns):
        event.listen(session_class, "before_flush", _fit_columns)
