"""``flask`` commands. They call the same services as the views and commit once each."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

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


mentorships_cli = AppGroup("mentorships", help="The mentorship workspace.")


@mentorships_cli.command("remind")
def remind_command() -> None:
    """Send reminders (sessions in the next 48 hours, mentorships silent for 30 days); run from cron."""
    from mentoring.extensions import db
    from mentoring.services.mentorships import send_reminders

    report = send_reminders()
    db.session.commit()
    click.echo(
        f"Session reminders: {report.sessions}; silent mentorships: {report.silent}; "
        f"messages sent: {report.messages}."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(taxonomy_cli)
    app.cli.add_command(mentorships_cli)
