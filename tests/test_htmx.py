"""One helper decides full page or fragment."""
from gosmart.auth.models import Role
from gosmart.htmx import redirect_to


def test_htmx_route_full_page_and_fragment(users, client):
    client.login("sec@example.org")
    full = client.get("/accounts/?q=door")
    fragment = client.get("/accounts/?q=door", headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "door@example.org" in body and "sec@example.org" not in body
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_boosted_and_history_restore_requests_get_the_full_page(users, client):
    client.login("sec@example.org")
    boosted = client.get("/accounts/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    restore = client.get("/accounts/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    assert "<html" in restore.get_data(as_text=True)


def test_account_search_escapes_like_wildcards(users, client):
    client.login("sec@example.org")
    body = client.get("/accounts/?q=%25", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No account matches" in body


def test_htmx_post_redirects_with_hx_redirect(users, client):
    client.login("sec@example.org")
    token = client.csrf_token("/secretariat/")
    response = client.post("/accounts/new", data={"name": "N", "email": "n@example.org", "role": "door_staff"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/accounts/"


def test_error_script_is_served(client):
    script = client.get("/static/js/app.js").get_data(as_text=True)
    assert "htmx:responseError" in script and "htmx:sendError" in script


def test_htmx_redirect_to_the_same_page_with_a_fragment_drops_the_fragment_so_the_page_loads(app):
    same = {"HX-Request": "true", "HX-Current-URL": "http://localhost/assemblies/3"}
    with app.test_request_context("/assemblies/3", method="POST", headers=same):
        assert redirect_to("/assemblies/3#registrations").headers["HX-Redirect"] == "/assemblies/3"
    other = {"HX-Request": "true", "HX-Current-URL": "http://localhost/assemblies/3/registrations/5/edit"}
    with app.test_request_context("/assemblies/3/registrations/5/edit", method="POST", headers=other):
        assert redirect_to("/assemblies/3#registrations").headers["HX-Redirect"] == "/assemblies/3#registrations"
    with app.test_request_context("/assemblies/3", method="POST", headers={}):
        response = redirect_to("/assemblies/3#registrations")
        assert response.status_code == 303 and response.location.endswith("/assemblies/3#registrations")
