"""Every route has an access decision, and it is the one the policy table expects."""
from __future__ import annotations

from tests.mentoring.access_policy import POLICY


def test_every_route_is_in_the_policy_table_with_its_declared_rule(app):
    declared = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        declared[rule.endpoint] = getattr(view, "access_rule", None)
    undeclared = sorted(e for e, r in declared.items() if r is None)
    assert undeclared == [], "views without an access decorator"
    missing = sorted(set(declared) - set(POLICY))
    assert missing == [], "routes missing from the policy table"
    stale = sorted(set(POLICY) - set(declared))
    assert stale == [], "policy entries for routes that do not exist"
    mismatched = {e: (declared[e], POLICY[e]) for e in declared if declared[e] != POLICY[e]}
    assert mismatched == {}
    print(f"routes classified = {len(declared)} = routes total")


def test_non_public_routes_refuse_anonymous_users(app, client):
    """Anonymous requests to any non-public GET route are sent to sign in (or refused)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or POLICY.get(rule.endpoint) == "public":
            continue
        if "GET" not in rule.methods:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
            url = url.replace(f"<string:{argument}>", "x").replace(f"<path:{argument}>", "x")
        response = client.get(url)
        assert response.status_code in (302, 401, 403, 404), (rule.endpoint, response.status_code)
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"], rule.endpoint
