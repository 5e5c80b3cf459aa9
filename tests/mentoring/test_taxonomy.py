"""The shipped taxonomy and its loading command."""
from __future__ import annotations

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import CapabilityArea, Commission
from mentoring.services.taxonomy import taxonomy_file


def test_data_file_is_complete_in_three_languages():
    data = taxonomy_file()
    assert len(data["areas"]) == 25
    axes = {axis["key"] for axis in data["axes"]}
    for item in data["areas"] + data["axes"] + data["commissions"]:
        assert set(item["labels"]) == {"en", "fr", "es"}
        assert all(label.strip() for label in item["labels"].values())
    for area in data["areas"]:
        assert area["axis"] in axes
    for lang in ("en", "fr", "es"):
        assert len(data["levels"][lang]) == 5 and len(data["need_names"][lang]) == 4
    assert len({a["key"] for a in data["areas"]}) == 25


def test_taxonomy_load_is_idempotent(app, runner):
    first = runner.invoke(args=["taxonomy", "load"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["taxonomy", "load"])
    assert "0 created, 0 updated, 25 unchanged" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CapabilityArea)) == 25
        assert db.session.scalar(select(func.count()).select_from(Commission)) == 3
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "open_data"))
        assert area.labels["fr"] == "Données ouvertes et transparence"
        assert area.axis == "governance"


def test_load_restores_edited_labels_but_keeps_admin_areas(app, runner):
    with app.app_context():
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "broadband"))
        area.labels = {"en": "changed", "fr": "changé", "es": "cambiado"}
        db.session.add(CapabilityArea(key="custom_area", axis="governance", labels={"en": "Custom"}, levels={}))
        db.session.commit()
    result = runner.invoke(args=["taxonomy", "load"])
    assert "1 updated" in result.output
    with app.app_context():
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "broadband"))
        assert area.labels["en"] == "Broadband and public connectivity"
        assert db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "custom_area"))
