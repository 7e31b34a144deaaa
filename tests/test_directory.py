"""The member directory: privacy for every role, search, filters, paging, query counts, export."""
import csv
import io
import re
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import event, insert, select

from gosmart.auth.models import Role, User
from gosmart.directory import services
from gosmart.extensions import db
from gosmart.members.models import MemberStatus, Organization, OrganizationTopic

PRIVATE = {"contact_name": "Ms. Private Person", "contact_email": "secret@taipei.example",
           "contact_phone": "+886 2 1234 5678", "website": "https://taipei.example",
           "description": "Hidden smart-city priorities"}


@pytest.fixture
def members(users, organization):
    """Taipei City (the representative's), Paris and an industry member in France."""
    taipei = users[Role.REPRESENTATIVE].organization
    taipei.name_local = "臺北市"
    for key, value in PRIVATE.items():
        setattr(taipei, key, value)
    taipei.member_since = date(2018, 12, 28)
    paris = organization(name="Paris", country="FR", number="GS-2019-0002", member_since=date(2019, 1, 5))
    acme = organization(name="Acme Mobilité SAS", country="FR", category="industry", number="GS-2019-0003",
                        member_since=date(2019, 2, 1), description="Autonomous shuttles")
    db.session.add_all([OrganizationTopic(organization_id=acme.id, topic="mobility"),
                        OrganizationTopic(organization_id=paris.id, topic="smart energy")])
    db.session.commit()
    return {"taipei": taipei, "paris": paris, "acme": acme}


def client_for(make_client, users, role):
    client = make_client()
    if role is not None:
        client.login(users[role].email)
    return client


def text(response):
    return response.get_data(as_text=True)


# --- Privacy ---------------------------------------------------------------------------

@pytest.mark.parametrize("visible", [[], ["contact_name", "website"], list(PRIVATE) + ["logo"]])
@pytest.mark.parametrize("role", [None, Role.APPLICANT, Role.DOOR_STAFF, Role.HONORARY, Role.SECRETARIAT])
def test_each_role_sees_only_what_privacy_allows_on_profile(members, users, make_client, role, visible):
    taipei = members["taipei"]
    taipei.member_visible_fields = visible
    db.session.commit()
    body = text(client_for(make_client, users, role).get(f"/directory/{taipei.id}"))
    assert "Taipei City" in body and "臺北市" in body
    member_view = role in (Role.HONORARY, Role.SECRETARIAT)
    for field, value in PRIVATE.items():
        expected = member_view and (role == Role.SECRETARIAT or field in visible)
        assert (value in body) == expected, (role, field)


def test_own_representative_sees_everything_of_their_organization(members, users, make_client):
    members["taipei"].member_visible_fields = []
    db.session.commit()
    body = text(client_for(make_client, users, Role.REPRESENTATIVE).get(f"/directory/{members['taipei'].id}"))
    assert all(value in body for value in PRIVATE.values())


def test_hidden_description_is_not_searchable_by_members(members, users, make_client):
    honorary = client_for(make_client, users, Role.HONORARY)
    members["taipei"].member_visible_fields = ["description"]
    db.session.commit()
    assert "Taipei City" in text(honorary.get("/directory/?q=hidden+smart", headers={"HX-Request": "true"}))
    members["taipei"].member_visible_fields = []
    db.session.commit()
    assert "Taipei City" not in text(honorary.get("/directory/?q=hidden+smart", headers={"HX-Request": "true"}))


def test_visitors_see_names_categories_countries_and_only_listed_members(members, make_client):
    visitor = make_client()
    page = text(visitor.get("/directory/"))
    assert "Taipei City" in page and "Paris" in page
    assert "Hidden smart-city priorities" not in page and "mobility" not in page
    members["paris"].listed_publicly = False
    db.session.commit()
    page = text(visitor.get("/directory/?q=paris", headers={"HX-Request": "true"}))
    assert "Paris" not in page
    assert visitor.get(f"/directory/{members['paris'].id}").status_code == 404


def test_suspended_and_withdrawn_members_are_hidden(members, users, make_client):
    members["paris"].status = MemberStatus.SUSPENDED
    members["acme"].status = MemberStatus.WITHDRAWN
    db.session.commit()
    honorary = client_for(make_client, users, Role.HONORARY)
    page = text(honorary.get("/directory/"))
    assert "Taipei City" in page and "Paris" not in page and "Acme" not in page
    assert honorary.get(f"/directory/{members['paris'].id}").status_code == 404
    secretariat = client_for(make_client, users, Role.SECRETARIAT)
    assert secretariat.get(f"/directory/{members['paris'].id}").status_code == 200


# --- Search, filters, sorting --------------------------------------------------------

@pytest.mark.parametrize("q", ["臺北", "taipei", "TAIPEI", "Taiwan"])
def test_search_finds_taipei_by_local_script_english_name_or_country(members, users, make_client, q):
    honorary = client_for(make_client, users, Role.HONORARY)
    fragment = text(honorary.get("/directory/", query_string={"q": q}, headers={"HX-Request": "true"}))
    assert "Taipei City" in fragment and "Paris" not in fragment and "<html" not in fragment


def test_filters_combine(members, users, make_client):
    honorary = client_for(make_client, users, Role.HONORARY)
    page = text(honorary.get("/directory/?category=industry&country=FR"))
    assert "Acme Mobilité SAS" in page and "Paris" not in page and "<td><a" in page
    assert "Taipei City</a>" not in page
    by_topic = text(honorary.get("/directory/?topic=smart+energy", headers={"HX-Request": "true"}))
    assert "Paris" in by_topic and "Acme" not in by_topic
    nothing = text(honorary.get("/directory/?category=academic&country=FR", headers={"HX-Request": "true"}))
    assert "No member matches your search." in nothing


def test_sort_by_newest_and_bad_parameters_are_ignored(members, users, make_client):
    honorary = client_for(make_client, users, Role.HONORARY)
    newest = text(honorary.get("/directory/?sort=newest", headers={"HX-Request": "true"}))
    assert newest.index("Acme") < newest.index("Paris") < newest.index("Taipei City")
    weird = honorary.get("/directory/?sort=evil&category=x&after=%%%&country=<script>")
    assert weird.status_code == 200 and "Taipei City" in text(weird)


def test_every_state_of_the_list_has_its_own_url(members, users, make_client):
    page = text(client_for(make_client, users, Role.HONORARY).get("/directory/?q=paris&sort=country"))
    assert 'hx-push-url="true"' in page
    assert 'value="paris"' in page


# --- Paging ----------------------------------------------------------------------------

def bulk_organizations(n, name=lambda i: f"Member {i:05d}", year=2020, **extra):
    rows = [dict(name=name(i), category="city", country="JP", membership_number=f"GS-{year}-{i:05d}",
                 member_since=date(2020, 1, 1 + i % 28), status="active", details={},
                 member_visible_fields=["website"], listed_publicly=True, search_text=name(i).lower(), **extra)
            for i in range(n)]
    db.session.execute(insert(Organization), rows)
    db.session.commit()


def walk(client, url, direction="after"):
    seen, pages = [], 0
    while url and pages < 100:
        body = text(client.get(url, headers={"HX-Request": "true"}))
        seen += [int(i) for i in re.findall(r'href="/directory/(\d+)"', body)]
        match = re.search(r'href="([^"]+)"[^>]*rel="%s"' % ("next" if direction == "after" else "prev"), body)
        url = match.group(1).replace("&amp;", "&") if match else None
        pages += 1
    return seen


@pytest.mark.parametrize("sort", ["name", "newest", "country"])
def test_paging_is_stable_under_ties(app, users, make_client, sort):
    bulk_organizations(60, name=lambda i: "Same Name")  # every row ties on the sort key
    honorary = client_for(make_client, users, Role.HONORARY)
    forward = walk(honorary, f"/directory/?sort={sort}")
    expected = set(db.session.scalars(select(Organization.id).where(Organization.status == "active")))
    assert len(forward) == len(set(forward)) == len(expected) and set(forward) == expected
    # From the last page backwards gives the same rows, in the same order.
    last = text(honorary.get(f"/directory/?sort={sort}", headers={"HX-Request": "true"}))
    assert "rel=\"prev\"" not in last


def test_previous_page_returns_the_same_rows(app, users, make_client):
    bulk_organizations(60)
    honorary = client_for(make_client, users, Role.HONORARY)
    first = text(honorary.get("/directory/", headers={"HX-Request": "true"}))
    next_url = re.search(r'href="([^"]+)"[^>]*rel="next"', first).group(1).replace("&amp;", "&")
    second = text(honorary.get(next_url, headers={"HX-Request": "true"}))
    prev_url = re.search(r'href="([^"]+)"[^>]*rel="prev"', second).group(1).replace("&amp;", "&")
    again = text(honorary.get(prev_url, headers={"HX-Request": "true"}))
    ids = lambda body: re.findall(r'href="/directory/(\d+)"', body)  # noqa: E731
    assert ids(again) == ids(first) and ids(second) != ids(first)


@pytest.fixture
def count_queries(app):
    counter = {"n": 0}

    def before(*args, **kwargs):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    yield counter
    event.remove(db.engine, "before_cursor_execute", before)


def queries_for(client, url, counter, **kwargs):
    counter["n"] = 0
    assert client.get(url, **kwargs).status_code == 200
    return counter["n"]


def test_query_count_does_not_grow_with_the_table(app, users, make_client, count_queries):
    honorary = client_for(make_client, users, Role.HONORARY)
    bulk_organizations(10)
    small = [queries_for(honorary, url, count_queries, **kw) for url, kw in (
        ("/directory/", {}), ("/directory/?q=member", {"headers": {"HX-Request": "true"}}))]
    bulk_organizations(990, name=lambda i: f"Other {i:05d}", year=2021)
    db.session.execute(insert(OrganizationTopic), [
        {"organization_id": i, "topic": "water"} for i in db.session.scalars(select(Organization.id))])
    db.session.commit()
    large = [queries_for(honorary, url, count_queries, **kw) for url, kw in (
        ("/directory/", {}), ("/directory/?q=member", {"headers": {"HX-Request": "true"}}))]
    print("queries per page:", small, large)
    assert small == large
    assert large[0] <= 10 and large[1] <= 6


# --- Export ------------------------------------------------------------------------------

def test_export_is_utf8_with_bom_and_neutralizes_formulas(members, users, make_client):
    members["paris"].description = "=HYPERLINK(\"http://evil\")"
    members["acme"].contact_name = "@SUM(1+1)"
    db.session.commit()
    response = client_for(make_client, users, Role.SECRETARIAT).get("/directory/export.csv?country=FR")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "membership_number"
    names = [r[1] for r in rows[1:]]
    assert names == ["Acme Mobilité SAS", "Paris"]  # the country filter applies
    flat = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://evil\")" in flat and "'@SUM(1+1)" in flat
    assert not any(cell.startswith(("=", "+", "@")) for cell in flat)


def test_export_is_for_the_secretariat_only(members, users, make_client):
    for role in (Role.HONORARY, Role.REPRESENTATIVE):
        assert client_for(make_client, users, role).get("/directory/export.csv").status_code == 403


# --- My organization ----------------------------------------------------------------------

def test_representative_edits_profile_and_privacy(members, users, make_client):
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    response = rep.post_form("/my-organization", {
        "contact_name": "New Contact", "contact_email": "new@taipei.example", "website": "https://new.example",
        "description": "Open data", "topics": ["e-government"], "visible": ["contact_name"],
        "listed_publicly": ""}, page="/my-organization")
    assert response.status_code == 303
    taipei = db.session.get(Organization, members["taipei"].id)
    assert taipei.contact_name == "New Contact" and taipei.member_visible_fields == ["contact_name"]
    assert taipei.listed_publicly is False
    assert services.current_topics(taipei) == ["e-government"]
    honorary = text(client_for(make_client, users, Role.HONORARY).get(f"/directory/{taipei.id}"))
    assert "New Contact" in honorary and "Open data" not in honorary
    assert make_client().get(f"/directory/{taipei.id}").status_code == 404


def test_profile_bad_input_is_refused_and_nothing_changes(members, users, make_client):
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    response = rep.post_form("/my-organization", {"contact_email": "nope", "website": "javascript:alert(1)",
                                                   "visible": ["password_hash"]},
                             page="/my-organization", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Invalid email address." in text(response) and "<html" not in text(response)
    assert db.session.get(Organization, members["taipei"].id).contact_email == PRIVATE["contact_email"]


def test_profile_inline_validation(members, users, make_client):
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    token = rep.csrf_token("/my-organization")
    fragment = rep.post("/my-organization/validate", data={"website": "ftp://x", "csrf_token": token},
                        headers={"HX-Request": "true", "HX-Trigger-Name": "website"})
    assert "Give a full address" in text(fragment) and "<html" not in text(fragment)


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "green").save(buffer, "PNG")
    return buffer.getvalue()


PROFILE = {"contact_name": "New Contact", "contact_email": "new@taipei.example", "website": "https://new.example",
           "description": "Open data", "topics": ["e-government"], "visible": ["contact_name", "logo"],
           "listed_publicly": "y"}


def test_logo_upload_and_its_privacy(members, users, make_client):
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    refused = rep.post_form("/my-organization", dict(PROFILE, logo=(io.BytesIO(b"<svg onload=alert(1)>"), "logo.png")),
                            page="/my-organization", content_type="multipart/form-data")
    assert refused.status_code == 422 and "This file is not a PNG or JPEG image." in text(refused)
    assert db.session.get(Organization, members["taipei"].id).logo_stored_name is None
    rep.post_form("/my-organization", dict(PROFILE, logo=(io.BytesIO(png_bytes()), "logo.png")),
                  page="/my-organization", content_type="multipart/form-data")
    taipei = db.session.get(Organization, members["taipei"].id)
    assert taipei.logo_stored_name
    url = f"/directory/{taipei.id}/logo"
    honorary = client_for(make_client, users, Role.HONORARY)
    assert honorary.get(url).status_code == 200
    taipei.member_visible_fields = []
    db.session.commit()
    assert honorary.get(url).status_code == 404
    assert make_client().get(url).status_code == 404


def test_a_logo_is_chosen_in_the_profile_form_and_saved_with_what_was_typed(members, users, make_client):
    """Choosing a logo never drops the profile being typed: they go in one request."""
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    page = text(rep.get("/my-organization"))
    profile_form = re.search(r'<div id="profile_form">.*?</form>', page, re.S).group(0)
    assert 'type="file" id="logo" name="logo"' in profile_form and 'enctype="multipart/form-data"' in profile_form
    response = rep.post_form("/my-organization", dict(PROFILE, logo=(io.BytesIO(png_bytes()), "logo.png")),
                             page="/my-organization", content_type="multipart/form-data")
    assert response.status_code == 303
    taipei = db.session.get(Organization, members["taipei"].id)
    assert taipei.logo_stored_name and taipei.contact_name == "New Contact" and taipei.description == "Open data"
    # A refused logo: nothing written, and the form comes back with what was typed.
    before = taipei.logo_stored_name
    refused = rep.post_form("/my-organization", dict(PROFILE, description="Typed, not lost",
                                                     logo=(io.BytesIO(b"GIF89a"), "logo.png")),
                            page="/my-organization", content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "Typed, not lost" in text(refused)
    assert 'data-unsaved-warning="unsaved"' in text(refused)
    taipei = db.session.get(Organization, members["taipei"].id)
    assert taipei.logo_stored_name == before and taipei.description == "Open data"


def test_inviting_a_representative_replaces_only_its_section(members, users, make_client, outbox):
    """The invitation form is a second form on the page: with htmx it replaces its own section
    (and the messages), so the profile being typed above stays."""
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    page = text(rep.get("/my-organization"))
    invite = re.search(r'<form[^>]*/my-organization/representatives[^>]*>', page).group(0)
    assert 'hx-target="#representatives"' in invite and 'hx-select="#representatives"' in invite
    assert 'hx-select-oob="#flashes"' in invite and '<div id="flashes"' in page
    response = rep.post_form("/my-organization/representatives", {"name": "Rep", "email": "rep@taipei.example"},
                             page="/my-organization", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 303
    answer = text(rep.get(response.headers["Location"], headers={"HX-Request": "true", "HX-Boosted": "true"}))
    assert 'id="representatives"' in answer and "rep@taipei.example" in answer
    assert "rep@taipei.example is invited to represent Taipei City." in answer


def test_inviting_representatives_up_to_five_more(members, users, make_client, outbox):
    rep = client_for(make_client, users, Role.REPRESENTATIVE)
    for i in range(6):
        rep.post_form("/my-organization/representatives", {"name": f"Rep {i}", "email": f"rep{i}@taipei.example"},
                      page="/my-organization")
    reps = db.session.scalars(select(User).where(User.organization_id == members["taipei"].id)).all()
    assert len(reps) == 6  # the first representative and five more
    assert all(u.role == Role.REPRESENTATIVE for u in reps)
    assert len(outbox) == 5 and "represent Taipei City" in outbox[0].subject
    link = re.search(r"http://gosmart.test(/password/reset/\S+)", outbox[0].body).group(1)
    invited = make_client()
    invited.post_form(link, {"new_password": "invited rep passphrase", "confirm": "invited rep passphrase"}, page=link)
    assert invited.login("rep0@taipei.example", "invited rep passphrase").headers["Location"] == "/my-organization"


def test_another_organizations_representative_cannot_edit_mine(members, users, make_user, make_client):
    paris_rep = make_user(Role.REPRESENTATIVE, "rep@paris.example", organization=members["paris"])
    client = make_client()
    client.login(paris_rep.email)
    client.post_form("/my-organization", {"contact_name": "Changed", "organization_id": members["taipei"].id},
                     page="/my-organization")
    assert db.session.get(Organization, members["taipei"].id).contact_name == PRIVATE["contact_name"]
    assert db.session.get(Organization, members["paris"].id).contact_name == "Changed"
