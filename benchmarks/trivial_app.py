"""The framework's floor for ``benchmarks/pages.py``: a "hello" page and a 50-row Jinja table, no database."""
from flask import Flask, render_template_string

app = Flask(__name__)

TABLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Table</title></head><body>
<table><thead><tr><th>#</th><th>Name</th><th>Country</th><th>Population</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td><td><a href="/cities/{{ row.id }}">{{ row.name }}</a></td>
<td>{{ row.country }}</td><td>{{ "{:,}".format(row.population) }}</td></tr>
{% endfor %}</tbody></table></body></html>"""
ROWS = [{"id": i, "name": f"City {i} <&>", "country": "FR", "population": 1000 * i} for i in range(50)]


@app.get("/hello")
def hello():
    return "hello"


@app.get("/table")
def table():
    return render_template_string(TABLE, rows=ROWS)
