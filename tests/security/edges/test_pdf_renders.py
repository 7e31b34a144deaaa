"""PDFs made on demand are kept by their content's version: asking again for the same minutes,
e-ticket or badge sheet does not render it again (any member could make the server render the
minutes' PDF, ~0.2 s, on every request). A new revision or another language is a new version.
What is not in the cache costs a render, limited per user."""
import pytest

from gosmart import pdf
from gosmart.minutes import services as minutes_services

from .test_pdf_uploads import minimal_pdf

FAKE = minimal_pdf()


@pytest.fixture
def renders(monkeypatch):
    """The HTML of every PDF actually rendered (instantly, a fixed small PDF)."""
    made = []

    def render(html, url_fetcher=None, timeout=None):
        made.append(html)
        return FAKE
    monkeypatch.setattr(pdf, "html_to_pdf", render)
    return made


def test_the_members_minutes_pdf_is_rendered_once_per_version(world, renders):
    url = f"/minutes/{world.minutes['members'].id}.pdf"
    for key in ("rep_a", "rep_b", "honorary", "rep_a", "rep_a"):
        response = world.client(key).get(url)
        assert response.status_code == 200 and response.data == FAKE
        assert response.headers["Cache-Control"] == "private, no-store"
    assert len(renders) == 1
    chinese = world.client("rep_a")
    chinese.post("/language", data={"locale": "zh_Hant_TW", "next": "/"})
    chinese.get(url)
    chinese.get(url)
    assert len(renders) == 2 and "出席" in renders[1]  # another language, another version


def test_a_new_revision_is_a_new_version(world, renders):
    draft = world.minutes["draft"]
    staff = world.client("secretariat")
    staff.get(f"/minutes/{draft.id}.pdf")
    staff.get(f"/minutes/{draft.id}.pdf")
    assert len(renders) == 1
    content = dict(draft.content, held_on=draft.meeting.held_on, place=draft.meeting.place, guests="",
                   items=[{"title": "A new item", "discussion": "Discussed."}])
    minutes_services.save(draft, content, draft.current_revision, world.users["secretariat"])
    staff.get(f"/minutes/{draft.id}.pdf")
    assert len(renders) == 2 and "A new item" in renders[1]


def test_e_tickets_are_kept_too(world, renders):
    """(A badge sheet is made once by the task worker and stored: tests/test_badges.py.)"""
    rep, registration = world.client("rep_a"), world.registrations["a"]
    ticket = f"/assemblies/{world.assembly.id}/registrations/{registration.id}/ticket.pdf"
    assert [rep.get(ticket).status_code for _ in range(3)] == [200] * 3
    assert len(renders) == 1


def test_what_is_not_in_the_cache_is_limited_per_user(app, world, renders, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_RENDER_RATE_LIMIT", "2 per minute")
    rep = world.client("rep_a")
    urls = [f"/assemblies/{world.assembly.id}/registrations/{world.registrations[k].id}/ticket.pdf"
            for k in ("a", "checked")] + [f"/minutes/{world.minutes['members'].id}.pdf"]
    answers = [rep.get(url) for url in urls]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Retry-After" in answers[2].headers and len(renders) == 2
    assert rep.get(urls[0]).status_code == 200  # what is kept costs nothing
    assert world.client("rep_b").get(urls[2]).status_code == 200  # another user's own count
    assert len(renders) == 3


def test_the_cache_holds_at_most_its_size(app, world, renders, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_BYTES", len(FAKE))
    staff = world.client("secretariat")
    first, second = (f"/minutes/{world.minutes[k].id}.pdf" for k in ("members", "public"))
    staff.get(first)
    staff.get(second)  # the first goes: there is room for one
    staff.get(second)
    staff.get(first)
    assert len(renders) == 3
