"""Result objects of a matching round: pairs, unmatched mentees, metrics."""

import dataclasses
import json
import os

__all__ = ["Pair", "Unmatched", "MatchResult"]


@dataclasses.dataclass(frozen=True)
class Pair:
    """A proposed mentor -> mentee pair.

    Attributes
    ----------
    mentor, mentee : str
        Participant ids.
    score : float
        Sum of ``components``.
    components : dict of str to float
        ``complementarity``, ``text`` and ``context`` parts (priority included).
    areas : tuple of str
        Focus areas, best first (where the mentor's strength meets the mentee's need).
    explanation : str
        One or two plain sentences (and one per programme rule that shaped the pair).
    rules : tuple of str
        Codes of the programme's rules that decided for this pair: ``cross_commission``
        (rewarded or required), ``priority_floor`` (counts toward the priority share),
        ``min_per_region`` (counts toward a region's floor), ``max_per_country`` (its
        country reached the cap).
    """

    mentor: str
    mentee: str
    score: float
    components: dict
    areas: tuple
    explanation: str
    rules: tuple = ()

    def to_dict(self):
        """JSON-ready dict."""
        out = dataclasses.asdict(self)
        out["areas"] = list(self.areas)
        out["rules"] = list(self.rules)
        return out


@dataclasses.dataclass(frozen=True)
class Unmatched:
    """A mentee left without a mentor.

    Attributes
    ----------
    mentee : str
    reason : str
        ``"no_eligible_mentor"`` (a rule excludes every mentor), ``"capacity"``
        (eligible mentors exist but their places went to other mentees),
        ``"rule_max_per_country"`` (the mentee's country reached the round's cap) or
        ``"rule_max_per_mentor_country"`` (its eligible mentors with a free place already
        take the most mentees of its country allowed).
    detail : str
        A plain English sentence naming the rule or the situation.
    facts : dict
        The same in structured form, for readers who write the sentence in another language:
        ``candidates`` (mentors who pass every rule), and by reason ``rule`` (the first rule that
        excludes every mentor: ``needs``, ``no_need``, ``language``, ``country``, ``exclusion``,
        ``commission`` or ``min_score``), ``languages``, ``country``, ``min_score``,
        ``max_per_country``, ``max_per_mentor_country`` and ``floors`` (``{"kind": "priority",
        "share": …}`` or ``{"kind": "region", "region": …, "pairs": …}``).
    """

    mentee: str
    reason: str
    detail: str
    facts: dict = dataclasses.field(default_factory=dict, compare=False, hash=False)

    @property
    def rule(self) -> str:
        """With ``no_eligible_mentor``: the rule that ruled out the last candidate mentors; else empty."""
        return "needs" if self.facts.get("rule") == "no_need" else self.facts.get("rule", "")

    def to_dict(self):
        """JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class MatchResult:
    """Outcome of :func:`matching.propose`.

    Attributes
    ----------
    pairs : list of Pair
        Sorted by mentee id, then by score (best first).
    unmatched : list of Unmatched
    metrics : dict
        ``objective`` (total of the solver's scaled scores, in score units),
        ``upper_bound``, ``certified``, ``coverage`` and more (see the README).
    params : dict
        The parameters used.
    """

    pairs: list
    unmatched: list
    metrics: dict
    params: dict = dataclasses.field(default_factory=dict)

    def to_dict(self):
        """JSON-ready dict with ``pairs``, ``unmatched``, ``metrics`` and ``params``."""
        return {"pairs": [p.to_dict() for p in self.pairs],
                "unmatched": [u.to_dict() for u in self.unmatched],
                "metrics": self.metrics, "params": self.params}

    def to_json(self, path=None, indent=2):
        """Write the result as JSON to ``path`` (or return the text when ``path`` is None)."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
        if path is None:
            return text
        with open(os.fspath(path), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        return None
