"""Exceptions raised by the matching engine.

A small tree so callers can tell bad input (the coordinator must fix a file or a
parameter) from a problem that cannot be solved as posed.
"""

__all__ = ["MatchingError", "InvalidInput", "Infeasible"]


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
