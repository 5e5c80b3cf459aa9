"""``flask requests …``: the daily run of mentor requests (cron, once a day)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from mentoring.extensions import db

requests_cli = AppGroup("requests", help="Mentor requests between cities.")


@requests_cli.command("expire")
def expire_command() -> None:
    """Record as expired the open requests past their expiry (run it daily, e.g. from cron)."""
    from mentoring.services import requests as service

    count = service.expire_overdue()
    db.session.commit()
    click.echo(f"{count} request(s) expired.")
