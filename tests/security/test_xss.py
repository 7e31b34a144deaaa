"""XSS and htmx injection. Hostile text is saved through every text field of every form
(hidden fields too), as each role that may post it; then every page and fragment of
every role, the pages the forms led to and every email sent are read: the text is shown
escaped and inert. Search boxes (GET forms) get the same text in their query."""
import itertools
from urllib.parse import urlencode, urlsplit

from gosmart.extensions import limiter

from .forms import LAST_WORDS, pages_of, parse_forms, refreshed, submissions, valid_data
from .inspect_html import combined, inspect, tries, unsafe_location

READERS = ("secretariat", "rep_a", "rep_b", "honorary", "applicant", "door_staff", "visitor")
ACCEPTED = {204, 302, 303}


def _order(sub):
    """Forms that create and edit first; those that lock, end or remove things last."""
    return (any(word in sub.endpoint for word in LAST_WORDS), sub.endpoint)


def test_hostile_text_in_every_field_is_shown_escaped_and_inert_everywhere(app, world, outbox, monkeypatch, fast_pdfs):
    monkeypatch.setattr(limiter, "enabled", False)
    numbers = itertools.count(1)
    problems, saved, led_to = [], {}, []

    def check(label, response):
        if unsafe_location(response.headers.get("Location")) or unsafe_location(response.headers.get("HX-Redirect")):
            problems.append(f"{label}: redirects to {response.headers.get('Location') or response.headers['HX-Redirect']}")
        if response.mimetype == "text/html":
            found, _markers = inspect(response.get_data(as_text=True))
            problems.extend(f"{label}: {p}" for p in found)

    for sub in sorted(submissions(app, world, first_only=True), key=_order):
        if sub.form is None:
            continue
        client, form = world.client(sub.key), sub.form
        for field, spec in sub.form.text_kinds(first_rows_only=True).items():
            n = next(numbers)
            for attempt, value in enumerate(tries(n, spec)):
                data = dict(valid_data(sub.endpoint, form, world), **{field: value})
                response = client.post(sub.url, data=data)
                check(f"{sub} {field}={value[:24]!r}", response)
                if response.status_code in ACCEPTED:
                    saved[n] = f"{sub.endpoint} {field} as {sub.key}"
                    location = response.headers.get("Location", "")
                    if location and urlsplit(location).path != "/login":
                        led_to.append((sub.key, location))
                    form = refreshed(world, sub.key, form) or form  # e.g. the revision the next save is based on
                    break
                if attempt == 0:  # the refusal, as a fragment too (with its files anew: a posted one is closed)
                    data = dict(valid_data(sub.endpoint, form, world), **{field: value})
                    check(f"{sub} {field} htmx", client.post(sub.url, data=data,
                                                             headers={"HX-Request": "true", "HX-Trigger-Name": field}))
                if response.status_code == 200:
                    break  # answered in place (inline validation, a sign-in form): nothing is stored

    shown = set()
    get_forms = {}
    for key in READERS:
        client = world.client(key)
        urls = pages_of(app, world, key) + [u for k, u in led_to if k == key]
        for url in dict.fromkeys(urls):
            response = client.get(url)
            if response.mimetype != "text/html":
                continue
            page = response.get_data(as_text=True)
            found, markers = inspect(page)
            problems.extend(f"{key} GET {url}: {p}" for p in found)
            shown |= markers
            if "HX-Request" in response.headers.get("Vary", ""):
                fragment = client.get(url, headers={"HX-Request": "true"})
                found, markers = inspect(fragment.get_data(as_text=True))
                problems.extend(f"{key} GET {url} htmx: {p}" for p in found)
                shown |= markers
            for form in parse_forms(page, url):
                if form.method == "GET":
                    for field in form.text_fields():
                        get_forms.setdefault((form.path, field), (key, form))

    for (path, field), (key, form) in sorted(get_forms.items()):
        client = world.client(key)
        n = next(numbers)
        query = dict(form.data(), **{field: combined(n)})
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(f"{path}?{urlencode(query, doseq=True)}", headers=headers)
            check(f"{key} search {path} {field}{' htmx' if headers else ''}", response)

    for message in outbox:
        found, markers = inspect(message.html or "")
        problems.extend(f"email {message.subject!r}: {p}" for p in found)
        shown |= markers

    assert not problems, "\n".join(dict.fromkeys(problems))
    assert len(saved) >= 40, saved  # the hostile text went into the data through many fields…
    not_shown = sorted(set(saved) - shown)
    # …and is read back from most of them (some are never shown: a password-free hidden id, a search).
    assert len(not_shown) <= len(saved) // 3, [saved[n] for n in not_shown]
