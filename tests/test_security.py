"""CSRF, headers, cookies, error pages, production settings."""
import pytest

from config import DEFAULT_SECRET_KEY, ProductionConfig, TestingConfig
from gosmart import create_app
from gosmart.auth.models import Role


def test_form_post_without_csrf_token_is_refused(users, client):
    response = client.post("/login", data={"email": "sec@example.org", "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/secretariat/").status_code == 302  # not signed in


def test_htmx_post_needs_the_csrf_header(users, client):
    client.login("sec@example.org")
    target = f"/accounts/{users[Role.DOOR_STAFF].id}/active"
    refused = client.post(target, data={"active": "0"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    token = client.csrf_token("/secretariat/")
    accepted = client.post(target, data={"active": "0"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code in (204, 303)


def test_logout_is_not_possible_by_get(users, client):
    client.login("sec@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/secretariat/").status_code == 200


def test_security_headers_on_pages_and_errors(users, client):
    for path in ("/", "/login", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Request-ID"]


def test_templates_have_no_inline_scripts(users, client):
    client.login("sec@example.org")
    html = client.get("/secretariat/").get_data(as_text=True)
    for chunk in html.split("<script")[1:]:
        assert chunk.lstrip().startswith("src="), "inline <script> would be blocked by the CSP"
    assert "unpkg.com" not in html and "cdn" not in html.lower()
    assert "/static/js/htmx-2." in html


def test_htmx_configuration_is_locked_down(client):
    html = client.get("/").get_data(as_text=True)
    assert '"allowEval": false' in html and '"selfRequestsOnly": true' in html
    assert 'hx-headers=\'{"X-CSRFToken": ' in html


def test_session_and_remember_cookie_flags(users, app, client):
    client.post_form("/login", {"email": "sec@example.org", "password": "correct horse battery staple",
                                "remember": "y"}, page="/login")
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    session = client.raw.get_cookie("session")
    remember = client.raw.get_cookie("remember_token")
    assert session.http_only and remember.http_only
    assert session.same_site == "Lax"
    # Secure everywhere but local http development.
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_production_refuses_the_default_or_missing_secret_key(monkeypatch):
    for key in (DEFAULT_SECRET_KEY, "", "short"):
        class Prod(ProductionConfig):
            SECRET_KEY = key
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(Prod)

    class GoodProd(ProductionConfig):
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"
    app = create_app(GoodProd)
    assert app.debug is False and app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ALLOWED"] is False


def test_hsts_only_in_production():
    class GoodProd(ProductionConfig):
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"
    response = create_app(GoodProd).test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_error_pages(app, client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
    too_big = client.post("/login", data="x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                          content_type="application/x-www-form-urlencoded")
    assert too_big.status_code == 413 and "The upload is too large" in too_big.get_data(as_text=True)


def test_500_page_is_shown_with_a_reference():
    class Testing(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        PROPAGATE_EXCEPTIONS = False
    app = create_app(Testing)

    @app.route("/__boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/__boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body and response.headers["X-Request-ID"] in body
