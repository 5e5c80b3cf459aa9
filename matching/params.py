"""Parameters of a matching round."""

import dataclasses
import math
from collections.abc import Mapping

from ._frozen import FrozenMap
from .exceptions import InvalidInput

__all__ = ["MatchParams", "DEFAULT_WEIGHTS", "DEFAULT_PREFERENCE_WEIGHTS", "OBJECTIVES", "SOLVERS", "CROSS_COMMISSION"]

DEFAULT_WEIGHTS = FrozenMap({"complementarity": 0.7, "text": 0.2, "context": 0.1})
# Stated preferences (matching.preferences): partner, region and language bonuses (their sum
# may not exceed the complementarity weight), and how much the first focus area's need grows.
DEFAULT_PREFERENCE_WEIGHTS = FrozenMap({"partner": 0.2, "region": 0.05, "language": 0.05, "focus": 1.0})
MAX_FOCUS_WEIGHT = 3.0
OBJECTIVES = ("max_coverage", "max_score")
SOLVERS = ("auto", "exact", "greedy")
CROSS_COMMISSION = ("off", "bonus", "required")
MIN_MEMORY_BUDGET = 64 << 20


def _bad(field, message):
    raise InvalidInput(message, field=field)


@dataclasses.dataclass(frozen=True)
class MatchParams:
    """Rules and options of a matching round (validated on creation).

    Parameters
    ----------
    weights : mapping, default {"complementarity": 0.7, "text": 0.2, "context": 0.1}
        Non-negative weights of the score components; missing keys take the default.
    require_shared_language : bool, default True
        Pair only cities with at least one working language in common.
    allow_same_country : bool, default False
        Allow a mentor and a mentee from the same country.
    min_score : float, default 0.0
        Pairs scoring below this are not eligible.
    mentors_per_mentee : int, default 1
        Each mentee gets up to this many distinct mentors.
    objective : {"max_coverage", "max_score"}, default "max_coverage"
        ``max_coverage`` matches as many mentor places as possible (one per mentee by
        default), then maximises the total score; ``max_score`` maximises the total score.
    solver : {"auto", "exact", "greedy"}, default "auto"
        ``auto``: exact; large rounds are pruned to candidates then priced with dual
        values until certified. ``exact``: the exact problem on every eligible pair.
        ``greedy``: the best-score-first baseline (not optimal).
    top_k : int or None, default None
        Candidate mentors kept per mentee before pricing (None: chosen from the size).
    random_state : int or None, default 0
        Seed for the randomised text projection; results are deterministic for a seed.
    area_labels : mapping or None, default None
        Readable (possibly translated) label per area key for explanations; by default
        the key with underscores turned into spaces.
    memory_budget : int, default 1 GiB
        Bytes the engine may use for its work arrays (scores kept between pricing
        rounds, candidate pairs). Scanning and pricing work in blocks under it; if the
        candidate pairs outgrow it the engine stops, says so in
        ``metrics["stopped"]`` and reports the bound it reached (never runs out of memory).
    max_per_country : int or None, default None
        Rule: at most this many mentees of one country are matched in the round.
    max_per_mentor_country : int or None, default None
        Rule: a mentor city takes at most this many mentees of one country.
    priority_floor : float, default 0.0
        Rule: at least this share (0-1) of the matched places go to priority mentees
        (``priority > 1``, the less-favoured countries), as far as eligible pairs allow.
    min_per_region : int, default 0
        Rule: at least this many pairs per mentee region, as far as eligible pairs allow.
    cross_commission : {"off", "bonus", "required"}, default "off"
        Pairs whose cities take part through different commissions: rewarded with
        ``cross_commission_bonus`` added to their score, or the only pairs allowed.
    cross_commission_bonus : float, default 0.1
        Score added to a cross-commission pair when ``cross_commission="bonus"``.

    The four rules ``max_per_country``, ``max_per_mentor_country``, ``priority_floor`` and
    ``min_per_region`` make the round a minimum-cost flow on a network with gadget nodes
    (:mod:`matching.network`), solved exactly with its dual certificate.
    preference_weights : mapping, default {"partner": 0.2, "region": 0.05, "language": 0.05, "focus": 1.0}
        Bonus of a stated partner, region and language preference (one city's wish counts
        half, a mutual one fully; see :mod:`matching.preferences`); their sum may not exceed
        the complementarity weight. ``focus`` (0-3): the need of a city's first focus area
        counts ``1 + focus`` times, the last ``1 + focus / n``.

    Examples
    --------
    >>> p = MatchParams(objective="max_score", weights={"text": 0.0})
    >>> p.weights["complementarity"], p.weights["text"]
    (0.7, 0.0)
    >>> MatchParams.from_dict(p.to_dict()) == p
    True
    >>> MatchParams(mentors_per_mentee=0)
    Traceback (most recent call last):
    ...
    matching.exceptions.InvalidInput: field 'mentors_per_mentee': must be a whole number >= 1, got 0
    """

    weights: Mapping = DEFAULT_WEIGHTS
    require_shared_language: bool = True
    allow_same_country: bool = False
    min_score: float = 0.0
    mentors_per_mentee: int = 1
    objective: str = "max_coverage"
    solver: str = "auto"
    top_k: int | None = None
    random_state: int | None = 0
    area_labels: Mapping | None = None
    memory_budget: int = 1 << 30
    max_per_country: int | None = None
    max_per_mentor_country: int | None = None
    priority_floor: float = 0.0
    min_per_region: int = 0
    cross_commission: str = "off"
    cross_commission_bonus: float = 0.1
    preference_weights: Mapping = DEFAULT_PREFERENCE_WEIGHTS

    def __post_init__(self):
        put = object.__setattr__.__get__(self)
        if not isinstance(self.weights, Mapping):
            _bad("weights", "must be a mapping of component name to weight")
        weights = dict(DEFAULT_WEIGHTS)
        for key, value in self.weights.items():
            if key not in DEFAULT_WEIGHTS:
                _bad("weights", f"unknown component {key!r} (known: {', '.join(DEFAULT_WEIGHTS)})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                _bad("weights", f"weight of {key!r} must be a finite number >= 0, got {value!r}")
            weights[key] = float(value)
        if weights["complementarity"] <= 0:
            _bad("weights", "the complementarity weight must be > 0 (it is what a pairing is for)")
        put("weights", FrozenMap(weights))
        if not isinstance(self.preference_weights, Mapping):
            _bad("preference_weights", "must be a mapping of preference kind to weight")
        prefs = dict(DEFAULT_PREFERENCE_WEIGHTS)
        for key, value in self.preference_weights.items():
            if key not in DEFAULT_PREFERENCE_WEIGHTS:
                _bad("preference_weights",
                     f"unknown kind {key!r} (known: {', '.join(DEFAULT_PREFERENCE_WEIGHTS)})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                _bad("preference_weights", f"weight of {key!r} must be a finite number >= 0, got {value!r}")
            prefs[key] = float(value)
        if prefs["partner"] + prefs["region"] + prefs["language"] > weights["complementarity"] + 1e-12:
            _bad("preference_weights", "the partner, region and language weights together may not exceed "
                                       "the complementarity weight (a wish must not outweigh the fit)")
        if prefs["focus"] > MAX_FOCUS_WEIGHT:
            _bad("preference_weights", f"the focus weight must be at most {MAX_FOCUS_WEIGHT:g}")
        put("preference_weights", FrozenMap(prefs))
        for name in ("require_shared_language", "allow_same_country"):
            if not isinstance(getattr(self, name), bool):
                _bad(name, "must be true or false")
        ms = self.min_score
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not math.isfinite(ms) or ms < 0:
            _bad("min_score", f"must be a finite number >= 0, got {ms!r}")
        put("min_score", float(ms))
        mpm = self.mentors_per_mentee
        if isinstance(mpm, bool) or not isinstance(mpm, int) or mpm < 1:
            _bad("mentors_per_mentee", f"must be a whole number >= 1, got {mpm!r}")
        if self.objective not in OBJECTIVES:
            _bad("objective", f"must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.solver not in SOLVERS:
            _bad("solver", f"must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        k = self.top_k
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            _bad("top_k", f"must be a whole number >= 1 or None, got {k!r}")
        rs = self.random_state
        if rs is not None and (isinstance(rs, bool) or not isinstance(rs, int) or rs < 0):
            _bad("random_state", f"must be a whole number >= 0 or None, got {rs!r}")
        if self.area_labels is not None:
            if not isinstance(self.area_labels, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in self.area_labels.items()):
                _bad("area_labels", "must map area keys to text labels")
            put("area_labels", FrozenMap(self.area_labels))
        mb = self.memory_budget
        if isinstance(mb, bool) or not isinstance(mb, int) or mb < MIN_MEMORY_BUDGET:
            _bad("memory_budget", f"must be a whole number of bytes >= {MIN_MEMORY_BUDGET}, got {mb!r}")
        for name in ("max_per_country", "max_per_mentor_country"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                _bad(name, f"must be a whole number >= 1 or None, got {value!r}")
        pf = self.priority_floor
        if isinstance(pf, bool) or not isinstance(pf, (int, float)) or not 0 <= pf <= 1:
            _bad("priority_floor", f"must be a share between 0 and 1, got {pf!r}")
        put("priority_floor", float(pf))
        mr = self.min_per_region
        if isinstance(mr, bool) or not isinstance(mr, int) or mr < 0:
            _bad("min_per_region", f"must be a whole number >= 0, got {mr!r}")
        if self.cross_commission not in CROSS_COMMISSION:
            _bad("cross_commission", f"must be one of {', '.join(CROSS_COMMISSION)}, "
                                     f"got {self.cross_commission!r}")
        cb = self.cross_commission_bonus
        if isinstance(cb, bool) or not isinstance(cb, (int, float)) or not math.isfinite(cb) or cb < 0:
            _bad("cross_commission_bonus", f"must be a finite number >= 0, got {cb!r}")
        put("cross_commission_bonus", float(cb))
        if self.network_rules and self.solver == "greedy":
            _bad("solver", "the greedy baseline cannot apply the programme's rules "
                           f"({', '.join(self.network_rules)}); use solver 'auto' or 'exact'")
        if self.network_rules and self.mentors_per_mentee > 1:
            _bad("mentors_per_mentee", "the programme's rules (" + ", ".join(self.network_rules)
                 + ") apply to rounds with one mentor per mentee")

    @property
    def network_rules(self):
        """Names of the active rules that need the flow network (empty: plain matching)."""
        out = []
        if self.max_per_country is not None:
            out.append("max_per_country")
        if self.max_per_mentor_country is not None:
            out.append("max_per_mentor_country")
        if self.priority_floor > 0:
            out.append("priority_floor")
        if self.min_per_region > 0:
            out.append("min_per_region")
        return tuple(out)

    def label(self, area):
        """Readable label of an area key.

        Examples
        --------
        >>> MatchParams().label("open_data")
        'open data'
        """
        if self.area_labels and area in self.area_labels:
            return self.area_labels[area]
        return area.replace("_", " ")

    def to_dict(self):
        """JSON-ready dict of the parameters."""
        out = dataclasses.asdict(self)
        out["weights"] = dict(self.weights)
        out["preference_weights"] = dict(self.preference_weights)
        out["area_labels"] = dict(self.area_labels) if self.area_labels is not None else None
        return out

    @classmethod
    def from_dict(cls, data):
        """Build parameters from a mapping; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        for key in data:
            if key not in known:
                raise InvalidInput(f"unknown parameter (known: {', '.join(sorted(known))})", field=key)
        return cls(**dict(data))
