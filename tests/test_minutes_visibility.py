"""Minutes: the Markdown sanitizer against XSS and htmx-injection payloads, and who
sees which minutes on the pages, in the search and in the PDF."""
import io
import re
from datetime import date
from html.parser import HTMLParser

import pypdf
import pytest
from sqlalchemy import event

from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.minutes import services
from gosmart.minutes.models import Minutes

from .minutes_fixtures import committee, draft, save, secretariat, signed_in, taipei  # noqa: F401  (fixtures)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "[x](javascript:alert(1))",
    '<a hx-get="/x" hx-trigger="load">x</a>',
    "<div onclick=alert(1)>click</div>",
    "{{7*7}}",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#115;cript:alert(1))",
    "[x]( javascript:alert(1))",
    "[y][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<a data-hx-post="/logout" data-hx-trigger="load">x</a>',
    '<form hx-post="/x"><button>go</button></form>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<style>body{display:none}</style>",
    "![x](http://evil.example/x.png)",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="file:///etc/passwd" rel="attachment">passwd</a>',
    "<!-- <script>alert(1)</script> -->",
    '[t](http://ok.example "a\\" onmouseover=\\"alert(1)")',
    "```\n<script>alert(1)</script>\n```",
    "    <img src=x onerror=alert(1)>",
]
SAFE_TAGS = services.ALLOWED_TAGS
SAFE_ATTRIBUTES = {"href", "title", "rel"}


class Elements(HTMLParser):
    """Every element the browser would build: (tag, {attribute: value})."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html):
    return Elements(html).found


def assert_harmless(html):
    for tag, attributes in elements(html):
        assert tag in SAFE_TAGS, (tag, html)
        assert set(attributes) <= SAFE_ATTRIBUTES, (attributes, html)
        href = (attributes.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "mailto:")), (href, html)
        if tag == "a":
            assert attributes.get("rel") == "noopener noreferrer nofollow"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitizer_leaves_no_markup_that_could_run_or_fetch(app, payload):
    html = str(services.render_markdown(payload))
    assert_harmless(html)
    assert "49" not in html


def test_raw_html_is_shown_as_text_not_dropped(app):
    html = str(services.render_markdown('<script>alert(1)</script> and <a hx-get="/x">x</a> {{7*7}}'))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;a hx-get=" in html and "{{7*7}}" in html


def test_markdown_formatting_still_renders(app):
    html = str(services.render_markdown(
        "**Taipei City** chairs *two years*.\n\n- one\n- two\n\n> quoted\n\n[LGAQ](https://www.lgaq.asn.au) `code`"))
    assert "<strong>Taipei City</strong>" in html and "<em>two years</em>" in html
    assert "<ul>\n<li>one</li>" in html and "<blockquote>" in html and "<code>code</code>" in html
    assert '<a href="https://www.lgaq.asn.au" rel="noopener noreferrer nofollow">LGAQ</a>' in html


# --- Payloads on every field of the page and the PDF ------------------------------------------

@pytest.fixture
def hostile(draft, secretariat):
    joined = "\n\n".join(PAYLOADS)
    save(draft, secretariat, place='Hall "><script>alert(1)</script>', guests="<img src=x onerror=alert(1)>",
         items=[('<a hx-get="/x" hx-trigger="load">Agenda</a>', joined + "\n\n臺北市 {{7*7}}")],
         resolutions=["<script>alert('resolution')</script>"],
         action_items=[("<div onclick=alert(1)>act</div>", '"><svg onload=alert(1)>', None, "open")])
    services.approve(draft, draft.current_revision, secretariat)
    services.publish(draft, "public", secretariat)
    return draft


def test_payloads_in_every_field_stay_text_on_the_page(hostile, make_client):
    page = make_client().get(f"/minutes/{hostile.id}").get_data(as_text=True)
    main = page[page.index('<main id="main"'):page.index("</main>")]
    found = elements(main)
    assert not [t for t, _ in found if t in ("script", "img", "svg", "iframe", "style", "form", "button")]
    for tag, attributes in found:
        assert not [a for a in attributes if a.startswith("on")], (tag, attributes)
        assert attributes.get("hx-get") != "/x" and "hx-trigger" not in attributes and "data-hx-post" not in attributes
        assert "javascript" not in (attributes.get("href") or "").lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in main and "{{7*7}}" in main and "49" not in main
    assert main.count('class="discussion" hx-disable') == 1  # htmx ignores the user's text even so


def test_payloads_stay_text_in_the_pdf(hostile, make_client):
    response = make_client().get(f"/minutes/{hostile.id}.pdf")
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    assert "<script>alert('resolution')</script>" in text and "{{7*7}}" in text and "臺北市" in text
    links = [annotation.get_object().get("/A", {}).get("/URI", "") for page in reader.pages
             for annotation in page.get("/Annots") or []]
    assert not [link for link in links if "javascript" in str(link).lower() or "file:" in str(link).lower()]
    assert not reader.attachments


# --- Visibility per role: pages, search, PDF -------------------------------------------------

WORDS = {"draft": "alphaword", "approved": "bravoword", "members": "charlieword", "public": "deltaword"}
READERS = {
    "anonymous": {"public"},
    Role.APPLICANT: {"public"},
    Role.DOOR_STAFF: {"public"},
    Role.REPRESENTATIVE: {"members", "public"},
    Role.HONORARY: {"members", "public"},
    Role.SECRETARIAT: {"draft", "approved", "members", "public"},
}


@pytest.fixture
def each_state(committee, secretariat):
    """Minutes in each state, each with a word of its own in its text."""
    made = {}
    for day, (name, word) in enumerate(WORDS.items(), 1):
        minutes = services.create_minutes(committee, date(2019, 4, day), "Taipei", secretariat)
        save(minutes, secretariat, held_on=date(2019, 4, day), items=[("Item", f"The {word} is discussed.")],
             resolutions=[f"Resolved on {word}."])
        if name != "draft":
            services.approve(minutes, minutes.current_revision, secretariat)
        if name in ("members", "public"):
            services.publish(minutes, name, secretariat)
        made[name] = minutes
    return made


def reader_client(role, users, make_client):
    return make_client() if role == "anonymous" else signed_in(make_client, users[role])


@pytest.mark.parametrize("role", list(READERS), ids=str)
def test_each_role_sees_only_the_minutes_it_may_read_on_pages_and_in_the_search(role, each_state, users, make_client):
    client = reader_client(role, users, make_client)
    listing = client.get("/minutes/").get_data(as_text=True)
    for name, minutes in each_state.items():
        visible = name in READERS[role]
        status = client.get(f"/minutes/{minutes.id}").status_code
        assert status == (200 if visible else 404), (role, name, status)
        assert (f'href="/minutes/{minutes.id}"' in listing) == visible, (role, name)
        found = client.get(f"/minutes/?q={WORDS[name]}", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert (f'href="/minutes/{minutes.id}"' in found) == visible, (role, name)
        assert (f"<mark>{WORDS[name]}</mark>" in found) == visible
        if not visible:
            assert "No minutes match" in found


@pytest.mark.parametrize("role", list(READERS), ids=str)
def test_each_role_downloads_only_the_pdfs_it_may_read(role, each_state, users, make_client):
    client = reader_client(role, users, make_client)
    for name, minutes in each_state.items():
        response = client.get(f"/minutes/{minutes.id}.pdf")
        if name not in READERS[role]:
            assert response.status_code == 404, (role, name)
            continue
        assert response.status_code == 200, (role, name)
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == 'attachment; filename="minutes-SC-2019-04-0%d.pdf"' % (
            list(WORDS).index(name) + 1)
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
        assert WORDS[name] in text and "Strategy Committee" in text
        assert ("DRAFT" in text) == (name == "draft")
        if name != "draft":
            assert re.search(r"SC-2019-0\d", text)


@pytest.mark.parametrize("role", [Role.REPRESENTATIVE, Role.HONORARY, Role.APPLICANT, Role.DOOR_STAFF])
def test_members_and_visitors_never_reach_history_edits_or_revisions(role, each_state, users, make_client):
    client = signed_in(make_client, users[role])
    minutes = each_state["members"]
    for path in ("/history", "/revisions/1", "/edit"):
        assert client.get(f"/minutes/{minutes.id}{path}").status_code == 403, path
    page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    if role in (Role.REPRESENTATIVE, Role.HONORARY):
        assert "History" not in page and "/approve" not in page and "/reopen" not in page and "Download PDF" in page


def test_reopened_minutes_disappear_from_their_readers(each_state, users, make_client, secretariat):
    minutes = each_state["members"]
    services.reopen(minutes, "Correction", secretariat)
    member = signed_in(make_client, users[Role.REPRESENTATIVE])
    assert member.get(f"/minutes/{minutes.id}").status_code == 404
    assert member.get(f"/minutes/{minutes.id}.pdf").status_code == 404
    assert "No minutes match" in member.get(f"/minutes/?q={WORDS['members']}").get_data(as_text=True)


# --- The search ----------------------------------------------------------------------------

def test_search_as_full_page_and_fragment_with_an_excerpt(each_state, users, make_client):
    member = signed_in(make_client, users[Role.REPRESENTATIVE])
    full = member.get("/minutes/?q=CHARLIEword").get_data(as_text=True)
    fragment = member.get("/minutes/?q=CHARLIEword", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" in full and "<html" not in body and "HX-Request" in fragment.headers["Vary"]
    assert "The <mark>charlieword</mark> is discussed." in body
    by_committee = member.get("/minutes/?q=strategy", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert by_committee.count('href="/minutes/') == 2
    by_number = member.get("/minutes/?q=SC-2019-03", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert by_number.count('href="/minutes/') == 1


def test_search_takes_like_wildcards_literally_and_finds_any_script(draft, secretariat, make_client):
    save(draft, secretariat, items=[("臺北市", "100% of the votes for Taipei <b>")])
    staff = signed_in(make_client, secretariat)
    assert "No minutes match" in staff.get("/minutes/?q=_%25_").get_data(as_text=True)
    assert f'href="/minutes/{draft.id}"' in staff.get("/minutes/?q=100%25").get_data(as_text=True)
    found = staff.get("/minutes/?q=臺北").get_data(as_text=True)
    assert f'href="/minutes/{draft.id}"' in found and "<mark>臺北</mark>" in found
    escaped = staff.get("/minutes/?q=VOTES").get_data(as_text=True)
    assert "<mark>votes</mark> for Taipei &lt;b&gt;" in escaped


def test_search_issues_the_same_number_of_queries_whatever_the_number_of_minutes(
        committee, secretariat, users, make_client):
    member = signed_in(make_client, users[Role.REPRESENTATIVE])
    queries = []
    listener = lambda *args, **kwargs: queries.append(1)  # noqa: E731

    def publish_some(n, start):
        for day in range(start, start + n):
            minutes = services.create_minutes(committee, date(2019, 1, 1).replace(day=day), "Taipei", secretariat)
            save(minutes, secretariat, held_on=minutes.meeting.held_on, items=[("Item", "common word")])
            services.approve(minutes, minutes.current_revision, secretariat)
            services.publish(minutes, "members", secretariat)

    def count_for(url):
        queries.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert member.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(queries)

    publish_some(2, 1)
    small = [count_for("/minutes/"), count_for("/minutes/?q=common")]
    publish_some(20, 3)
    large = [count_for("/minutes/"), count_for("/minutes/?q=common")]
    assert small == large and large[0] <= 6
    assert db.session.query(Minutes).count() == 22
