"""An immutable, hashable mapping used inside frozen records."""

from collections.abc import Mapping

__all__ = ["FrozenMap"]


class FrozenMap(Mapping):
    """Read-only mapping with sorted keys, hashable so records can be hashed.

    Examples
    --------
    >>> m = FrozenMap({"b": 1, "a": 2})
    >>> list(m), m["a"], hash(m) == hash(FrozenMap({"a": 2, "b": 1}))
    (['a', 'b'], 2, True)
    """

    __slots__ = ("_data",)

    def __init__(self, data=()):
        self._data = dict(sorted(dict(data).items()))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    # Fast paths (the Mapping mixins go through __iter__ and __getitem__).
    def __contains__(self, key):
        return key in self._data

    def get(self, key, default=None):
        return self._data.get(key, default)

    def items(self):
        return self._data.items()

    def keys(self):
        return self._data.keys()

    def values(self):
        return self._data.values()

    def __hash__(self):
        return hash(tuple(self._data.items()))

    def __eq__(self, other):
        if isinstance(other, Mapping):
            return dict(self._data) == dict(other)
        return NotImplemented

    def __repr__(self):
        return f"FrozenMap({self._data!r})"
