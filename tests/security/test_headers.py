"""Security headers on every kind of response: pages, fragments, redirects, PDFs, CSV,
ZIP, images, JSON, static files and every error page; HSTS in production."""
import pytest

from config import ProductionConfig
from gosmart.extensions import limiter
from gosmart.mou import services as mou_services

from .test_authentication import other_apps  # noqa: F401 - the fixture


def script_sources(csp):
    directives = {part.strip().split(" ")[0]: part.strip() for part in csp.split(";") if part.strip()}
    return directives.get("script-src") or directives.get("default-src") or ""


def header_problems(response, production=False):
    headers, problems = response.headers, []
    csp = headers.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    elif "unsafe-inline" in script_sources(csp) or "unsafe-eval" in script_sources(csp) or not script_sources(csp):
        problems.append(f"script sources not locked: {csp}")
    if "frame-ancestors" not in csp:
        problems.append(f"no frame-ancestors: {csp}")
    if "unsafe-eval" in csp:
        problems.append("unsafe-eval somewhere in the policy")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if production and not headers.get("Strict-Transport-Security", "").startswith("max-age="):
        problems.append("no HSTS")
    if not production and "Strict-Transport-Security" in headers:
        problems.append("HSTS outside production")
    return problems


def responses(app, world, monkeypatch):
    """One response of every kind the application gives."""
    w, htmx = world, {"HX-Request": "true"}
    secretariat, visitor, rep = w.client("secretariat"), w.client("visitor"), w.client("rep_a")
    found = {
        "page": visitor.get("/"),
        "page signed in": secretariat.get("/secretariat/"),
        "fragment": secretariat.get("/accounts/?q=door", headers=htmx),
        "redirect": visitor.get("/secretariat/"),
        "post redirect": secretariat.post(f"/certificates/{w.certificate.id}/revoke", data={"reason": "test"}),
        "htmx redirect": secretariat.post("/minutes/" + str(w.minutes["draft"].id) + "/approve",
                                          data={"revision": "1"}, headers=htmx),
        "PDF": rep.get(f"/assemblies/{w.assembly.id}/registrations/{w.registrations['a'].id}/ticket.pdf"),
        "stored PDF": secretariat.get(f"/certificates/{w.certificate.id}.pdf"),
        "document": visitor.get(f"/mous/{w.mous['public'].id}/document"),
        "image": rep.get(f"/directory/{w.org_a.id}/logo"),
        "CSV": secretariat.get("/directory/export.csv"),
        "ZIP": secretariat.get(f"/checkin/{w.assembly.id}/certificates/{w.job.id}.zip"),
        "JSON": visitor.get("/healthz"),
        "JSON of a scan": w.client("door_staff").post(f"/checkin/{w.assembly.id}/scan", data={
            "client_id": "headers-1", "token": w.registrations["a"].checkin_token},
            headers={"Accept": "application/json"}),
        "static stylesheet": visitor.get("/static/css/app.css"),
        "static script": visitor.get("/static/js/app.js"),
        "400 (CSRF)": secretariat.post("/accounts/new", data={"name": "x"}, csrf=False),
        "403": w.client("door_staff").get("/secretariat/"),
        "404": visitor.get("/no-such-page"),
        "404 fragment": visitor.get("/no-such-page", headers=htmx),
        "405": visitor.get("/logout"),
    }
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    found["413"] = visitor.post("/login", data={"email": "x" * 4096})
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 52 * 1024 * 1024)
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "1 per minute")
    visitor.get("/verify/abc")
    found["429"] = visitor.get("/verify/abc")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(mou_services, "search", lambda *a, **k: 1 / 0)
    found["500"] = visitor.get("/mous/")
    for rule in app.url_map.iter_rules():  # the secretariat's email previews carry a policy of their own
        if rule.endpoint == "secretariat.email_preview_html":
            found["email preview"] = secretariat.get(rule.rule.replace("<name>", "password_reset"))
    return found


def test_every_kind_of_response_carries_the_security_headers(app, world, monkeypatch, fast_pdfs):
    monkeypatch.setattr(limiter, "enabled", True)
    found = responses(app, world, monkeypatch)
    expected = {"400 (CSRF)": 400, "403": 403, "404": 404, "404 fragment": 404, "405": 405, "413": 413,
                "429": 429, "500": 500, "redirect": 302, "post redirect": 303, "htmx redirect": 204}
    problems = []
    for kind, response in found.items():
        if response.status_code != expected.get(kind, 200):
            problems.append(f"{kind}: status {response.status_code}")
        problems += [f"{kind}: {p}" for p in header_problems(response)]
    assert not problems, "\n".join(problems)


@pytest.fixture
def production(other_apps):  # noqa: F811
    class Production(ProductionConfig):
        SECRET_KEY = "p" * 48
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        TRUSTED_HOSTS = ["members.gosmart.org"]
        RATELIMIT_STORAGE_URI = "memory://"
    return other_apps(Production)


def test_in_production_every_kind_of_response_has_hsts_too(production):
    client = production.test_client()
    site = "https://members.gosmart.org"
    found = {
        "page": client.get("/login", base_url=site),
        "redirect": client.get("/secretariat/", base_url=site),
        "static": client.get("/static/css/app.css", base_url=site),
        "404": client.get("/no-such-page", base_url=site),
        "405": client.get("/logout", base_url=site),
        "400": client.post("/login", data={}, base_url=site),
        "untrusted host": client.get("/login", base_url="https://evil.example"),
    }
    problems = [f"{kind}: {p}" for kind, r in found.items() for p in header_problems(r, production=True)]
    assert not problems, "\n".join(problems)
