"""MOU records: visibility for every role, status from the dates, the rules, the renewal chain,
the audit trail, the list's filters and the expiry flag."""
import io
from datetime import date, timedelta

import pytest
import weasyprint
from PIL import Image
from sqlalchemy import event, func, select

from gosmart.audit import AuditEntry
from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.mou import services
from gosmart.mou.models import Mou, MouSignatory, MouStatus, Visibility
from gosmart.uploads import FileBlob

from .test_assemblies import make_assembly

PDF = weasyprint.HTML(string="<p>Memorandum of understanding</p>").write_pdf()
_png = io.BytesIO()
Image.new("RGB", (4, 4)).save(_png, "PNG")
PNG = _png.getvalue()
TODAY = date.today()
ROLES = [None, Role.APPLICANT, Role.DOOR_STAFF, Role.REPRESENTATIVE, Role.HONORARY, Role.SECRETARIAT]
MEMBERS = (Role.REPRESENTATIVE, Role.HONORARY)


def text(response):
    return response.get_data(as_text=True)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def actions():
    """The MOU entries of the audit log (sign-ins are logged too)."""
    return db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("mou.%"))
                              .order_by(AuditEntry.id)).all()


def stored_files(app):
    """The stored MOU documents (in the files table, emptied after every test)."""
    return sorted(f"{sha}.pdf" for sha in db.session.scalars(select(FileBlob.sha256)))


def client_for(make_client, users, role):
    client = make_client()
    if role is not None:
        client.login(users[role].email)
    return client


def make_mou(title, state="signed", visibility="public", signed_on=date(2019, 3, 27), partner_name="LGAQ",
             partner_country="AU", **kw):
    mou = Mou(title=title, state=state, visibility=visibility, signed_on=signed_on, partner_name=partner_name,
              partner_country=partner_country if partner_name else None, scope=kw.pop("scope", "Smart cities"),
              **kw)
    db.session.add(mou)
    db.session.commit()
    return mou


def attach_pdf(mou, app):
    """A stored document, as gosmart.uploads leaves it."""
    folder = app.config["UPLOAD_DIR"] / "mous"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{mou.id:032x}.pdf"
    (folder / name).write_bytes(PDF)
    mou.document_stored_name, mou.document_name, mou.document_size = name, "signed.pdf", len(PDF)
    db.session.commit()


@pytest.fixture
def by_visibility(users, app):
    """One signed MOU per visibility and a public draft, each with its signed PDF."""
    mous = {
        "public": make_mou("Public MOU with LGAQ", visibility="public"),
        "members": make_mou("Members MOU with Brisbane", visibility="members"),
        "secretariat": make_mou("Secretariat MOU with Lyon", visibility="secretariat"),
        "draft": make_mou("Draft MOU with Curitiba", state="draft", visibility="public", signed_on=None),
    }
    for mou in mous.values():
        attach_pdf(mou, app)
    return mous


def visible_kinds(role):
    if role == Role.SECRETARIAT:
        return {"public", "members", "secretariat", "draft"}
    if role in MEMBERS:
        return {"public", "members"}
    return {"public"}  # visitors, applicants and door staff are not members


# --- Visibility, for every role ----------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_each_role_only_what_it_may_see(by_visibility, users, make_client, role):
    client = client_for(make_client, users, role)
    page = text(client.get("/mous/"))
    fragment = text(client.get("/mous/", headers={"HX-Request": "true"}))
    assert "<html" in page and "<html" not in fragment
    for kind, mou in by_visibility.items():
        expected = kind in visible_kinds(role)
        assert (mou.title in page) == expected, (role, kind)
        assert (mou.title in fragment) == expected, (role, kind)


@pytest.mark.parametrize("role", ROLES)
def test_the_detail_page_and_fragment_show_each_role_only_what_it_may_see(by_visibility, users, make_client, role):
    client = client_for(make_client, users, role)
    for kind, mou in by_visibility.items():
        page = client.get(f"/mous/{mou.id}")
        fragment = client.get(f"/mous/{mou.id}", headers={"HX-Request": "true"})
        if kind in visible_kinds(role):
            assert page.status_code == 200 and fragment.status_code == 200, (role, kind)
            assert "<html" in text(page) and mou.title in text(page)
            assert "<html" not in text(fragment) and mou.title in text(fragment)
            assert "HX-Request" in fragment.headers["Vary"]
        else:
            # Not "forbidden": the MOU's existence is not revealed.
            assert page.status_code == 404 and fragment.status_code == 404, (role, kind)
            assert mou.title not in text(page)


@pytest.mark.parametrize("role", ROLES)
def test_the_signed_document_downloads_only_for_those_who_may_see_the_mou(by_visibility, users, make_client, role):
    client = client_for(make_client, users, role)
    for kind, mou in by_visibility.items():
        response = client.get(f"/mous/{mou.id}/document")
        if kind in visible_kinds(role):
            assert response.status_code == 200, (role, kind)
            assert response.data == PDF and response.mimetype == "application/pdf"
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        else:
            assert response.status_code == 404, (role, kind)


def test_an_mou_without_a_document_has_no_download(users, make_client):
    mou = make_mou("No paper yet")
    assert make_client().get(f"/mous/{mou.id}/document").status_code == 404
    assert make_client().get("/mous/999999").status_code == 404


def test_only_the_secretariat_sees_the_forms_and_may_post_them(by_visibility, users, make_client):
    mou = by_visibility["public"]
    secretariat = client_for(make_client, users, Role.SECRETARIAT)
    assert "Terminate the MOU" in text(secretariat.get(f"/mous/{mou.id}"))
    assert "Record an MOU" in text(secretariat.get("/mous/"))
    for role in (Role.REPRESENTATIVE, Role.HONORARY, Role.DOOR_STAFF, Role.APPLICANT):
        client = client_for(make_client, users, role)
        page = text(client.get(f"/mous/{mou.id}"))
        assert "Terminate" not in page and "/edit" not in page and "Record an MOU" not in text(client.get("/mous/"))
        token = client.csrf_token("/mous/")
        assert client.post(f"/mous/{mou.id}/terminate", data={"csrf_token": token, "reason": "x",
                                                             "terminated_on": TODAY.isoformat()}).status_code == 403
        assert client.post(f"/mous/{mou.id}/edit", data={"csrf_token": token, "title": "x"}).status_code == 403
    db.session.refresh(mou)
    assert mou.state == "signed" and mou.title == "Public MOU with LGAQ"
    assert actions() == []


def test_nothing_changes_on_get(by_visibility, users, make_client):
    secretariat = client_for(make_client, users, Role.SECRETARIAT)
    draft = by_visibility["draft"]
    assert secretariat.get(f"/mous/{draft.id}/sign").status_code == 405
    assert secretariat.get(f"/mous/{draft.id}/terminate").status_code == 405
    assert secretariat.get(f"/mous/new?renews={draft.id}").status_code == 200
    assert count(Mou) == 4 and actions() == []


# --- Status from the dates -------------------------------------------------------------

def test_a_signed_mou_is_signed_until_its_expiry_date_and_expired_the_day_after(users):
    expiry = date(2024, 3, 26)
    mou = make_mou("Three years with LGAQ", effective_on=date(2021, 3, 27), expires_on=expiry)
    secretariat = users[Role.SECRETARIAT]
    for day, expected in ((expiry - timedelta(days=1), "signed"), (expiry, "signed"),
                          (expiry + timedelta(days=1), "expired")):
        assert mou.status_on(day) == expected, day
        # The same rule in SQL, as the list's filter uses it.
        in_sql = db.session.scalar(select(Mou.status_on(day)).where(Mou.id == mou.id))
        assert in_sql == expected, day
        found = services.search(services.Query(status=expected), secretariat, day)
        assert [m.id for m in found] == [mou.id], day
        other = "expired" if expected == "signed" else "signed"
        assert services.search(services.Query(status=other), secretariat, day) == [], day


def test_drafts_terminated_and_open_ended_mous_never_expire(users):
    long_ago = date(2000, 1, 1)
    draft = make_mou("Draft", state="draft", signed_on=None, expires_on=long_ago + timedelta(days=1))
    ended = make_mou("Ended", state="terminated", expires_on=date(2020, 1, 1), terminated_on=date(2019, 6, 1),
                     termination_reason="Partner dissolved")
    open_ended = make_mou("Open-ended")
    assert (draft.status_on(TODAY), ended.status_on(TODAY), open_ended.status_on(TODAY)) == (
        "draft", "terminated", "signed")
    assert services.search(services.Query(status="expired"), users[Role.SECRETARIAT], TODAY) == []


def test_the_status_shown_on_the_pages_follows_the_date(users, make_client):
    make_mou("Expired yesterday", expires_on=TODAY - timedelta(days=1))
    make_mou("Expires today", expires_on=TODAY)
    visitor = make_client()
    expired = text(visitor.get("/mous/?status=expired", headers={"HX-Request": "true"}))
    signed = text(visitor.get("/mous/?status=signed", headers={"HX-Request": "true"}))
    assert "Expired yesterday" in expired and "Expires today</a>" not in expired
    assert "Expires today</a>" in signed and "Expired yesterday" not in signed


# --- The expiring-soon flag -------------------------------------------------------------

@pytest.mark.parametrize("days, flagged", [(-1, False), (0, True), (30, True), (90, True), (91, False)])
def test_signed_mous_expiring_within_90_days_are_flagged(users, make_client, days, flagged):
    mou = make_mou("Flag check", expires_on=TODAY + timedelta(days=days))
    assert mou.expires_soon(TODAY) == flagged
    assert (mou in services.expiring(users[Role.SECRETARIAT], TODAY)) == flagged
    page = text(make_client().get("/mous/"))
    detail = text(make_client().get(f"/mous/{mou.id}"))
    shown = "Expires today" if days == 0 else f"Expires in {days} days"
    assert (shown in page) == flagged and (shown in detail) == flagged


def test_drafts_terminated_and_open_ended_mous_are_not_flagged(users):
    soon = TODAY + timedelta(days=10)
    for mou in (make_mou("Draft", state="draft", signed_on=None, expires_on=soon),
                make_mou("Ended", state="terminated", expires_on=soon), make_mou("Forever")):
        assert not mou.expires_soon(TODAY), mou.title


# --- Recording, through the secretariat's forms ------------------------------------------

def form_data(**overrides):
    data = {"title": "Smart mobility cooperation", "partner_organization_id": "", "partner_name": "Eurocities",
            "partner_country": "BE", "signed_on": "", "signing_place": "", "effective_on": "2024-01-01",
            "expires_on": "2026-12-31", "scope": "Pilots of demand-responsive transport.",
            "visibility": "members", "renews_id": "",
            "signatories-0-name": "Anna Jansen", "signatories-0-title": "Secretary General",
            "signatories-0-party": "partner",
            "signatories-1-name": "Mei-Ling Chen", "signatories-1-title": "Director, GO SMART Secretariat",
            "signatories-1-party": "go_smart"}
    data.update(overrides)
    return data


def post_mou(client, url="/mous/new", document=None, **overrides):
    data = form_data(**overrides)
    if document is not None:
        data["document"] = (io.BytesIO(document[0]), document[1])
    return client.post_form(url, data, page="/mous/", content_type="multipart/form-data")


@pytest.fixture
def secretariat(users, make_client):
    return client_for(make_client, users, Role.SECRETARIAT)


def test_the_secretariat_records_a_draft_with_signatories_and_its_pdf(secretariat, app):
    response = post_mou(secretariat, document=(PDF, "MOU signed.pdf"))
    assert response.status_code == 303
    mou = db.session.scalar(select(Mou))
    assert response.headers["Location"] == f"/mous/{mou.id}"
    assert (mou.state, mou.partner_name, mou.partner_country, mou.visibility) == ("draft", "Eurocities", "BE",
                                                                                   "members")
    assert [(s.name, s.party) for s in mou.signatories] == [("Anna Jansen", "partner"), ("Mei-Ling Chen", "go_smart")]
    assert mou.document_name == "MOU signed.pdf" and stored_files(app) == [mou.document_stored_name]
    assert secretariat.get(f"/mous/{mou.id}/document").data == PDF


def test_an_htmx_submit_gets_hx_redirect(secretariat):
    token = secretariat.csrf_token("/mous/new")
    response = secretariat.post("/mous/new", data={**form_data(), "csrf_token": token},
                                headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/mous/{db.session.scalar(select(Mou.id))}"


def test_an_mou_signed_at_an_assembly_links_to_it_for_those_who_may_open_it(secretariat, make_client):
    assembly = make_assembly(title="First General Assembly")
    response = post_mou(secretariat, assembly_id=str(assembly.id), visibility="public")
    assert response.status_code == 303
    mou = db.session.scalar(select(Mou))
    assert mou.assembly_id == assembly.id
    page = secretariat.get(f"/mous/{mou.id}").get_data(as_text=True)
    assert f'href="/assemblies/{assembly.id}">First General Assembly</a>' in page
    mou.state, mou.signed_on = "signed", date(2019, 6, 19)  # visitors see signed public MOUs only
    db.session.commit()
    visitor = make_client().get(f"/mous/{mou.id}").get_data(as_text=True)
    assert "First General Assembly" in visitor and f'href="/assemblies/{assembly.id}"' not in visitor
    # A renewal starts without the assembly: it is signed elsewhere, later.
    renewal_form = secretariat.get(f"/mous/new?renews={mou.id}").get_data(as_text=True)
    assembly_select = renewal_form[renewal_form.index('name="assembly_id"'):]
    assembly_select = assembly_select[:assembly_select.index("</select>")]
    assert "First General Assembly" in assembly_select and f'selected value="{assembly.id}"' not in assembly_select


BAD_INPUT = [
    ({"effective_on": "2024-06-01", "expires_on": "2024-05-31"}, None, "The expiry date is before the effective date."),
    ({"partner_name": "", "partner_country": ""}, None,
     "Give the partner: choose a member organization or name an outside body."),
    ({"partner_country": ""}, None, "outside body&#39;s country."),
    ({"title": ""}, None, "Give the MOU"),
    ({"assembly_id": "999999"}, None, "This assembly does not exist."),
    ({}, (b"<html><script>alert(1)</script></html>", "mou.pdf"), "This file is not a PDF."),
    ({}, (PNG, "scan.pdf"), "This file is not a PDF."),
    # A good PDF with a bad date: the PDF was stored, and must be removed again.
    ({"effective_on": "2024-06-01", "expires_on": "2024-05-31"}, (PDF, "mou.pdf"),
     "The expiry date is before the effective date."),
]


@pytest.mark.parametrize("overrides, document, message", BAD_INPUT)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(secretariat, app, overrides, document, message):
    response = post_mou(secretariat, document=document, **overrides)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Mou) == 0 and count(MouSignatory) == 0 and actions() == []
    assert stored_files(app) == []
    if document and document[0] == PDF:
        assert "choose the file again" in text(response)


def test_a_signed_mou_cannot_get_a_future_signing_date_or_an_early_expiry(secretariat, users, app):
    mou = make_mou("In force", effective_on=date(2019, 3, 27), expires_on=date(2029, 3, 26))
    url = f"/mous/{mou.id}/edit"
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = post_mou(secretariat, url, document=(PDF, "new.pdf"), signed_on=tomorrow)
    assert response.status_code == 422
    assert "The signing date is in the future" in text(response)
    response = post_mou(secretariat, url, signed_on="2019-03-27", effective_on="2019-03-27", expires_on="2019-03-26")
    assert "The expiry date is before the effective date." in text(response)
    response = post_mou(secretariat, url, signed_on="")
    assert "A signed MOU needs its signing date." in text(response)
    db.session.refresh(mou)
    assert (mou.signed_on, mou.expires_on, mou.title, mou.document_stored_name) == (
        date(2019, 3, 27), date(2029, 3, 26), "In force", None)
    assert actions() == [] and stored_files(app) == []


def test_a_partner_is_a_member_organization_or_an_outside_body_not_both(secretariat, users):
    taipei = users[Role.REPRESENTATIVE].organization
    response = post_mou(secretariat, partner_organization_id=str(taipei.id))
    assert response.status_code == 422 and "not both" in text(response) and count(Mou) == 0
    response = post_mou(secretariat, partner_organization_id=str(taipei.id), partner_name="", partner_country="")
    assert response.status_code == 303
    mou = db.session.scalar(select(Mou))
    assert (mou.partner_display_name, mou.partner_country_code, mou.partner_name) == ("Taipei City", "TW", None)
    assert post_mou(secretariat, partner_organization_id="999999", partner_name="",
                    partner_country="").status_code == 422
    assert count(Mou) == 1


# --- Signing and terminating ------------------------------------------------------------

def sign(client, mou, signed_on, place="Taipei"):
    return client.post_form(f"/mous/{mou.id}/sign", {"signed_on": signed_on, "signing_place": place},
                            page=f"/mous/{mou.id}")


def terminate(client, mou, on, reason="The partner withdrew."):
    return client.post_form(f"/mous/{mou.id}/terminate", {"terminated_on": on, "reason": reason},
                            page=f"/mous/{mou.id}")


def test_signing_needs_a_date_that_is_not_in_the_future(secretariat, users):
    draft = make_mou("To sign", state="draft", signed_on=None, expires_on=TODAY + timedelta(days=800))
    for value, message in (((TODAY + timedelta(days=1)).isoformat(), "The signing date is in the future"),
                           ("", "Give the signing date.")):
        response = sign(secretariat, draft, value)
        assert response.status_code == 422 and message in text(response)
        db.session.refresh(draft)
        assert draft.state == "draft" and draft.signed_on is None
    assert actions() == []
    assert sign(secretariat, draft, TODAY.isoformat()).status_code == 303
    db.session.refresh(draft)
    assert (draft.state, draft.signed_on, draft.effective_on, draft.signing_place) == ("signed", TODAY, TODAY, "Taipei")
    assert sign(secretariat, draft, TODAY.isoformat()).status_code == 422  # not twice
    assert actions() == ["mou.signed"]


def test_signing_in_the_past_after_the_expiry_date_records_an_expired_mou(secretariat):
    draft = make_mou("Historical", state="draft", signed_on=None, effective_on=date(2019, 1, 1),
                     expires_on=date(2020, 12, 31))
    assert sign(secretariat, draft, "2019-01-15").status_code == 303
    db.session.refresh(draft)
    assert draft.status_on(TODAY) == MouStatus.EXPIRED


def test_terminating_needs_a_reason_and_a_date_and_a_signed_mou_in_force(secretariat):
    mou = make_mou("To end", signed_on=date(2020, 1, 1))
    for on, reason, message in (
            (TODAY.isoformat(), "", "Give the reason for the termination."),
            ("", "Merged", "Give the date of the termination."),
            ((TODAY + timedelta(days=3)).isoformat(), "Merged", "The termination date is in the future"),
            ("2019-12-31", "Merged", "The termination date is before the signing date.")):
        response = terminate(secretariat, mou, on, reason)
        assert response.status_code == 422 and message in text(response), message
    db.session.refresh(mou)
    assert mou.state == "signed" and actions() == []
    assert terminate(secretariat, mou, TODAY.isoformat()).status_code == 303
    db.session.refresh(mou)
    assert (mou.state, mou.terminated_on, mou.termination_reason) == ("terminated", TODAY, "The partner withdrew.")
    expired = make_mou("Already over", expires_on=TODAY - timedelta(days=1))
    response = terminate(secretariat, expired, TODAY.isoformat())
    assert response.status_code == 422 and "this one is expired" in text(response)
    draft = make_mou("Not yet", state="draft", signed_on=None)
    assert terminate(secretariat, draft, TODAY.isoformat()).status_code == 422
    assert actions() == ["mou.terminated"]


def test_two_signatures_at_once_change_the_mou_once(users):
    draft = make_mou("Raced", state="draft", signed_on=None)
    stale = Mou(id=draft.id, state="draft", title=draft.title)  # what a second request saw
    services.sign(draft, TODAY, "Taipei", users[Role.SECRETARIAT], TODAY)
    db.session.expunge_all()
    with pytest.raises(services.MouError, match="changed by someone else"):
        services.sign(stale, TODAY, "Taipei", users[Role.SECRETARIAT], TODAY)
    assert actions() == ["mou.signed"]


# --- Renewal chain ------------------------------------------------------------------------

@pytest.fixture
def chain(users):
    first = make_mou("LGAQ 2019", signed_on=date(2019, 3, 27), expires_on=date(2022, 3, 26))
    second = make_mou("LGAQ 2022", signed_on=date(2022, 3, 27), expires_on=date(2025, 3, 26), renews_id=first.id)
    third = make_mou("LGAQ 2025", signed_on=date(2025, 3, 27), renews_id=second.id, visibility="members")
    return first, second, third


def test_the_renewal_chain_is_shown_both_ways(chain, users, make_client):
    first, second, third = chain
    secretariat = users[Role.SECRETARIAT]
    assert services.renewal_chain(second, secretariat) == ([first], [third])
    assert services.renewal_chain(first, secretariat) == ([], [second, third])
    assert services.renewal_chain(third, secretariat) == ([first, second], [])
    page = text(client_for(make_client, users, Role.HONORARY).get(f"/mous/{second.id}"))
    assert page.index("LGAQ 2019") < page.index("This MOU") < page.index("LGAQ 2025")
    assert "renewed by this MOU" in page and "renews this MOU" in page
    # Moving along the chain swaps only the record.
    fragment = text(client_for(make_client, users, Role.HONORARY).get(
        f"/mous/{first.id}", headers={"HX-Request": "true"}))
    assert "<html" not in fragment and "LGAQ 2022" in fragment and "LGAQ 2025" in fragment


def test_the_chain_hides_what_the_viewer_may_not_see(chain, make_client):
    first, second, third = chain
    page = text(make_client().get(f"/mous/{second.id}"))
    assert "LGAQ 2019" in page and "LGAQ 2025" not in page


def test_a_renewal_cannot_close_a_loop(chain, secretariat):
    first, second, third = chain
    for target in (third, second, first):
        response = post_mou(secretariat, f"/mous/{first.id}/edit", renews_id=str(target.id),
                            signed_on="2019-03-27", effective_on="2019-03-27", expires_on="2022-03-26")
        assert response.status_code == 422, target.title
        assert "cannot renew itself or one of its own renewals" in text(response)
    db.session.refresh(first)
    assert first.renews_id is None and actions() == []


def test_record_a_renewal_starts_from_the_renewed_mou(chain, secretariat, users):
    first, second, third = chain
    page = text(secretariat.get(f"/mous/new?renews={third.id}"))
    assert 'value="LGAQ 2025"' in page
    assert f'<option selected value="{third.id}">' in page
    response = post_mou(secretariat, title="LGAQ 2028", renews_id=str(third.id), effective_on="", expires_on="")
    assert response.status_code == 303
    renewal = db.session.scalar(select(Mou).where(Mou.title == "LGAQ 2028"))
    assert renewal.renews_id == third.id
    assert services.renewal_chain(first, users[Role.SECRETARIAT])[1] == [second, third, renewal]


# --- Audit --------------------------------------------------------------------------------

def test_every_change_is_in_the_audit_log_with_its_actor(secretariat, users, app):
    post_mou(secretariat, document=(PDF, "first.pdf"))
    mou = db.session.scalar(select(Mou))
    first_file = mou.document_stored_name
    amended = weasyprint.HTML(string="<p>Memorandum of understanding, amended</p>").write_pdf()
    assert post_mou(secretariat, f"/mous/{mou.id}/edit", document=(amended, "second.pdf"),
                    title="Smart mobility cooperation, amended", visibility="public").status_code == 303
    assert post_mou(secretariat, f"/mous/{mou.id}/edit", title="Smart mobility cooperation, amended",
                    visibility="public").status_code == 303  # no change: no entry
    sign(secretariat, mou, "2024-01-01")
    terminate(secretariat, mou, TODAY.isoformat())
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("mou.%"))
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["mou.created", "mou.updated", "mou.signed", "mou.terminated"]
    assert all(e.actor_email == "sec@example.org" and e.object_type == "Mou" and e.object_id == str(mou.id)
               for e in entries)
    created, updated, signed, terminated = (e.details for e in entries)
    assert created["partner"] == "Eurocities" and created["document"] == "first.pdf" and len(created["sha256"]) == 64
    assert set(updated["changed"]) == {"title", "visibility", "document"} and updated["document"] == "second.pdf"
    assert signed["signed_on"] == "2024-01-01" and terminated["reason"] == "The partner withdrew."
    # The replaced file is gone; only the current one is kept.
    db.session.refresh(mou)
    assert first_file not in stored_files(app) and stored_files(app) == [mou.document_stored_name]


# --- The list's filters --------------------------------------------------------------------

@pytest.fixture
def listed(users, organization):
    brisbane = organization(name="Brisbane", country="AU", number="GS-2019-0101")
    return {
        "lgaq": make_mou("LGAQ cooperation", signed_on=date(2019, 3, 27)),
        "brisbane_2019": make_mou("Brisbane mobility", signed_on=date(2019, 8, 1), partner_name=None,
                                  partner_organization_id=brisbane.id, expires_on=date(2021, 7, 31)),
        "brisbane_2022": make_mou("Brisbane energy", signed_on=date(2022, 5, 1), partner_name=None,
                                  partner_organization_id=brisbane.id),
        "lyon": make_mou("Lyon open data", signed_on=date(2022, 2, 1), partner_name="Métropole de Lyon",
                         partner_country="FR", state="terminated", terminated_on=date(2023, 1, 1),
                         termination_reason="Merged"),
        "draft": make_mou("Brisbane draft", state="draft", signed_on=None, partner_name=None,
                          partner_organization_id=brisbane.id),
    }


def titles(response):
    body = text(response)
    return {t for t in ("LGAQ cooperation", "Brisbane mobility", "Brisbane energy", "Lyon open data",
                        "Brisbane draft") if f">{t}</a>" in body}


@pytest.mark.parametrize("query, expected", [
    ("", {"LGAQ cooperation", "Brisbane mobility", "Brisbane energy", "Lyon open data", "Brisbane draft"}),
    ("?partner=brisbane", {"Brisbane mobility", "Brisbane energy", "Brisbane draft"}),
    ("?partner=brisbane&year=2019", {"Brisbane mobility"}),
    ("?partner=brisbane&status=signed", {"Brisbane energy"}),
    ("?partner=brisbane&status=expired&year=2019", {"Brisbane mobility"}),
    ("?status=signed&year=2019", {"LGAQ cooperation"}),
    ("?status=terminated", {"Lyon open data"}),
    ("?status=draft", {"Brisbane draft"}),
    ("?year=2022", {"Brisbane energy", "Lyon open data"}),
    ("?partner=lyon&year=2019", set()),
    ("?partner=m%C3%A9tropole", {"Lyon open data"}),
    ("?status=bogus&year=1066", {"LGAQ cooperation", "Brisbane mobility", "Brisbane energy", "Lyon open data",
                                 "Brisbane draft"}),  # values not offered are ignored
])
def test_filters_combine_in_the_url_as_page_and_fragment(listed, secretariat, query, expected):
    page = secretariat.get("/mous/" + query)
    fragment = secretariat.get("/mous/" + query, headers={"HX-Request": "true"})
    assert titles(page) == expected and titles(fragment) == expected
    assert "<html" not in text(fragment)


def test_visitors_cannot_filter_their_way_to_drafts(listed, make_client):
    visitor = make_client()
    page = text(visitor.get("/mous/?status=draft"))
    assert "Brisbane draft" not in page and '<option value="draft"' not in page
    assert titles(visitor.get("/mous/?partner=draft")) == set()


def test_the_filter_form_keeps_the_state_of_the_url(listed, secretariat):
    page = text(secretariat.get("/mous/?status=expired&partner=bris&year=2019"))
    assert '<option selected value="expired">' in page and '<option selected value="2019">' in page
    assert 'value="bris"' in page and 'hx-push-url="true"' in page


@pytest.fixture
def count_queries(app):
    counter = {"n": 0}

    def before(*args, **kwargs):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    yield counter
    event.remove(db.engine, "before_cursor_execute", before)


def test_the_list_issues_the_same_queries_for_few_or_many_mous(users, organization, secretariat, count_queries):
    def queries():
        count_queries["n"] = 0
        assert secretariat.get("/mous/").status_code == 200
        return count_queries["n"]

    members = [organization(name=f"City {i}", country="JP", number=f"GS-2020-{i:04d}") for i in range(20)]
    make_mou("Only one", partner_name=None, partner_organization_id=members[0].id)
    few = queries()
    for i, member in enumerate(members):
        make_mou(f"MOU {i}", partner_name=None, partner_organization_id=member.id,
                 signed_on=date(2019 + i % 5, 1, 1), expires_on=TODAY + timedelta(days=i))
    assert queries() == few


# --- Done when ------------------------------------------------------------------------------

def test_a_new_secretariat_user_records_an_outside_partners_mou_that_members_see_by_visibility(
        make_user, users, make_client, app):
    newcomer = make_client()
    newcomer.login(make_user(Role.SECRETARIAT, "newcomer@example.org").email)
    response = post_mou(newcomer, document=(PDF, "Eurocities MOU.pdf"), title="Eurocities partnership",
                        visibility="members")
    mou = db.session.scalar(select(Mou))
    assert sign(newcomer, mou, "2024-02-01").status_code == 303
    honorary = client_for(make_client, users, Role.HONORARY)
    representative = client_for(make_client, users, Role.REPRESENTATIVE)
    visitor = make_client()
    for member in (honorary, representative):
        assert "Eurocities partnership" in text(member.get("/mous/"))
        assert member.get(f"/mous/{mou.id}/document").data == PDF
    assert "Eurocities partnership" not in text(visitor.get("/mous/"))
    assert visitor.get(f"/mous/{mou.id}/document").status_code == 404
    response = post_mou(newcomer, f"/mous/{mou.id}/edit", title="Eurocities partnership", visibility="secretariat",
                        signed_on="2024-02-01", signing_place="Taipei")
    assert response.status_code == 303
    assert "Eurocities partnership" not in text(honorary.get("/mous/"))
    assert honorary.get(f"/mous/{mou.id}").status_code == 404
    response = post_mou(newcomer, f"/mous/{mou.id}/edit", title="Eurocities partnership", visibility="public",
                        signed_on="2024-02-01", signing_place="Taipei")
    assert "Eurocities partnership" in text(visitor.get("/mous/"))
    assert [e for e in actions()] == ["mou.created", "mou.signed", "mou.updated", "mou.updated"]


# --- Demo ------------------------------------------------------------------------------------

def test_demo_has_the_lgaq_mou_and_one_in_each_other_state(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = count(Mou)
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert count(Mou) == first  # idempotent
    lgaq = db.session.scalar(select(Mou).where(Mou.partner_name == "Local Government Association of Queensland"))
    assert (lgaq.signed_on, lgaq.partner_country, lgaq.visibility, lgaq.status_on(TODAY)) == (
        date(2019, 3, 27), "AU", Visibility.PUBLIC, MouStatus.SIGNED)
    assert "Taipei" in lgaq.signing_place and lgaq.signatories
    mous = db.session.scalars(select(Mou)).all()
    assert {m.status_on(TODAY) for m in mous} == set(MouStatus)
    assert any(m.expires_soon(TODAY) for m in mous)
    assert any(m.partner_organization_id for m in mous)
    assert any(m.renews_id for m in mous)
