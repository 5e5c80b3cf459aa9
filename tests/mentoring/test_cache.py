"""The data fingerprint behind cached results changes with every kind of write (both databases)."""
from __future__ import annotations

from mentoring import cache
from mentoring.extensions import db
from mentoring.models import City, CityCommission, Commission


def test_every_write_changes_the_fingerprint_even_a_delete_then_insert_reusing_the_id(app, make_city):
    lyon = make_city("Lyon")
    make_city("Dakar", "SN", region="africa")
    with app.app_context():
        seen = [cache.fingerprint(City, CityCommission)]

        def changed():
            db.session.commit()
            seen.append(cache.fingerprint(City, CityCommission))
            return seen[-1] != seen[-2]

        assert not changed()  # no write, same fingerprint
        db.session.get(City, lyon.id).population = 500_000
        assert changed()  # an update
        city = db.session.get(City, lyon.id)
        db.session.delete(city)
        db.session.flush()
        again = City(id=lyon.id, name="Lyon", country="FR", region="europe", status="verified")
        db.session.add(again)
        assert changed()  # same count, same id, same version: the newer row still shows
        commission = db.session.scalars(db.select(Commission)).first()
        db.session.add(CityCommission(city_id=lyon.id, commission_id=commission.id))
        assert changed()  # a row of a link table without versions


def test_a_memo_keeps_the_most_recent_results_only():
    memo = cache.Memo(maxsize=2)
    computed = []
    for key in ("a", "b", "a", "c", "b"):
        memo.get_or_compute(key, lambda key=key: computed.append(key) or key.upper())
    assert computed == ["a", "b", "c", "b"]  # "a" was kept; "b" was the oldest when "c" came
