"""Static hygiene (SECURITY.md, family Z): templates, dependency floors, bandit."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# Versions below these have published vulnerabilities that reach this kind of application.
MINIMUM_SAFE = {
    "flask": "3.1.1",  # CVE-2025-47278 (fallback key order)
    "werkzeug": "3.0.6",  # CVE-2024-49766/49767 (safe_join on Windows, multipart memory)
    "jinja2": "3.1.6",  # CVE-2025-27516 (sandbox |attr bypass)
    "gunicorn": "23.0.0",  # CVE-2024-1135, CVE-2024-6827 (request smuggling)
}


@pytest.mark.parametrize("package, minimum", sorted(MINIMUM_SAFE.items()))
def test_installed_versions_are_at_least_the_safe_minimum(package, minimum):
    assert Version(version(package)) >= Version(minimum)


def test_setup_cfg_requires_the_safe_minimums():
    text = (ROOT / "setup.cfg").read_text().lower()
    for package, minimum in MINIMUM_SAFE.items():
        assert re.search(rf"^\s*{package}>=([\d.]+)", text, re.M), package
        declared = re.search(rf"^\s*{package}>=([\d.]+)", text, re.M).group(1)
        assert Version(declared) >= Version(minimum), package


def test_no_template_marks_data_safe():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (r"\|\s*safe\b", r"autoescape\s+false", r"Markup\("):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_no_inline_scripts_or_styles_in_templates():
    """The CSP forbids them; a template that uses one would silently break in browsers. E-mail
    templates (templates/mail/) are read by mail programs, not served under the CSP: mail needs
    inline styles, but never scripts or event handlers."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        mail = path.parent.name == "mail"
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        if (not mail and re.search(r"\sstyle=\"", text)) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.relative_to(ROOT)}: inline style or event handler")
    assert offenders == []


# The one place allowed to mark computed HTML safe: the output of the nh3 allow-list sanitiser.
SANITISER = "mentoring/markdown.py"


def test_python_code_never_marks_markup_safe():
    """Markup may wrap only string literals (templates for ``Markup.format``, which escapes), except
    in the sanitiser, whose output nh3 has reduced to an allow-list of tags, attributes and schemes."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "mentoring").rglob("*.py")
        if re.search(r"\bMarkup\((?![\"'])|\|safe|render_template_string\(", p.read_text())
    ]
    assert offenders == [SANITISER]


def test_bandit_finds_nothing_of_medium_severity_or_more():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "mentoring", "matching", "-f", "json",
         "--severity-level", "medium", "--confidence-level", "medium"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    report = json.loads(result.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == []
