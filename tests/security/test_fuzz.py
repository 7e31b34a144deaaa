"""Input fuzzing (Hypothesis) over every form, POST and GET: arbitrary text, huge values,
control characters, huge numbers and invalid UTF-8 in the body or the query never give a
500, and a refused request never leaves a write behind.

Each example takes a valid submission and replaces one to three of its fields (or adds
one it does not expect) with hostile values, so that a value reaches the code behind the
validation of the others."""
import inspect
import os
import re
from pathlib import Path
from urllib.parse import quote_from_bytes, quote_plus

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gosmart
from gosmart.extensions import limiter

from .forms import _forms_on, pages_of, submissions, valid_data
from .world import Writes

EXAMPLES = int(os.environ.get("GOSMART_FUZZ_EXAMPLES", 10))  # per form and page; raise it for a longer hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

# Values that broke such apps before: past every integer type, NUL and other control
# characters, a right-to-left override, huge text, bytes that are not UTF-8.
NASTY = ["9" * 25, "-9" * 13, str(2 ** 31), str(2 ** 63), "1e309", "NaN", "\x00", "a\x00b", "\x1b[2J\x07",
         "\u202egpj.exe", "\ufeff", "𝕏" * 60, "x" * 70_000, b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80", "",
         " ", "../../etc/passwd", "2019-02-30", "9999-12-31T23:59", "-1", "0", "[]", "{}"]
values = st.one_of(
    st.sampled_from(NASTY), st.sampled_from(NASTY),  # twice: weighted towards the known-bad
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=10),
    st.integers(min_value=-(2 ** 80), max_value=2 ** 80).map(str),
    st.binary(min_size=1, max_size=12),
)
# The query arguments the code reads (request.args.get("…")), and those of search forms.
QUERY_NAMES = sorted(set(re.findall(r'request\.args\.get\(\s*"(\w+)"', "".join(
    p.read_text() for p in Path(gosmart.__file__).parent.rglob("*.py")))) | {"after", "before", "sort"})


def encode(fields):
    """An application/x-www-form-urlencoded body; bytes go in as they are (maybe not UTF-8)."""
    parts = []
    for name, value in fields:
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
        parts.append(f"{quote_plus(name)}={quote_from_bytes(raw)}")
    return "&".join(parts)


def _fields(data):
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, tuple):  # files are fuzzed in test_uploads_http.py
                yield name, item


def test_fuzzed_posts_to_every_form_never_fail_and_never_write_half(app, world, monkeypatch, fast_pdfs):
    monkeypatch.setattr(limiter, "enabled", False)
    problems = []
    for sub in submissions(app, world, first_only=True):
        client = world.client(sub.key)
        names = sorted({f.name for f in sub.form.fields if f.name != "csrf_token"}) if sub.form else []

        @FUZZ
        @given(changed=st.dictionaries(st.sampled_from(names + ["unexpected"]), values, min_size=1, max_size=3),
               htmx=st.booleans())
        def post(changed, htmx):
            base = [(k, v) for k, v in _fields(valid_data(sub.endpoint, sub.form, world)) if k not in changed]
            body = encode(base + list(changed.items()) + [("csrf_token", client.token)])
            headers = {"HX-Request": "true", "HX-Trigger-Name": next(iter(changed))} if htmx else {}
            with Writes() as writes:
                response = client.post(sub.url, data=body.encode(), csrf=False, headers=headers,
                                       content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500
            if response.status_code >= 400:
                assert not writes.committed, f"refused ({response.status_code}) but wrote {writes.committed[:3]}"

        try:
            post()
        except Exception as error:  # noqa: BLE001 - collected, so that one run shows every form that fails
            problems.append(f"{sub}: {type(error).__name__}: {str(error)[:600]}")
    assert not problems, "\n".join(problems)


def reads_query(app, endpoint):
    view = inspect.unwrap(app.view_functions[endpoint])
    try:
        return "request.args" in inspect.getsource(view)
    except (OSError, TypeError):
        return False


def test_fuzzed_queries_and_ids_on_every_page_never_fail(app, world):
    """Pages with a search or filter form, and views that read the query, get hostile
    queries; every other page one query with every such argument hostile; and every route
    an id past any integer. As the secretariat (who may open every page) and a visitor."""
    problems = []
    adapter = app.url_map.bind("localhost")
    for key in ("secretariat", "visitor"):
        client = world.client(key)
        for page in pages_of(app, world, key):
            path = page.split("?")[0]
            names = set(QUERY_NAMES)
            searched = False
            for form in _forms_on(app, world, key, page):
                if form.method == "GET":
                    names |= {f.name for f in form.fields}
                    searched = True
            if not searched and not reads_query(app, adapter.match(path)[0]):
                for value in ("a\x00b", "9" * 25, b"\xff\xfe"):
                    query = encode((name, value) for name in sorted(names))
                    try:
                        status = client.get(f"{path}?{query}").status_code
                    except Exception as error:  # noqa: BLE001
                        status = f"{type(error).__name__}: {str(error)[:300]}"
                    if not isinstance(status, int) or status >= 500:
                        problems.append(f"{key} GET {path}?{query[:80]}: {status}")
                continue

            @FUZZ
            @given(changed=st.dictionaries(st.sampled_from(sorted(names)), values, min_size=1, max_size=3),
                   htmx=st.booleans())
            def get(changed, htmx):
                with Writes() as writes:
                    response = client.get(f"{path}?{encode(changed.items())}",
                                          headers={"HX-Request": "true"} if htmx else {})
                assert response.status_code < 500
                assert not writes.committed

            try:
                get()
            except Exception as error:  # noqa: BLE001
                problems.append(f"{key} GET {path}: {type(error).__name__}: {str(error)[:600]}")
    client = world.client("secretariat")
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and any(isinstance(c, type(app.url_map.converters["int"](app.url_map)))
                                         for c in rule._converters.values()):
            url = re.sub(r"<int:\w+>", "9" * 25, re.sub(r"<(?!int:)[^>]+>", "x", rule.rule))
            try:
                status = client.get(url).status_code
            except Exception as error:  # noqa: BLE001
                status = f"{type(error).__name__}: {str(error)[:200]}"
            if not isinstance(status, int) or status >= 500:
                problems.append(f"GET {url}: {status}")
    assert not problems, "\n".join(problems)
