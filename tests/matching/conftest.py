import pytest

from matching import Participant


@pytest.fixture
def city():
    """Factory of valid participants with sensible defaults."""
    def make(id, **kw):
        kw.setdefault("name", id.title())
        kw.setdefault("country", "FR")
        kw.setdefault("languages", ("fr",))
        return Participant(id=id, **kw)
    return make


@pytest.fixture
def mentor(city):
    def make(id, areas=("open_data",), level=4, capacity=1, **kw):
        kw.setdefault("maturity", {a: level for a in areas})
        return city(id, can_mentor=tuple(areas), capacity=capacity, **kw)
    return make


@pytest.fixture
def mentee(city):
    def make(id, needs=None, **kw):
        return city(id, need=needs or {"open_data": 3}, wants_mentor=True, **kw)
    return make
