"""The safe PDF renderer: CJK text, a fetcher that loads only data: URIs and static
files (no local files, no requests, no embedded attachments), QR codes, the time limit."""
import base64
import io
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pypdf
import pytest
import weasyprint
from jinja2 import ChoiceLoader, DictLoader
from weasyprint.urls import URLFetcher

from gosmart import pdf
from gosmart.pdf import (PdfRenderTimeout, ResourceRefused, StaticOnlyFetcher, html_to_pdf,
                         qr_svg_data_uri, render_pdf)

PASSWD = Path("/etc/passwd")
SECRET = PASSWD.read_text().splitlines()[0]  # e.g. "root:x:0:0:root:/root:/bin/bash"

CARD = """{% extends "pdf/base.html" %}
{% block content %}
  <h1>{{ name }}</h1>
  <p>{{ city }}</p>
  {% for note in notes %}<p>{{ note }}</p>{% endfor %}
  {% if qr %}<img class="qr" src="{{ qr }}" alt="">{% endif %}
{% endblock %}"""


# --- helpers ---------------------------------------------------------------------------

@pytest.fixture
def card(app, monkeypatch):
    """A test-only template, pdf/test_card.html, served next to the app's templates."""
    loader = ChoiceLoader([DictLoader({"pdf/test_card.html": CARD}), app.jinja_env.loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    return "pdf/test_card.html"


class SpyFetcher(StaticOnlyFetcher):
    """The real fetcher, noting what it let through and what it refused."""
    made = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed, self.refused = [], []
        SpyFetcher.made.append(self)

    def fetch(self, url, headers=None):
        try:
            response = super().fetch(url, headers)
        except ResourceRefused:
            self.refused.append(url)
            raise
        self.allowed.append((url, response.content_type))
        return response


@pytest.fixture
def spy(monkeypatch):
    """render_pdf uses SpyFetcher.for_app(app); returns a function giving the last one."""
    SpyFetcher.made = []
    monkeypatch.setattr(pdf, "StaticOnlyFetcher", SpyFetcher)
    return lambda: SpyFetcher.made[-1]


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that records every request it receives."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = b'p::after { content: "LEAKED FROM LISTENER" }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(origin=f"http://127.0.0.1:{server.server_port}", requests=seen)
    server.shutdown()
    server.server_close()


def read(pdf_bytes):
    return pypdf.PdfReader(io.BytesIO(pdf_bytes))


def text_of(pdf_bytes):
    return "\n".join(page.extract_text() for page in read(pdf_bytes).pages)


def squeeze(text):
    """Text without whitespace, so line breaks chosen by the layout do not matter."""
    return "".join(text.split())


def everything_in(pdf_bytes):
    """Every stream of the PDF, decompressed, as text: what a reader could dig out."""
    reader = read(pdf_bytes)
    chunks = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:
            continue
        if isinstance(obj, pypdf.generic.StreamObject):
            chunks.append(obj.get_data().decode("latin-1"))
    return "\n".join(chunks)


def embedded_files(pdf_bytes):
    """Embedded files, whether listed in the catalog (<link rel=attachment>) or
    hanging from a page annotation (<a rel=attachment>)."""
    reader = read(pdf_bytes)
    found = list(reader.attachments)
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                found.append(annotation.get_object().get("/FS"))
    return found


def attack_html(origin):
    """HTML as an attacker would write it if user text ever reached a template unescaped."""
    return f"""<!doctype html>
<html><head>
  <link rel="attachment" href="file:///etc/passwd" title="passwd">
  <link rel="attachment" href="{origin}/link-attachment">
  <link rel="stylesheet" href="{origin}/linked.css">
  <link rel="stylesheet" href="file:///etc/passwd">
  <style>
    @import url({origin}/y.css);
    @import url(file:///etc/passwd);
    @font-face {{ font-family: Leak; src: url({origin}/font.woff) }}
    body {{ background: url({origin}/background.png) }}
    h1 {{ font-family: Leak }}
  </style>
</head><body>
  <h1>Attack</h1>
  <p>text</p>
  <img src="{origin}/x">
  <img src="file:///etc/passwd">
  <img src="/static/../../../../etc/passwd">
  <object data="{origin}/object.png"></object>
  <embed src="{origin}/embed.png">
  <svg width="10" height="10"><image href="{origin}/svg-image.png" width="10" height="10"/></svg>
  <a rel="attachment" href="file:///etc/passwd">passwd</a>
  <a rel="attachment" href="{origin}/a-attachment">remote</a>
</body></html>"""


# --- text and fonts --------------------------------------------------------------------

def test_pdf_shows_latin_and_cjk_names_in_the_cjk_font(app, card):
    document = render_pdf(card, name="Jane O'Neil", city="臺北市")

    assert document.startswith(b"%PDF-")
    text = text_of(document)
    assert "Jane O'Neil" in text
    assert "臺北市" in text
    fonts = {str(font.get_object()["/BaseFont"])
             for font in read(document).pages[0]["/Resources"]["/Font"].values()}
    assert any("NotoSansCJK" in font.replace("-", "") for font in fonts), fonts


# --- no local files, no requests, no attachments ---------------------------------------

def test_user_text_with_markup_is_printed_as_text_and_fetches_nothing(app, card, spy, listener):
    notes = [
        f'<img src="{listener.origin}/x">',
        "file:///etc/passwd",
        '<link rel="attachment" href="file:///etc/passwd">',
        f"<style>@import url({listener.origin}/y.css); p {{ color: red }}</style>",
        '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
    ]

    document = render_pdf(card, name="</h1><style>body{display:none}</style>", city="臺北市", notes=notes)

    text = squeeze(text_of(document))
    for note in notes:
        assert squeeze(note) in text
    assert squeeze("</h1><style>body{display:none}</style>") in text
    # Escaped, the markup never became a resource: nothing was even asked for.
    assert spy().allowed == [] and spy().refused == []
    assert listener.requests == []
    assert embedded_files(document) == []
    assert SECRET not in everything_in(document)


def test_fetcher_refuses_files_and_addresses_and_requests_nothing(app, spy, listener):
    html_to_pdf("<p>warm-up</p>")  # builds the app's fetcher through the spy
    fetcher = spy()
    refused = [
        "file:///etc/passwd",
        f"{listener.origin}/x",
        f"{listener.origin}/static/css/app.css",  # a static path, but on another host
        "https://gosmart.test/static/css/app.css",  # another scheme than the site's
        "http://gosmart.test/config.py",
        "ftp://127.0.0.1/x",
        f"file://{Path(app.static_folder).resolve()}/css/app.css",  # even into static/
    ]
    for url in refused:
        with pytest.raises(ResourceRefused):
            fetcher.fetch(url)
    assert listener.requests == []


def test_attack_html_loads_nothing_and_embeds_nothing(app, listener, spy):
    html_to_pdf("<p>warm-up</p>")
    fetcher = spy()

    document = html_to_pdf(attack_html(listener.origin), url_fetcher=fetcher)

    assert "Attack" in text_of(document)
    assert listener.requests == []
    assert fetcher.allowed == []
    refused = " ".join(fetcher.refused)
    for path in ("/x", "/y.css", "/linked.css", "/font.woff", "/link-attachment", "/a-attachment"):
        assert f"{listener.origin}{path}" in refused
    assert "file:///etc/passwd" in refused
    assert embedded_files(document) == []
    assert SECRET not in everything_in(document)
    assert "LEAKED" not in text_of(document)


def test_weasyprints_default_fetcher_would_leak_which_is_why_it_is_replaced(app, listener):
    """The control: the same attack with WeasyPrint's own fetcher reaches the listener
    and embeds /etc/passwd, so the checks of the test above can fail."""
    default = URLFetcher()
    default.base_url = "http://gosmart.test/"

    document = html_to_pdf(attack_html(listener.origin), url_fetcher=default)

    assert "/x" in listener.requests and "/y.css" in listener.requests
    assert len(embedded_files(document)) >= 2
    assert SECRET in everything_in(document)


def test_even_the_urllib_layer_underneath_opens_only_data_uris(app, listener):
    fetcher = StaticOnlyFetcher.for_app(app)
    for url in ("file:///etc/passwd", f"{listener.origin}/x"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            URLFetcher.fetch(fetcher, url)
    assert listener.requests == []


# --- static files ----------------------------------------------------------------------

def test_app_stylesheet_under_static_is_fetched(app):
    fetcher = StaticOnlyFetcher.for_app(app)
    css = (Path(app.static_folder) / "css" / "app.css").read_bytes()

    for url in ("http://gosmart.test/static/css/app.css", "/static/css/app.css",
                "http://GOSMART.test/static/css/app.css?v=2#top"):
        response = fetcher.fetch(url)
        assert response.read() == css
        assert response.content_type == "text/css"


def test_static_stylesheet_linked_from_a_template_styles_the_pdf(app, tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "pdf.css").write_text('p.stamp::after { content: "STYLED BY STATIC CSS" }')
    fetcher = StaticOnlyFetcher(tmp_path, "http://gosmart.test")

    document = html_to_pdf('<link rel="stylesheet" href="/static/css/pdf.css"><p class="stamp">',
                           url_fetcher=fetcher)

    assert "STYLED BY STATIC CSS" in text_of(document)


@pytest.mark.parametrize("url", [
    "/static/../config.py",
    "http://gosmart.test/static/../config.py",
    "http://gosmart.test/static/css/../../config.py",
    "http://gosmart.test/static/%2e%2e/config.py",
    "http://gosmart.test/static/..%2fconfig.py",
    "http://gosmart.test/static//etc/passwd",
    "http://gosmart.test/static/%2fetc%2fpasswd",
    "http://gosmart.test/static/css/missing.css",
    "http://gosmart.test/static/css",  # a folder
])
def test_paths_out_of_static_or_not_files_are_refused(app, url):
    with pytest.raises(ResourceRefused):
        StaticOnlyFetcher.for_app(app).fetch(url)


def test_symlink_in_static_leading_out_is_refused(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "leak.css").symlink_to(PASSWD)

    with pytest.raises(ResourceRefused):
        StaticOnlyFetcher(static, "http://gosmart.test").fetch("http://gosmart.test/static/leak.css")


# --- QR codes --------------------------------------------------------------------------

def test_qr_code_is_an_svg_data_uri_of_a_full_size_qr(app):
    uri = qr_svg_data_uri("GS-1")  # short text, where segno would pick a Micro QR

    assert uri.startswith("data:image/svg+xml")
    svg = unquote(uri.split(",", 1)[1])
    width = int(re.search(r"width=.(\d+)", svg).group(1))
    assert width >= (21 + 2 * 4) * 4  # a version 1 QR (21 modules) with its quiet zone, scale 4


def test_qr_code_is_drawn_into_the_pdf(app, card, spy, caplog):
    without = render_pdf(card, name="Taipei City", city="臺北市")
    document = render_pdf(card, name="Taipei City", city="臺北市",
                          qr=qr_svg_data_uri("http://gosmart.test/verify/GS-2019-0001"))

    assert [content_type for _, content_type in spy().allowed] == ["image/svg+xml"]
    assert spy().refused == []
    assert not [r for r in caplog.records if r.name == "weasyprint" and r.levelname == "ERROR"]
    drawn = len(read(document).pages[0].get_contents().get_data())
    assert drawn > len(read(without).pages[0].get_contents().get_data()) + 1000


def test_data_uris_of_any_kind_are_allowed(app):
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    uri = "data:image/png;base64," + base64.b64encode(png).decode()

    response = StaticOnlyFetcher.for_app(app).fetch(uri)

    assert response.read() == png
    assert response.content_type == "image/png"


# --- the time limit --------------------------------------------------------------------

@pytest.fixture
def limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_RENDER_TIMEOUT", 0.05)


def test_slow_render_is_stopped_at_the_limit(app, card, limit, monkeypatch):
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda self, *a, **k: time.sleep(30))
    handler = signal.getsignal(signal.SIGALRM)

    with pytest.raises(PdfRenderTimeout):
        render_pdf(card, name="Slow", city="臺北市")

    assert signal.getsignal(signal.SIGALRM) is handler  # put back as it was
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_limit_interrupts_code_that_catches_exception(app, card, limit, monkeypatch):
    ran_in, finished = [], []

    def stubborn(self, *args, **kwargs):  # as WeasyPrint does around images and fonts
        ran_in.append(threading.current_thread())
        for _ in range(300):
            try:
                time.sleep(0.01)
            except Exception:
                pass
        finished.append(True)
        return b"%PDF-late"

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", stubborn)

    with pytest.raises(PdfRenderTimeout):
        render_pdf(card, name="Slow", city="臺北市")
    # In the main thread (a sync worker) the render itself is stopped, not left running.
    assert ran_in == [threading.main_thread()]
    assert finished == []


def test_render_that_swallows_the_alarm_still_times_out(app, card, limit, monkeypatch):
    def swallowing(self, *args, **kwargs):  # as WeasyPrint does around SVG drawing
        try:
            time.sleep(30)
        except BaseException:
            pass
        return b"%PDF-late"

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", swallowing)

    with pytest.raises(PdfRenderTimeout):
        render_pdf(card, name="Slow", city="臺北市")


def test_slow_render_outside_the_main_thread_times_out_too(app, card, limit, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda self, *a, **k: release.wait(30))
    outcome = {}

    def request_thread():  # as in a threaded server, where signals cannot be used
        with app.app_context():
            try:
                outcome["pdf"] = render_pdf(card, name="Slow", city="臺北市")
            except PdfRenderTimeout as error:
                outcome["error"] = error

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join(30)
    release.set()
    assert isinstance(outcome.get("error"), PdfRenderTimeout)


def test_render_outside_the_main_thread_returns_the_pdf(app, card):
    outcome = {}

    def request_thread():
        with app.app_context():
            outcome["pdf"] = render_pdf(card, name="Jane Doe", city="臺北市")

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join(60)
    assert "臺北市" in text_of(outcome["pdf"])
