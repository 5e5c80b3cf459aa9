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
    from flask import current_app

    from mentoring.extensions import db
    from mentoring.services import ServiceError
    from mentoring.services.accounts import create_user

    try:
        # A request context lets the service's translated messages pick a language.
        with current_app.test_request_context():
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
    from flask import current_app

    from mentoring.extensions import db
    from mentoring.services import ServiceError

    try:
        # A request context lets the service's translated messages pick a language.
        with current_app.test_request_context():
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


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(taxonomy_cli)
