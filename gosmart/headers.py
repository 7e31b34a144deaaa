"""Response headers built from data: always something a WSGI server can send.

A header value travels as ISO-8859-1 (PEP 3333): gunicorn answers a bare 500, without our
error page, request id or session cookie, for a value it cannot encode — a `next=/%E3%80%82`
decoded to "/。" and put into Location or HX-Redirect did exactly that. So a URL goes into a
header percent-encoded (UTF-8, as browsers do), a download's name as RFC 6266's ASCII
`filename` plus the UTF-8 `filename*`, and a last check on every response encodes whatever
another path let through."""
import unicodedata
from urllib.parse import quote, urlsplit

from werkzeug.urls import iri_to_uri

# Headers whose value is a URL the browser (or htmx) follows.
URL_HEADERS = ("Location", "HX-Redirect", "HX-Location", "HX-Push-Url", "HX-Replace-Url", "Content-Location")


def url_header(location):
    """`location` as a header carries it: only printable ASCII, the rest percent-encoded as UTF-8
    ("/。" is "/%E3%80%82"); an address already encoded stays as it is."""
    return _printable_ascii(iri_to_uri(location))


def local_path(target):
    """`target` if it is a path on this site, else None: never another host (open redirect),
    never a control character (which browsers drop, and headers refuse)."""
    if not target or any(unicodedata.category(c) == "Cc" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def attachment(filename):
    """A Content-Disposition for a download named `filename`, in any script: an ASCII fallback
    and, when the name needs it, the exact name as RFC 5987 UTF-8."""
    name = "".join(c for c in unicodedata.normalize("NFC", filename) if unicodedata.category(c)[0] != "C")
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = " ".join("".join(c if c not in '"\\%' else "_" for c in ascii_only).split())
    stem, dot, extension = fallback.rpartition(".")
    if not (stem if dot else fallback).strip(" ._-"):  # nothing left of the name but its extension
        fallback = "download" + (dot + extension if dot else "")
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def make_sendable(response):
    """The last check (an after_request hook): every header value a WSGI server can encode.
    A URL header is percent-encoded; any other value with characters outside ISO-8859-1 has
    those percent-encoded (rather than the whole response lost)."""
    items = list(response.headers.items())
    sendable = [(name, _sendable(name, value)) for name, value in items]
    if sendable != items:
        response.headers.clear()
        for name, value in sendable:
            response.headers.add(name, value)
    return response


def _sendable(name, value):
    if name in URL_HEADERS and not _is_printable_ascii(value):
        return url_header(value)
    if not _is_latin1(value):
        return _printable_ascii(value)
    return value


def _is_printable_ascii(value):
    return all(" " <= c < "\x7f" for c in value)


def _is_latin1(value):
    return all(c == "\t" or " " <= c < "\x7f" or "\xa0" <= c <= "\xff" for c in value)


def _printable_ascii(value):
    return "".join(c if " " <= c < "\x7f" else quote(c, safe="") for c in value)
