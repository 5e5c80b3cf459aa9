"""flask cities import / export."""
from __future__ import annotations

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import City


def cities(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(City))


def test_import_then_export_to_stdout_and_back(app, runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"name;country;population\nNantes;FR;320000\nQuito;EC;\n")
    result = runner.invoke(args=["cities", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "Imported: 2 cities added, 0 cities updated, 0 cities already up to date" in result.output
    assert cities(app) == 2

    exported = runner.invoke(args=["cities", "export", "-"])
    assert exported.exit_code == 0
    assert exported.stdout.startswith("name,country,subdivision,geonames_id,region,")
    # Unique names in GeoNames get their subdivision; nothing else is guessed.
    assert "Nantes,FR,FR-PDL,,europe,320000" in exported.stdout and "Quito,EC,EC-P,,latin_america" in exported.stdout

    target = tmp_path / "out.csv"
    assert runner.invoke(args=["cities", "export", "--country", "FR", str(target)]).exit_code == 0
    assert b"Nantes" in target.read_bytes() and b"Quito" not in target.read_bytes()
    again = runner.invoke(args=["cities", "import", str(target)])
    assert again.exit_code == 0 and "1 cities already up to date" in again.output


def test_import_with_errors_exits_non_zero_with_every_row_and_writes_nothing(app, runner, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(b"name,country,population\nGood,FR,1\nBad,XX,1\nWorse,FR,-3\n")
    result = runner.invoke(args=["cities", "import", str(source)])
    assert result.exit_code != 0
    assert "Row 3, column country" in result.output and "Row 4, column population" in result.output
    assert cities(app) == 0


def test_import_of_a_wrongly_encoded_file_fails_cleanly(app, runner, tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes("name,country\nSão Paulo,BR\n".encode("latin-1"))
    result = runner.invoke(args=["cities", "import", str(source)])
    assert result.exit_code != 0 and "UTF-8" in result.output


def test_dry_run_writes_nothing(app, runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"name,country\nNantes,FR\n")
    result = runner.invoke(args=["cities", "import", "--dry-run", str(source)])
    assert result.exit_code == 0 and "1 new" in result.output
    assert cities(app) == 0


def test_actor_must_be_a_coordinator(app, runner, tmp_path, make_user):
    make_user("someone@example.org")
    source = tmp_path / "in.csv"
    source.write_bytes(b"name,country\nNantes,FR\n")
    result = runner.invoke(args=["cities", "import", "--actor", "someone@example.org", str(source)])
    assert result.exit_code != 0 and cities(app) == 0
