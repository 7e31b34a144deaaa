"""Every route × every role: the outcome follows the one policy table (EXPECTED in
tests/test_permissions.py) and the object rules declared in world.py. Pages, fragments,
downloads and form posts; nothing changes on a refused request or on any GET."""

import pytest

from ..test_permissions import EXPECTED
from .world import (
    ROLE_KEYS, UNSAFE, Writes, candidates, changes, choose, describe, expected_allowed, get_rules, route_allows,
    rules, snapshot, url_for_rule,
)

# Answers other than 200/3xx that an allowed request may legitimately get.
OTHER_ANSWERS = {
    "main.readyz": {503},  # readiness: the test database is made from the models, not at the migrations' head
}
FRAGMENT = {"HX-Request": "true"}


def is_login_redirect(response):
    return response.status_code in (302, 303) and response.headers["Location"].startswith("/login")


def outcome_problem(response, allowed, key, endpoint=None):
    """None if `response` is what the role should get, else what is wrong."""
    status = response.status_code
    if allowed:
        if status == 200 or status in OTHER_ANSWERS.get(endpoint, ()) or (300 <= status < 400 and not is_login_redirect(response)):
            return None
        return f"allowed but got {status} {response.headers.get('Location', '')}"
    if key == "visitor" and is_login_redirect(response):
        return None
    if status in (403, 404):
        return None
    return f"refused expected but got {status} {response.headers.get('Location', '')}"


def checked_rules(app):
    return [r for r in rules(app) if r.endpoint in EXPECTED]  # the first test reports the others


def test_every_route_is_in_the_table_and_the_matrix_builds_every_one(app, world):
    problems = []
    for rule in rules(app):
        if rule.endpoint not in EXPECTED:
            problems.append(f"{rule.endpoint} ({rule.rule}) has no entry in EXPECTED (tests/test_permissions.py)")
            continue
        found = candidates(world, rule)
        if not found:
            problems.append(f"{rule.endpoint} ({rule.rule}): no factory in tests/security/world.py fills "
                            f"{sorted(rule.arguments)}")
        for candidate in found:
            try:
                url_for_rule(app, rule, candidate)
            except Exception as error:  # a factory that gives the wrong arguments
                problems.append(f"{rule.endpoint}: {candidate.label}: {error}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_get_every_route_as_each_role_gives_the_expected_answer_and_changes_nothing(app, world, key):
    """Allowed: 200 or a redirect that is not to the login page; refused: the login page
    for a visitor, 403 or 404 for the others. Pages that have a fragment are asked as
    htmx too. No GET sends a single INSERT, UPDATE or DELETE."""
    client = world.client(key)
    problems = []
    before = snapshot(app)
    for rule in get_rules(app):
        if rule.endpoint not in EXPECTED:
            continue
        candidate = choose(world, rule, key)
        url = url_for_rule(app, rule, candidate)
        allowed = expected_allowed(rule, key, candidate)
        headers_to_try = [{}]
        while headers_to_try:
            headers = headers_to_try.pop()
            with Writes() as writes:
                response = client.get(url, headers=headers)
            label = f"{key} GET {url} ({rule.endpoint}, {candidate.label}){' htmx' if headers else ''}"
            problem = outcome_problem(response, allowed, key, rule.endpoint)
            if problem:
                problems.append(f"{label}: {problem}")
            if writes:
                problems.append(f"{label} wrote: {writes}")
            if not headers and "HX-Request" in response.headers.get("Vary", ""):
                headers_to_try.append(FRAGMENT)
    written = changes(before, snapshot(app))
    assert not problems, "\n".join(problems)
    assert not written, describe(written)


def test_a_certificate_download_never_writes_whether_the_certificate_is_there_missing_or_revoked(app, world):
    """Certificates are issued when membership or honour is granted (or by `flask certificates
    backfill`): a download only reads — the certificate, or why there is none."""
    before = snapshot(app)
    for key, url in (("rep_a", "/my-organization/certificate.pdf"), ("honorary", "/honorary/certificate.pdf")):
        with Writes() as writes:
            response = world.client(key).get(url)
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
        assert not writes, f"{url}: {writes}"
    # Organization B never had one: the download says so and makes none.
    rep_b = world.client("rep_b")
    with Writes() as writes:
        missing = rep_b.get("/my-organization/certificate.pdf")
    assert missing.status_code == 303 and not writes, writes
    assert "has not been issued yet" in rep_b.get(missing.headers["Location"]).get_data(as_text=True)
    assert not changes(before, snapshot(app))


def _unsafe_method(rule):
    return sorted(rule.methods & UNSAFE)[0]


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_a_refused_request_is_refused_on_every_page_fragment_download_and_post_and_changes_nothing(
        app, world, key):
    """Route level: every form route the policy does not let the role in refuses it (the
    login page for a visitor, 403 otherwise). Object level (IDOR): on every route the role
    may open, every object that is not its to reach — B's registrations for A's
    representative, another applicant's application, a door the door staff do not work,
    a draft MOU or draft minutes — is a 403 or a 404, as a page, a fragment, a download
    and a post (with a valid CSRF token). Nothing is written either way."""
    client = world.client(key)
    problems, object_attempts = [], 0
    before = snapshot(app)
    for rule in checked_rules(app):
        if route_allows(rule.endpoint, key):
            refused = [c for c in candidates(world, rule) if key not in c.visible]
        elif rule.methods & UNSAFE:
            refused = [choose(world, rule, key)]
        else:
            continue  # refused GETs are the matrix above
        for candidate in refused:
            url = url_for_rule(app, rule, candidate)
            attempts = []
            if "GET" in rule.methods and route_allows(rule.endpoint, key):
                attempts += [("GET", {}), ("GET", FRAGMENT)]
            if rule.methods & UNSAFE:
                attempts += [(_unsafe_method(rule), {})]
            for method, headers in attempts:
                with Writes() as writes:
                    response = client.open(url, method=method, headers=headers,
                                           data={"csrf_token": client.token} if method != "GET" else None)
                label = f"{key} {method} {url} ({rule.endpoint}, {candidate.label}){' htmx' if headers else ''}"
                object_attempts += route_allows(rule.endpoint, key)
                problem = outcome_problem(response, False, key)
                if problem:
                    problems.append(f"{label}: {problem}")
                if writes:
                    problems.append(f"{label} wrote: {writes}")
    written = changes(before, snapshot(app))
    assert not problems, "\n".join(problems)
    assert not written, describe(written)
    if key in ("rep_a", "door_staff", "applicant"):
        assert object_attempts > 10  # others' registrations, doors, applications… were tried
