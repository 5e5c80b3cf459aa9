"""What the programme pages need besides the services: map data, filters, chart data, PDF."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import City, MentoringSession, Mentorship
from mentoring.services import library
from mentoring.services.geography import REGION_LABELS, country_name
from mentoring.services.income import INCOME_LABELS, classification
from mentoring.services.study import MIN_CELL
from mentoring.services.taxonomy import area_labels, axis_label

PUBLIC_TIE_STATES = ("active", "completed")


def language_names(codes) -> dict[str, str]:
    locale = str(get_locale() or "en")
    return {code: Locale(code).get_display_name(locale) or code for code in codes}


def income_labels() -> dict[str, str]:
    return {key: str(label) for key, label in INCOME_LABELS.items()}


def markdown(text: str):
    """The note as safe HTML, through the one Markdown renderer of the application."""
    from mentoring.markdown import render_markdown

    return render_markdown(text)


def library_filters(args) -> dict:
    regions, areas = set(REGION_LABELS), set(area_labels())
    return {
        "query": (args.get("q") or "").strip()[: library.QUERY_MAX],
        "area": args.get("area") if args.get("area") in areas else "",
        "region": args.get("region") if args.get("region") in regions else "",
        "language": args.get("language") if args.get("language") in library.NOTE_LANGUAGES else "",
    }


def public_figures() -> dict:
    """Whole-programme totals for visitors (no group small enough to point at a city)."""
    members = db.session.execute(
        select(func.count(City.id), func.count(func.distinct(City.country)), func.count(func.distinct(City.region)))
        .where(City.status == "verified")).one()
    states = Counter(dict(db.session.execute(
        select(Mentorship.state, func.count()).group_by(Mentorship.state)).all()))
    sessions = db.session.execute(
        select(func.count(MentoringSession.id), func.coalesce(func.sum(MentoringSession.duration_minutes), 0))
        .where(MentoringSession.held)).one()
    return {"cities": members[0], "countries": members[1], "regions": members[2],
            "active": states["active"], "completed": states["completed"],
            "sessions": sessions[0], "hours": round(sessions[1] / 60), "notes": len(library.items(None))}


def country_map(data: dict) -> dict:
    """Countries with member cities (their mean position) and mentorships between countries."""
    positions: dict[str, list] = defaultdict(list)
    counts = Counter()
    for node in data["nodes"]:
        counts[node["country"]] += 1
        if node["latitude"] is not None and node["longitude"] is not None:
            positions[node["country"]].append((node["latitude"], node["longitude"]))
    country_of = {n["id"]: n["country"] for n in data["nodes"]}
    region_of = {n["country"]: n["region"] for n in data["nodes"]}
    ties = Counter()
    for edge in data["edges"]:
        if edge["kind"] == "mentorship" and edge["status"] in PUBLIC_TIE_STATES:
            pair = (country_of[edge["source"]], country_of[edge["target"]])
            if pair[0] != pair[1]:
                ties[pair] += 1
    locale = str(get_locale() or "en")
    nodes = [{"id": code, "name": country_name(code, locale), "region": region_of[code],
              "region_label": str(REGION_LABELS.get(region_of[code], region_of[code])),
              "latitude": round(sum(p[0] for p in pts) / len(pts), 2),
              "longitude": round(sum(p[1] for p in pts) / len(pts), 2),
              "cities": counts[code] if counts[code] >= MIN_CELL else None,
              "ties": sum(n for pair, n in ties.items() if code in pair)}
             for code, pts in sorted(positions.items())]
    known = {n["id"] for n in nodes}
    edges = [{"source": a, "target": b, "ties": n, "status": "mentorship"}
             for (a, b), n in sorted(ties.items()) if a in known and b in known]
    return {"level": "country", "nodes": nodes, "edges": edges, "labels": _map_texts()}


def city_map(data: dict) -> dict:
    """Cities and every tie, with what the map's filters need."""
    nodes = [{"id": n["id"], "name": n["name"], "country": n["country"], "region": n["region"],
              "region_label": str(REGION_LABELS.get(n["region"], n["region"])),
              "income_group": n["income_group"], "latitude": n["latitude"], "longitude": n["longitude"],
              "commissions": n["commissions"], "ties": n["degree_out"] + n["degree_in"]}
             for n in data["nodes"] if n["latitude"] is not None and n["longitude"] is not None]
    edges = [{k: e[k] for k in ("source", "target", "status", "round", "round_name", "areas")}
             for e in data["edges"]]
    return {"level": "city", "nodes": nodes, "edges": edges, "labels": _map_texts()}


def _map_texts() -> dict:
    return {
        "region": {k: str(v) for k, v in REGION_LABELS.items()},
        "status": status_labels(),
        "ties": _("ties"),
        "map": _("Map of the programme's cities and their mentoring ties"),
        "from_to": _("%(source)s → %(target)s"),
    }


def status_labels() -> dict[str, str]:
    return {"approved": _("Approved proposal"), "endorsed": _("Endorsed proposal"), "active": _("Active"),
            "completed": _("Completed"), "mentorship": _("Mentorship")}


def country_names(codes) -> list[str]:
    locale = str(get_locale() or "en")
    return sorted(country_name(code, locale) for code in codes)


def node_names(data: dict) -> dict[int, str]:
    return {n["id"]: n["name"] for n in data["nodes"]}


def map_filters(data: dict) -> dict:
    rounds = {e["round"]: e["round_name"] for e in data["edges"] if e["round"] is not None}
    areas = sorted({a for e in data["edges"] for a in e["areas"]})
    commissions = sorted({c for n in data["nodes"] for c in n["commissions"]})
    regions = sorted({n["region"] for n in data["nodes"]})
    return {"rounds": sorted(rounds.items()), "areas": areas, "commissions": commissions, "regions": regions}


def outcome_chart(rows: list[dict], dimension: str) -> dict:
    labels_area = area_labels()
    def label(row):
        if dimension == "region":
            return str(REGION_LABELS.get(row["key"], row["key"]))
        if dimension == "area":
            return labels_area.get(row["key"], row["key"])
        if dimension == "round":
            return row["label"] or _("Outside rounds")
        return row["key"]
    return {
        "labels": [label(r) for r in rows],
        "before": [r["maturity_before"] for r in rows],
        "after": [r["maturity_after"] for r in rows],
        "completed": [r["completed"] for r in rows],
        "withdrawn": [r["withdrawn"] for r in rows],
        "texts": {"before": _("Maturity before"), "after": _("Maturity after"), "completed": _("Completed"),
                  "withdrawn": _("Withdrawn")},
    }


def study_context(result: dict) -> dict:
    labels = area_labels()
    tables = result["tables"]
    maturity = tables["maturity_by_area"]["rows"]
    divide = [r for r in tables["divide"]["rows"] if r[1] is not None]
    widest = max(divide, key=lambda r: r[1]) if divide else None
    scarce = [r for r in tables["supply_demand"]["rows"] if r[1] == "all" and r[4] is not None]
    scarce.sort(key=lambda r: r[4])
    chart = {
        "areas": [labels.get(r[0], r[0]) for r in maturity],
        "means": [r[-1] for r in maturity],
        "axes": [axis_label(a) for a in result["axes"]],
        "regions": [[str(REGION_LABELS.get(r[0], r[0])), r[2:]] for r in tables["axis_by_region"]["rows"]],
        "texts": {"mean": _("Mean maturity (0–4)")},
    }
    def inline(label: str) -> str:  # an area label inside a sentence
        return label[:1].lower() + label[1:]

    return {"study": result, "tables": tables, "as_of": date.fromisoformat(result["as_of"]),
            "income": classification(), "min_cell": MIN_CELL,
            "previous": date.fromisoformat(result["previous"]) if result.get("previous") else None,
            "widest_label": inline(labels.get(widest[0], widest[0])) if widest else None,
            "area_labels": labels, "region_labels": REGION_LABELS,
            "income_labels": income_labels(), "axis_label": axis_label, "chart": chart,
            "widest": widest, "scarce": [inline(labels.get(r[0], r[0])) for r in scarce[:3]]}


@lru_cache(maxsize=1)
def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


PRINT_STYLESHEETS = ("css/app.css", "css/programme.css")


def to_pdf(html: str, static_folder: str) -> bytes:
    """The printed report, styled by the print stylesheet; nothing is fetched from a network.

    The page's own <link>s point at /static/ URLs no server answers here, so the stylesheets are
    given as files instead.
    """
    import os

    import weasyprint

    sheets = [weasyprint.CSS(filename=os.path.join(static_folder, name)) for name in PRINT_STYLESHEETS]
    return weasyprint.HTML(string=html, base_url=os.path.join(static_folder, "")).write_pdf(stylesheets=sheets)
