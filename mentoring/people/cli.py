"""``flask people …``: the daily run of the consent gate and the digests (cron, once a day)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from mentoring.extensions import db

people_cli = AppGroup("people", help="People: the daily run of endorsement deadlines and digests.")


@people_cli.command("daily")
def daily_command() -> None:
    """Expire unanswered pairs, remind halfway, send the daily digests. Commits once."""
    from mentoring.services import consent
    from mentoring.services import mail_preferences as preferences

    report = consent.expire_and_remind()
    digests = preferences.send_digests()
    db.session.commit()
    click.echo(f"reminded={report.reminded} expired={report.expired} digests={digests}")
