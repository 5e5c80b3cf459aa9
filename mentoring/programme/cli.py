"""``flask programme``: the network as JSON or GraphML, and the Smart Cities Study as HTML, PDF or CSV."""
from __future__ import annotations

import json
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

programme_cli = AppGroup("programme", help="The programme seen whole: network and Smart Cities Study.")


@programme_cli.command("network")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write ('-' for standard output).")
@click.option("--format", "fmt", type=click.Choice(["json", "graphml"]), default="json", show_default=True)
def network_command(output: str, fmt: str) -> None:
    """Write the mentoring network: {"nodes", "edges", "metrics"} as JSON, or GraphML."""
    from mentoring.services import network

    data = network.network()
    text = json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else network.graphml(data)
    _write(output, text)
    click.echo(f"{len(data['nodes'])} cities, {len(data['edges'])} ties → {output} ({fmt}).", err=True)


@programme_cli.command("study")
@click.option("--as-of", "as_of", default=None, help="The edition's date, YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv"]), default="html", show_default=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--lang", default="en", type=click.Choice(["en", "fr", "es"]), show_default=True)
def study_command(as_of: str | None, fmt: str, output: str, lang: str) -> None:
    """Write the Smart Cities Study for a date (small cells suppressed)."""
    from flask import render_template

    from mentoring.programme import views as helpers
    from mentoring.services import study

    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise click.BadParameter("give the date as YYYY-MM-DD", param_hint="--as-of") from None
    if fmt == "pdf" and not helpers.pdf_available():
        raise click.ClickException("WeasyPrint is not installed: PDF is not available (use --format html).")
    with current_app.test_request_context("/programme/study", headers={"Accept-Language": lang}):
        result = study.compute(day)
        if fmt == "csv":
            _write(output, study.to_csv(result))
        else:
            html = render_template("programme/study.html", **helpers.study_context(result), pdf=False,
                                   printing=True)
            if fmt == "html":
                _write(output, html)
            else:
                with open(output, "wb") as handle:
                    handle.write(helpers.to_pdf(html, current_app.static_folder))
    click.echo(f"Smart Cities Study as of {day.isoformat()} → {output} ({fmt}).", err=True)


def _write(output: str, text: str) -> None:
    if output == "-":
        click.echo(text)
        return
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
