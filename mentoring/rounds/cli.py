"""``flask rounds …``: open, run and show matching rounds from the command line.

The commands call the same services as the round pages (audited with no actor, or with the
account given by ``--as``).
"""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

rounds_cli = AppGroup("rounds", help="Matching rounds: open, run, show.")


def _actor(email: str | None):
    if not email:
        return None
    from mentoring.services.accounts import find_user_by_email

    user = find_user_by_email(email)
    if user is None or not user.is_coordinator:
        raise click.ClickException(f"{email} is not a coordinator's account.")
    return user


def _fail(error) -> None:
    from mentoring.extensions import db

    db.session.rollback()
    for field, messages in error.errors.items():
        for message in messages:
            click.echo(f"{field}: {message}", err=True)
    raise click.ClickException(error.message)


@rounds_cli.command("open")
@click.option("--name", required=True, help="Name of the round.")
@click.option("--commission", "commissions", multiple=True, required=True, help="Commission key (repeatable).")
@click.option("--region", "regions", multiple=True, help="UCLG region key (repeatable); default: all.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Engine parameter, value as JSON (e.g. allow_same_country=true, min_score=0.2).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--as", "as_email", help="Coordinator's e-mail, recorded in the audit trail.")
def open_command(name, commissions, regions, params, seed, as_email):
    """Open a round (draft) and print its id and who would take part."""
    from sqlalchemy import select

    from mentoring.extensions import db
    from mentoring.models import Commission
    from mentoring.services import ServiceError, matchmaking

    ids = []
    for key in commissions:
        commission = db.session.scalar(select(Commission).where(Commission.key == key))
        if commission is None:
            raise click.ClickException(f"Unknown commission {key!r}.")
        ids.append(commission.id)
    values = {}
    for item in params:
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.ClickException(f"--param {item!r}: use KEY=VALUE.")
        try:
            values[key] = json.loads(raw)
        except ValueError:
            values[key] = raw
    try:
        round_ = matchmaking.open_round(_actor(as_email), name=name, commission_ids=ids, regions=list(regions),
                                        params=values, seed=seed)
        elig = matchmaking.eligibility(round_)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Opened round {round_.id}: {len(elig.mentors)} mentors, {len(elig.mentees)} mentees, "
               f"{len(elig.incomplete)} incomplete profiles.")


@rounds_cli.command("run")
@click.argument("round_id", type=int)
@click.option("--background", is_flag=True, help="Queue it (RQ when REDIS_URL is set) instead of waiting.")
@click.option("--as", "as_email", help="Coordinator's e-mail, recorded in the audit trail.")
def run_command(round_id, background, as_email):
    """Run (or re-run) a round and print its metrics."""
    from mentoring import jobs
    from mentoring.extensions import db
    from mentoring.models import MatchRound
    from mentoring.services import ServiceError, matchmaking

    round_ = db.session.get(MatchRound, round_id)
    if round_ is None:
        raise click.ClickException(f"No round {round_id}.")
    actor = _actor(as_email)
    if matchmaking.is_stale(round_):
        last = matchmaking.last_sign_of_life(round_)
        click.echo(f"Round {round_id} was {round_.status} but stale (no progress since {last:%Y-%m-%d %H:%M} UTC, "
                   f"limit ROUND_STALE_AFTER = {matchmaking.stale_after()}): treated as failed, running it again.")
    try:
        matchmaking.request_run(actor, round_)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    if background:
        job = jobs.enqueue_round(round_, getattr(actor, "id", None))
        if not isinstance(job, str):
            job.result()  # the local worker lives in this process: wait for it
        click.echo(f"Round {round_id} queued.")
        return
    status = jobs.run_round(round_id, getattr(actor, "id", None))
    round_ = db.session.get(MatchRound, round_id, populate_existing=True)
    if status != "done":
        raise click.ClickException(f"Round {round_id} failed: {round_.error}")
    _print_round(round_)


def _print_round(round_) -> None:
    from mentoring.services import matchmaking

    m = round_.metrics or {}
    if matchmaking.is_stale(round_):
        click.echo(f"Round {round_.id} {round_.name!r}: {round_.status}, stale (treated as failed; "
                   f"`flask rounds run {round_.id}` runs it again)")
    else:
        click.echo(f"Round {round_.id} {round_.name!r}: {round_.status}")
    if m:
        click.echo(f"  coverage {m.get('coverage', 0):.1%} "
                   f"({m.get('n_matched_mentees')} of {m.get('n_mentees')} mentees), "
                   f"{m.get('n_pairs')} pairs, certified optimal: {m.get('certified')}")
        for region, value in (m.get("coverage_by_region") or {}).items():
            click.echo(f"  coverage {region}: {value:.1%}")
        load = m.get("mentor_load") or {}
        click.echo(f"  mentor load: mean {load.get('mean', 0):.2f}, max {load.get('max')}, full {load.get('n_full')}")
    if round_.error:
        click.echo(f"  error: {round_.error}")


@rounds_cli.command("show")
@click.argument("round_id", type=int)
@click.option("--limit", type=int, default=20, show_default=True, help="Proposals to list.")
def show_command(round_id, limit):
    """Print a round's status, metrics and best proposals."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from mentoring.extensions import db
    from mentoring.models import MatchRound, Proposal
    from mentoring.services.unmatched import unmatched_mentees

    round_ = db.session.get(MatchRound, round_id)
    if round_ is None:
        raise click.ClickException(f"No round {round_id}.")
    _print_round(round_)
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.round_id == round_id)
        .options(selectinload(Proposal.mentor_city), selectinload(Proposal.mentee_city))
        .order_by(Proposal.score.desc(), Proposal.id).limit(limit)
    ).all()
    for p in proposals:
        click.echo(f"  #{p.id} {p.mentor_city.name} -> {p.mentee_city.name}  {p.score:.3f}  [{p.state}]  "
                   f"{', '.join(p.areas or [])}")
        click.echo(f"      {p.explanation}")
    for item in unmatched_mentees(round_) if round_.status == "done" else []:
        click.echo(f"  unmatched: {item['city'].name} ({item['reason']}) {item['detail']}")
