"""Participant records and their JSON Lines file form.

One city per record. A record is a frozen dataclass; its file form is one JSON
object per line with the same field names. Validation happens when a record is
built, so a :class:`Participant` that exists is valid.
"""

import dataclasses
import io
import json
import math
import os
import re
from collections.abc import Mapping

from ._frozen import FrozenMap
from .exceptions import InvalidInput

__all__ = ["Participant", "load_jsonl", "dump_jsonl", "read_participants"]

#: A city mentors in an area it lists as ``can_mentor`` only from this maturity on (the one rule:
#: :attr:`Participant.teaching_areas`, the features' ``teach`` block, the engine's mentors).
TEACH_LEVEL = 3

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_REQUIRED = ("id", "name", "country")
_STR, _INT = {str}, {int}


def _fail(field, message):
    raise InvalidInput(message, field=field)


def _text(field, value):
    if not isinstance(value, str):
        _fail(field, f"must be text, got {type(value).__name__}")
    return value


def _int(field, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, f"must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        _fail(field, f"must be {bound}, got {value}")
    return value


def _str_list(field, value, pattern=None, what="text"):
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
        _fail(field, f"must be a list of {what}, got {type(value).__name__}")
    if not value:
        return ()
    # The usual case, checked by C loops over the whole list; the loop below names a problem.
    if set(map(type, value)) <= _STR and "" not in value and (pattern is None or all(map(pattern.match, value))):
        return tuple(dict.fromkeys(value))
    items = []
    for item in value:
        if not isinstance(item, str) or not item:
            _fail(field, f"must be a list of non-empty {what}, got {item!r}")
        if pattern is not None and not pattern.match(item):
            _fail(field, f"{item!r} is not a valid {what}")
        items.append(item)
    # Order is kept (it can carry meaning) but duplicates are dropped.
    return tuple(dict.fromkeys(items))


def _levels(field, value, high):
    if type(value) is not dict and not isinstance(value, Mapping):
        _fail(field, f"must be an object mapping area keys to levels 0-{high}")
    # The usual case, checked by C loops over the whole mapping; the loop below names a problem.
    if not value or (set(map(type, value)) == _STR and set(map(type, value.values())) == _INT
                     and "" not in value and min(value.values()) >= 0 and max(value.values()) <= high):
        return FrozenMap(value)
    out = {}
    for key, level in value.items():
        if not isinstance(key, str) or not key:
            _fail(field, f"area keys must be non-empty text, got {key!r}")
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= high:
            _fail(field, f"level of {key!r} must be a whole number from 0 to {high}, got {level!r}")
        out[key] = level
    return FrozenMap(out)


@dataclasses.dataclass(frozen=True)
class Participant:
    """A city taking part in a mentoring round.

    Parameters
    ----------
    id : str
        Stable identifier, unique in the round.
    name : str
        Display name of the city.
    country : str
        ISO 3166-1 alpha-2 code (``"FR"``); lower case is accepted and upper-cased.
    region : str, default ""
        Region label (free text such as ``"Africa"``); used for context and reporting.
    population : int, default 0
        Number of inhabitants (>= 0; 0 means unknown).
    languages : tuple of str, default ()
        ISO 639-1 codes of working languages (``("fr", "en")``).
    maturity : mapping of str to int, default {}
        Level 0-4 per capability area key; missing areas count as 0.
    need : mapping of str to int, default {}
        Need 0-3 per area key; missing areas count as 0.
    can_mentor : tuple of str, default ()
        Area keys the city offers to mentor in (effective only at maturity >= 3).
    capacity : int, default 0
        Number of mentees the city can take; 0 means it is not a mentor.
    wants_mentor : bool, default False
        Whether the city asks for a mentor in this round.
    practices : str, default ""
        Free text describing the city's practices (any language).
    needs_text : str, default ""
        Free text describing what the city needs (any language).
    priority : float, default 1.0
        Weight >= 1 multiplying the score of pairs where this city is the mentee.
    exclude : tuple of str, default ()
        Ids this city must not be paired with (either direction); previous pairs go here,
        and so do the cities it asked to avoid.
    commission : str, default ""
        The programme commission the city takes part through (free key such as
        ``"digital_cities"``); used by the cross-commission rule (``MatchParams.cross_commission``).
    prefer : tuple of str, default ()
        Ids of partner cities this city would like (a bonus, see :mod:`matching.preferences`).
    prefer_regions : tuple of str, default ()
        Regions where it would like its partner to be (a bonus).
    prefer_languages : tuple of str, default ()
        ISO 639-1 codes of the languages it would like to work in, best first (a bonus).
    focus : tuple of str, default ()
        Area keys it wants most, first first: their need counts more in complementarity.

    Examples
    --------
    >>> lyon = Participant(id="c1", name="Lyon", country="fr", languages=["fr", "en"],
    ...                    maturity={"open_data": 4}, can_mentor=["open_data"], capacity=2)
    >>> lyon.country, lyon.languages, lyon.maturity["open_data"]
    ('FR', ('fr', 'en'), 4)
    >>> Participant.from_dict(lyon.to_dict()) == lyon
    True
    """

    id: str
    name: str
    country: str
    region: str = ""
    population: int = 0
    languages: tuple = ()
    maturity: Mapping = dataclasses.field(default_factory=FrozenMap)
    need: Mapping = dataclasses.field(default_factory=FrozenMap)
    can_mentor: tuple = ()
    capacity: int = 0
    wants_mentor: bool = False
    practices: str = ""
    needs_text: str = ""
    priority: float = 1.0
    exclude: tuple = ()
    commission: str = ""
    prefer: tuple = ()
    prefer_regions: tuple = ()
    prefer_languages: tuple = ()
    focus: tuple = ()

    def __post_init__(self):
        put = object.__setattr__.__get__(self)
        if not isinstance(self.id, str) or not self.id.strip():
            _fail("id", "must be non-empty text")
        _text("name", self.name)
        country = _text("country", self.country).upper()
        if not _COUNTRY.match(country):
            _fail("country", f"must be an ISO 3166-1 alpha-2 code such as 'FR', got {self.country!r}")
        put("country", country)
        _text("region", self.region)
        _int("population", self.population, 0)
        put("languages", _str_list("languages", self.languages, _LANGUAGE, "ISO 639-1 language code"))
        put("maturity", _levels("maturity", self.maturity, 4))
        put("need", _levels("need", self.need, 3))
        put("can_mentor", _str_list("can_mentor", self.can_mentor, what="area key"))
        _int("capacity", self.capacity, 0)
        if not isinstance(self.wants_mentor, bool):
            _fail("wants_mentor", f"must be true or false, got {self.wants_mentor!r}")
        _text("practices", self.practices)
        _text("needs_text", self.needs_text)
        priority = self.priority
        if isinstance(priority, bool) or not isinstance(priority, (int, float)):
            _fail("priority", f"must be a number >= 1, got {priority!r}")
        if not math.isfinite(priority) or priority < 1:
            _fail("priority", f"must be a finite number >= 1, got {priority!r}")
        put("priority", float(priority))
        exclude = _str_list("exclude", self.exclude, what="participant id")
        if self.id in exclude:
            _fail("exclude", "a city cannot exclude itself")
        put("exclude", exclude)
        put("commission", _text("commission", self.commission).strip())
        prefer = _str_list("prefer", self.prefer, what="participant id")
        if self.id in prefer:
            _fail("prefer", "a city cannot prefer itself")
        put("prefer", prefer)
        put("prefer_regions", _str_list("prefer_regions", self.prefer_regions, what="region"))
        put("prefer_languages", _str_list("prefer_languages", self.prefer_languages, _LANGUAGE,
                                          "ISO 639-1 language code"))
        put("focus", _str_list("focus", self.focus, what="area key"))

    @property
    def teaching_areas(self):
        """Area keys the city can effectively mentor in (listed and at level >= 3)."""
        return tuple(a for a in self.can_mentor if self.maturity.get(a, 0) >= TEACH_LEVEL)

    @property
    def is_mentor(self):
        """True when the city has capacity and at least one effective teaching area."""
        return self.capacity > 0 and bool(self.teaching_areas)

    @property
    def is_mentee(self):
        """True when the city asks for a mentor."""
        return self.wants_mentor

    @classmethod
    def from_dict(cls, data):
        """Build a validated record from a mapping (for example a parsed JSON line).

        Unknown fields are an error; missing optional fields take their defaults.

        Raises
        ------
        InvalidInput
            Naming the field and the problem.

        Examples
        --------
        >>> Participant.from_dict({"id": "c2", "name": "Dakar", "country": "SN"}).capacity
        0
        >>> Participant.from_dict({"id": "c2", "name": "Dakar", "country": "SN", "size": 3})
        Traceback (most recent call last):
        ...
        matching.exceptions.InvalidInput: field 'size': unknown field (known fields: id, name, country, ...)
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(f"a participant must be a JSON object, got {type(data).__name__}")
        known = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in known:
                raise InvalidInput("unknown field (known fields: id, name, country, ...)", field=str(key))
        for key in _REQUIRED:
            if key not in data:
                raise InvalidInput("is required", field=key)
        return cls(**dict(data))

    def to_dict(self):
        """Return a JSON-ready dict (lists and plain dicts) that :meth:`from_dict` reads back."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out


def _check_unique(participants):
    seen = {}
    for i, p in enumerate(participants):
        if p.id in seen:
            raise InvalidInput(
                f"duplicate id {p.id!r} (also record {seen[p.id] + 1}); ids must be unique in a round",
                line=i + 1, field="id")
        seen[p.id] = i
    return participants


def _parse_lines(lines, max_errors=20):
    participants, errors = [], []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(InvalidInput(f"not valid JSON ({exc.msg} at column {exc.colno})", line=number))
        else:
            try:
                participants.append((number, Participant.from_dict(data)))
            except InvalidInput as exc:
                errors.append(InvalidInput(exc.problem, line=number, field=exc.field))
        if len(errors) >= max_errors:
            break
    if not errors:
        seen = {}
        for number, p in participants:
            if p.id in seen:
                errors.append(InvalidInput(
                    f"duplicate id {p.id!r} (first on line {seen[p.id]}); ids must be unique",
                    line=number, field="id"))
            seen.setdefault(p.id, number)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise InvalidInput(first.problem + more, line=first.line, field=first.field, errors=errors)
    return [p for _, p in participants]


def load_jsonl(source):
    """Read and validate participants from a JSON Lines file.

    The whole file is checked before anything is returned: on any problem an
    :class:`InvalidInput` is raised naming the line and field of the first problem
    (``.errors`` lists up to 20).

    Parameters
    ----------
    source : str, os.PathLike or file-like
        Path of the file, or an open text file.

    Returns
    -------
    list of Participant

    Examples
    --------
    >>> import io
    >>> f = io.StringIO('{"id": "a", "name": "A", "country": "FR"}\\n')
    >>> [p.id for p in load_jsonl(f)]
    ['a']
    >>> load_jsonl(io.StringIO('{"id": "a", "name": "A", "country": "FR", "capacity": -1}\\n'))
    Traceback (most recent call last):
    ...
    matching.exceptions.InvalidInput: line 1, field 'capacity': must be >= 0, got -1
    """
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, encoding="utf-8") as fh:
                return _parse_lines(fh)
        except OSError as exc:
            raise InvalidInput(f"cannot read {os.fspath(source)!r}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"{os.fspath(source)!r} is not UTF-8 text") from None
    return _parse_lines(source)


def dump_jsonl(participants, target):
    """Write participants as JSON Lines (one city per line, UTF-8).

    Parameters
    ----------
    participants : iterable of Participant
    target : str, os.PathLike or file-like

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> dump_jsonl([Participant(id="a", name="A", country="FR")], buf)
    >>> load_jsonl(io.StringIO(buf.getvalue()))[0].id
    'a'
    """
    lines = "".join(json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=False) + "\n"
                    for p in participants)
    if isinstance(target, (str, os.PathLike)):
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        target.write(lines)


def read_participants(source):
    """Return a validated list of participants from any usual source.

    Parameters
    ----------
    source : path, file-like, or iterable of Participant or dict
        A JSON Lines path or open file, or records already in memory.

    Returns
    -------
    list of Participant
        Ids are checked to be unique.

    Examples
    --------
    >>> ps = read_participants([{"id": "a", "name": "A", "country": "FR"},
    ...                         Participant(id="b", name="B", country="SN")])
    >>> [p.id for p in ps]
    ['a', 'b']
    """
    if isinstance(source, (str, os.PathLike, io.IOBase)):
        return load_jsonl(source)
    out = []
    for i, item in enumerate(source):
        if isinstance(item, Participant):
            out.append(item)
        else:
            try:
                out.append(Participant.from_dict(item))
            except InvalidInput as exc:
                raise InvalidInput(exc.problem, line=i + 1, field=exc.field) from None
    return _check_unique(out)
