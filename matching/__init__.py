"""matching: optimal, explained, constraint-safe mentor -> mentee city pairings.

A standalone library (numpy, scipy, scikit-learn, networkx): no web framework,
no database. Start with :func:`propose`.

Examples
--------
>>> from matching import Participant, propose
>>> cities = [Participant(id="a", name="Lyon", country="FR", languages=["fr"],
...                       maturity={"open_data": 4}, can_mentor=["open_data"], capacity=1),
...           Participant(id="b", name="Dakar", country="SN", languages=["fr"],
...                       need={"open_data": 3}, wants_mentor=True)]
>>> propose(cities).pairs[0].explanation
'Lyon is leading in open data, where Dakar has a high need. They share French.'
"""

from .engine import propose
from .exceptions import Infeasible, InvalidInput, MatchingError, RulesConflict
from .features import CityFeatures, LevelThresholds
from .network import check_rules
from .params import MatchParams
from .records import Participant, dump_jsonl, load_jsonl, read_participants
from .result import MatchResult, Pair, Unmatched
from .suggest import suggest_mentors

__all__ = [
    "Participant", "MatchParams", "propose", "suggest_mentors",
    "load_jsonl", "dump_jsonl", "read_participants",
    "MatchResult", "Pair", "Unmatched",
    "MatchingError", "InvalidInput", "Infeasible", "RulesConflict", "check_rules",
    "CityFeatures", "LevelThresholds",
]
