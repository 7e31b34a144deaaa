"""The safe PDF renderer: a Jinja template, then WeasyPrint, with nothing fetched
but data: URIs and the app's own static files, and a time limit on each render.

WeasyPrint's default URL fetcher reads file:// paths, requests http(s):// addresses
and embeds <link rel="attachment"> / <a rel="attachment"> targets into the PDF, so
HTML that may carry user text must never reach it. Every resource WeasyPrint loads
(images, stylesheets, @import, fonts, SVG references, attachments) goes through the
fetcher given here.
"""
import base64
import hashlib
import io
import mimetypes
import os
import signal
import threading
import time
from urllib.parse import unquote, urlsplit

import segno
import weasyprint
from flask import current_app, has_request_context, render_template
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from PIL import Image
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.exceptions import TooManyRequests
from werkzeug.security import safe_join

from .extensions import limiter


class ResourceRefused(ValueError):
    """A URL the PDF may not load. WeasyPrint logs it and skips the resource."""


class PdfRenderTimeout(RuntimeError):
    """The render took longer than PDF_RENDER_TIMEOUT seconds."""


def render_pdf(template_name, **context):
    """Render an (autoescaped) template of the app to PDF bytes."""
    return html_to_pdf(render_template(template_name, **context))


# --- Generated PDFs kept by their content's version -------------------------------------------
# A PDF made on demand (the minutes, an e-ticket, a badge sheet) is kept in this process's memory
# under the SHA-256 of the HTML it is made from (and WeasyPrint's version): the same content is
# rendered once, however often it is asked for; a new revision, another language, a changed
# template give another HTML, hence a new render. The HTML takes milliseconds to make, the PDF
# a tenth of a second or more. Each process keeps its own copies (PDF_CACHE_BYTES at most,
# the least recently used going first): with several hosts each renders a version once at
# most, and nothing here is anything another process needs. What is not in the cache costs a
# render, which PDF_RENDER_RATE_LIMIT limits per user (per address for visitors).

_kept = {}  # digest -> PDF bytes, oldest use first (dicts keep their order)
_fallback_limits = MovingWindowRateLimiter(MemoryStorage())  # while the shared storage is down


def cached_pdf(template_name, *, limit_renders=False, **context):
    """The PDF of the template, from this process's cache when the same HTML was rendered before;
    otherwise rendered and kept. `limit_renders`: a render is counted against the requester's
    PDF_RENDER_RATE_LIMIT (429 when spent) — for a download a user asks for, not for the
    attachment of an email (whose sending has limits of its own)."""
    html = render_template(template_name, **context)
    digest = hashlib.sha256(f"{weasyprint.__version__}\0{html}".encode()).hexdigest()
    pdf = _kept.pop(digest, None)
    if pdf is None:
        if limit_renders:
            _count_render()
        pdf = html_to_pdf(html)
    _kept[digest] = pdf  # (re)inserted last: the most recently used
    _evict(current_app.config.get("PDF_CACHE_BYTES", 32 * 1024 * 1024))
    return pdf


def forget_cached_pdfs():
    _kept.clear()


def _evict(limit):
    total = sum(len(pdf) for pdf in list(_kept.values()))
    while total > limit and _kept:
        try:
            oldest = next(iter(_kept))
            total -= len(_kept.pop(oldest))
        except (StopIteration, KeyError, RuntimeError):  # another thread took it first
            break


def _count_render():
    """One render for the current user (or address): 429 once PDF_RENDER_RATE_LIMIT is spent."""
    setting = current_app.config.get("PDF_RENDER_RATE_LIMIT")
    if not setting or not has_request_context():
        return
    who = f"user:{current_user.id}" if current_user.is_authenticated else f"address:{get_remote_address()}"
    try:
        _spend(MovingWindowRateLimiter(limiter.storage), setting, who)
    except TooManyRequests:
        raise
    except Exception:  # the shared storage (Redis) is down: this process counts alone meanwhile
        current_app.logger.warning("PDF render limit: storage unreachable, counting in this process", exc_info=True)
        _spend(_fallback_limits, setting, who)


def _spend(strategy, setting, who):
    for limit in parse_many(setting):
        if not strategy.hit(limit, "gosmart-pdf-render", who):
            reset = strategy.get_window_stats(limit, "gosmart-pdf-render", who).reset_time
            raise TooManyRequests(retry_after=max(1, int(reset - time.time())))


def html_to_pdf(html, url_fetcher=None, timeout=None, stylesheets=None, font_config=None):
    """PDF bytes of trusted HTML, with the static-only fetcher and the time limit.

    Documents made in a series (pages of one sheet) share `stylesheets` (CSS objects made by
    `stylesheet()`) and `font_config`, so that fonts are looked up and CSS parsed once.
    Needs an app context (for the defaults); the render itself does not."""
    app = current_app._get_current_object()
    fetcher = url_fetcher or StaticOnlyFetcher.for_app(app)
    if timeout is None:
        timeout = app.config.get("PDF_RENDER_TIMEOUT", 20)
    document = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher)
    return _within(timeout, lambda: document.write_pdf(stylesheets=stylesheets, font_config=font_config))


def stylesheet(css, font_config=None):
    """A parsed stylesheet of trusted CSS for `html_to_pdf`, loading only what the fetcher allows."""
    fetcher = StaticOnlyFetcher.for_app(current_app._get_current_object())
    return CSS(string=css, base_url=fetcher.base_url, url_fetcher=fetcher, font_config=font_config)


def qr_svg_data_uri(text, scale=4):
    """A QR code of `text` as an SVG data: URI, for <img src="{{ qr }}"> in PDFs."""
    # micro=False: segno picks a Micro QR for short text, which most phones cannot read.
    return segno.make(text, micro=False).svg_data_uri(scale=scale)


_GREYS = bytes([255, 0]) + bytes(254)  # a module's value (0 light, 1 dark) to its grey


def qr_png_data_uri(text, mask=None):
    """A QR code of `text` as a PNG of one pixel per module (with its quiet zone of four), for an
    <img> drawn with `image-rendering: pixelated`: one small image instead of a vector drawing,
    for sheets of hundreds of codes. Pillow writes the PNG. `mask` fixes the mask pattern, which
    spares segno trying all eight (two thirds of its time); any mask decodes."""
    matrix = segno.make(text, micro=False, mask=mask).matrix  # rows of 0 (light) and 1 (dark)
    size = len(matrix)
    code = Image.frombytes("L", (size, size), b"".join(bytes(row).translate(_GREYS) for row in matrix))
    image = Image.new("1", (size + 8, size + 8), 1)
    image.paste(code.convert("1"), (4, 4))  # the quiet zone of four modules around it
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class StaticOnlyFetcher(URLFetcher):
    """Lets WeasyPrint load data: URIs and files under the static folder, nothing else.

    Static files are addressed as the site serves them: /static/css/x.css, which
    WeasyPrint resolves against `base_url` (EXTERNAL_BASE_URL) before asking.
    They are read from disk; no request leaves the process."""

    def __init__(self, static_folder, site_url, static_path="/static"):
        # Only data: reaches urllib, so even a slip below cannot open a file or a socket.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.static_folder = os.path.realpath(static_folder)
        self.base_url = site_url.rstrip("/") + "/"  # also makes relative links in PDFs absolute
        site = urlsplit(self.base_url)
        self._site = (site.scheme.lower(), site.netloc.lower())
        self._static_prefix = static_path.rstrip("/") + "/"

    @classmethod
    def for_app(cls, app):
        return cls(app.static_folder, app.config["EXTERNAL_BASE_URL"], app.static_url_path)

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = self.static_file(url)
        with open(path, "rb") as file:
            body = file.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def static_file(self, url):
        """The real path of the static file `url` names, or ResourceRefused."""
        parts = urlsplit(url)
        on_site = (parts.scheme.lower(), parts.netloc.lower()) in {self._site, ("", "")}
        if not on_site or not parts.path.startswith(self._static_prefix):
            raise ResourceRefused(f"not a data: URI or a static file: {url[:200]}")
        name = unquote(parts.path[len(self._static_prefix):])
        joined = safe_join(self.static_folder, name)  # None for "..", absolute paths
        path = os.path.realpath(joined) if joined else None
        # realpath and commonpath: a symlink inside static/ may not lead out of it.
        if (path is None or not os.path.isfile(path)
                or os.path.commonpath([path, self.static_folder]) != self.static_folder):
            raise ResourceRefused(f"no such static file: {url[:200]}")
        return path


# The time limit. In the main thread (gunicorn sync workers, the CLI) a SIGALRM
# timer interrupts WeasyPrint itself, so a runaway render stops using the CPU.
# Signals only reach the main thread, so elsewhere (threaded servers, gthread
# workers) the render runs in a daemon thread and the caller stops waiting at the
# limit; that render finishes in the background and its result is dropped.

class _Alarm(BaseException):
    """BaseException, so WeasyPrint's `except Exception` blocks let it through."""


def _within(seconds, work):
    if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)):  # no one else's timer
        return _within_alarm(seconds, work)
    return _within_thread(seconds, work)


def _within_alarm(seconds, work):
    expired = False

    def on_alarm(signum, frame):
        nonlocal expired
        expired = True
        raise _Alarm

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)  # one shot: on_alarm runs at most once
        try:
            result = work()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Alarm:
        raise PdfRenderTimeout(f"PDF render exceeded {seconds} s") from None
    finally:
        signal.signal(signal.SIGALRM, previous)
    if expired:  # the alarm went off where WeasyPrint swallows everything (SVG drawing)
        raise PdfRenderTimeout(f"PDF render exceeded {seconds} s")
    return result


def _within_thread(seconds, work):
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="pdf-render", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise PdfRenderTimeout(f"PDF render exceeded {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
