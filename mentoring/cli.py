"""``flask`` commands. They call the same services as the views and commit once each."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from tqdm import tqdm

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(["admin", "coordinator", "none"]), default="none")
@click.password_option(help="Asked for when not given.")
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create a confirmed account (for administrators and coordinators)."""
    from mentoring.extensions import db
    from mentoring.services import ServiceError
    from mentoring.services.accounts import create_user

    try:
        user = create_user(email, name, password, role=None if role == "none" else role, confirmed=True)
    except ServiceError as error:
        db.session.rollback()
        for field, messages in error.errors.items():
            for message in messages:
                click.echo(f"{field}: {message}", err=True)
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({role}).")


def _user_or_fail(email: str):
    from mentoring.services.accounts import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the address {email}.")
    return user


def _commit_or_fail(action) -> None:
    from mentoring.extensions import db
    from mentoring.services import ServiceError

    try:
        action()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "coordinator", "none"]))
@click.option("--reason", help="Kept in the audit trail.")
def set_role_command(email: str, role: str, reason: str | None) -> None:
    """Give an account a programme role (or none)."""
    from mentoring.services.accounts import set_role

    user = _user_or_fail(email)
    _commit_or_fail(lambda: set_role(None, user, None if role == "none" else role, reason=reason))
    click.echo(f"{user.email} is now {role}.")


@users_cli.command("deactivate")
@click.argument("email")
@click.option("--reason", help="Kept in the audit trail.")
def deactivate_command(email: str, reason: str | None) -> None:
    """Deactivate an account: sign-in refused, every session ends."""
    from mentoring.services.accounts import set_active

    user = _user_or_fail(email)
    _commit_or_fail(lambda: set_active(None, user, False, reason=reason))
    click.echo(f"{user.email} is deactivated.")


@users_cli.command("activate")
@click.argument("email")
@click.option("--reason", help="Kept in the audit trail.")
def activate_command(email: str, reason: str | None) -> None:
    """Reactivate a deactivated account."""
    from mentoring.services.accounts import set_active

    user = _user_or_fail(email)
    _commit_or_fail(lambda: set_active(None, user, True, reason=reason))
    click.echo(f"{user.email} is active.")


taxonomy_cli = AppGroup("taxonomy", help="The capability taxonomy and the commissions.")


@taxonomy_cli.command("load")
def load_taxonomy_command() -> None:
    """Load (or update) the taxonomy and commissions shipped with the application."""
    from mentoring.extensions import db
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    areas = load_taxonomy()
    commissions = load_commissions()
    db.session.commit()
    click.echo(
        f"Capability areas: {areas.created} created, {areas.updated} updated, {areas.unchanged} unchanged. "
        f"Commissions: {commissions.created} created, {commissions.updated} updated, "
        f"{commissions.unchanged} unchanged."
    )


cities_cli = AppGroup("cities", help="City profiles: survey import and export.")
#: Files with at least this many lines get a progress bar.
PROGRESS_FROM_ROWS = 1000


@cities_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
@click.option("--actor", metavar="EMAIL", help="Record the import as done by this (coordinator) account.")
def import_cities_command(file, dry_run: bool, actor: str | None) -> None:
    """Import city profiles from a survey CSV FILE ('-' for standard input); all or nothing."""
    from mentoring.extensions import db
    from mentoring.services.accounts import find_user_by_email
    from mentoring.services.survey import SurveyError, import_csv, preview_import

    user = None
    if actor:
        user = find_user_by_email(actor)
        if user is None or not user.is_coordinator:
            raise click.ClickException(f"{actor} is not a coordinator's account.")
    data = file.read()
    try:
        if dry_run:
            preview = preview_import(data)
            if not preview.ok:
                raise SurveyError("Nothing would be imported.", preview.errors)
            click.echo(f"The file is valid: {preview.new_count} new, {preview.update_count} to update, "
                       f"{preview.unchanged_count} already up to date.")
            return
        # A progress bar on large files (on standard error, so the summary stays clean on standard output).
        rows = data.count(b"\n")
        with tqdm(total=rows, unit="row", disable=rows < PROGRESS_FROM_ROWS, file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            summary = import_csv(data, user, progress=progress)
    except SurveyError as error:
        db.session.rollback()
        for problem in error.cell_errors:
            click.echo(str(problem), err=True)
        raise click.ClickException(error.message) from None
    db.session.commit()
    # The words of the web page's result (survey_result.html).
    click.echo(
        f"Imported: {summary.created} cities added, {summary.updated} cities updated, {summary.unchanged} cities "
        f"already up to date, {summary.assessments} area assessments recorded."
    )


@cities_cli.command("export")
@click.argument("file", type=click.File("wb", lazy=True))
@click.option("--region", help="Only this UCLG region (e.g. europe).")
@click.option("--country", help="Only this country (ISO 3166-1 alpha-2).")
@click.option("--commission", help="Only members of this commission (its key).")
@click.option("--status", help="Only cities with this status (pending, verified, rejected, suspended).")
@click.option("--bom", is_flag=True, help="Start the file with a UTF-8 byte order mark (for Excel).")
def export_cities_command(file, region, country, commission, status, bom: bool) -> None:
    """Export city profiles as survey CSV to FILE ('-' for standard output)."""
    from mentoring.database import read_only
    from mentoring.services.survey import export_csv

    with read_only():
        text = export_csv(bom=bom, region=region, country=country, commission=commission, status=status)
    file.write(text.encode("utf-8"))  # binary: the \r\n of CSV must not be translated again


demo_cli = AppGroup("demo", help="The demonstration programme (development and demos only).")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when any city exists already.")
@click.option("--force", is_flag=True, help="Load even when the DEMO setting is off (known passwords!).")
def load_demo_command(if_empty: bool, force: bool) -> None:
    """Load about 60 demo cities with illustrative profiles, and demo accounts."""
    from mentoring.extensions import db
    from mentoring.services import ServiceError
    from mentoring.services.demo import load_demo

    try:
        summary = load_demo(if_empty=if_empty, force=force)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(summary.describe())


@demo_cli.command("logins")
def demo_logins_command() -> None:
    """Print the demo accounts: e-mail, password, role, city."""
    from mentoring.links import external_url
    from mentoring.services.demo import demo_logins, format_logins
    from mentoring.services.mail import outbox_page_enabled

    click.echo(format_logins(demo_logins()))
    if outbox_page_enabled():
        click.echo(f"E-mails sent in development are printed below as they go, and kept at "
                   f"{external_url('admin.outbox')} (sign in as the administrator).")


mentorships_cli = AppGroup("mentorships", help="The mentorship workspace.")


@mentorships_cli.command("remind")
def remind_command() -> None:
    """Send reminders (sessions in the next 48 hours, mentorships silent for 30 days); run from cron."""
    from mentoring.extensions import db
    from mentoring.services.workspace import send_reminders

    report = send_reminders(done=db.session.commit)  # one commit per reminded event
    click.echo(
        f"Session reminders: {report.sessions}; silent mentorships: {report.silent}; "
        f"messages sent: {report.messages}."
    )


def init_app(app: Flask) -> None:
    from mentoring.people.cli import people_cli
    from mentoring.programme.cli import programme_cli
    from mentoring.requests.cli import requests_cli
    from mentoring.rounds.cli import rounds_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(taxonomy_cli)
    app.cli.add_command(rounds_cli)
    app.cli.add_command(cities_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(mentorships_cli)
    app.cli.add_command(programme_cli)
    app.cli.add_command(people_cli)
    app.cli.add_command(requests_cli)


def main() -> None:
    """The ``mentoring`` console command of an installed package: ``flask --app wsgi`` without a checkout
    (``mentoring db upgrade``, ``mentoring run``, ``mentoring users create …``)."""
    from flask.cli import FlaskGroup

    from mentoring import create_app

    FlaskGroup(create_app=lambda: create_app(), help="City-to-city mentoring.").main(prog_name="mentoring")
