"""Exceptions raised by the matching engine.

A small tree so callers can tell bad input (the coordinator must fix a file or a
parameter) from a problem that cannot be solved as posed.
"""

__all__ = ["MatchingError", "InvalidInput", "Infeasible", "RulesConflict"]


class MatchingError(Exception):
    """Base class of every error the matching engine raises on purpose."""


class InvalidInput(MatchingError, ValueError):
    """A participant record, a file or a parameter is not valid.

    Parameters
    ----------
    message : str
        A plain sentence saying what is wrong and how to fix it.
    line : int, optional
        1-based line of the JSON Lines file where the problem is.
    field : str, optional
        Name of the offending field or parameter.
    errors : list of InvalidInput, optional
        When several records are invalid, every problem found.

    Examples
    --------
    >>> err = InvalidInput("must be an integer >= 0, got -1", line=3, field="capacity")
    >>> str(err)
    "line 3, field 'capacity': must be an integer >= 0, got -1"
    """

    def __init__(self, message, *, line=None, field=None, errors=None):
        self.problem = message
        self.line = line
        self.field = field
        self.errors = list(errors) if errors else []
        prefix = []
        if line is not None:
            prefix.append(f"line {line}")
        if field is not None:
            prefix.append(f"field {field!r}")
        text = ", ".join(prefix) + ": " + message if prefix else message
        super().__init__(text)


class Infeasible(MatchingError):
    """The round cannot be solved as posed (for example no mentor or no mentee)."""


class RulesConflict(InvalidInput):
    """Two of the programme's rules cannot be combined on this round's mentees.

    Their groups (countries, regions, priority mentees) overlap without one containing
    the other, which leaves the class of flow problems solved exactly.

    Attributes
    ----------
    group, other : tuple
        The two overlapping groups, such as ``("priority", "priority")`` and
        ``("region", "africa")``.
    rule, other_rule : str
        The ``MatchParams`` fields of the two rules (``field`` is ``rule``).
    """

    def __init__(self, group, other, rule, other_rule):
        self.group, self.other = group, other
        self.rule, self.other_rule = rule, other_rule
        super().__init__(
            f"the rules {rule} and {other_rule} cannot be combined in this round: {group[0]} "
            f"{group[1]!r} and {other[0]} {other[1]!r} overlap without one containing the other, "
            f"which leaves the class of flow problems the engine solves exactly (use one of the two "
            f"rules, or give priority to whole countries or regions)", field=rule)
