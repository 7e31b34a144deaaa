"""What a page must never contain when users' text is in it: script that runs, event
handler attributes, javascript: links, htmx attributes that came from data, or template
syntax that was evaluated."""
import html
import re
from html.parser import HTMLParser

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    '<a hx-get="/logout" hx-trigger="load">x</a>',
    "{{7*7}}",
)
MARKER = re.compile(r"Zq(\d+)q")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite"}


def combined(n):
    """Every payload in one string, after a marker that says which field it went into."""
    return f"Zq{n}q{{{{7*7}}}}" + "".join(PAYLOADS[:2]) + PAYLOADS[3] + " [x](javascript:alert(1)) " + PAYLOADS[2]


def single(n, payload):
    return f"Zq{n}q{payload}"


def tries(n, field):
    """The values to try in a field, most hostile first: all the payloads at once, then
    (for a field too short for them, or a hidden one) each that fits, one by one."""
    if field.kind == "email":
        return [combined(n), f"Zq{n}q<script>@example.org"]
    if field.kind == "url":
        return [combined(n), "javascript:alert(1)", f'https://example.org/Zq{n}q"><script>alert(1)</script>']
    if field.kind == "tel":
        return [combined(n)]
    if field.kind == "hidden":
        return [combined(n), single(n, PAYLOADS[0])]
    if field.maxlength is None or field.maxlength >= len(combined(n)):
        return [combined(n)]
    return [combined(n)] + [single(n, p) for p in PAYLOADS if len(single(n, p)) <= field.maxlength]


def unsafe_location(location):
    """A redirect to a script URL or another site (an open redirect)."""
    plain = re.sub(r"[\x00-\x20]", "", location or "").lower()
    return plain.startswith(("javascript:", "data:", "vbscript:", "//", "\\\\", "/\\")) or (
        "://" in plain.split("?")[0] and not plain.startswith(("http://localhost/", "https://localhost/")))


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.texts = [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            value = value or ""
            self.texts.append(value)
            plain = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>: an event handler attribute")
            if (name in URL_ATTRIBUTES or name.startswith(("hx-", "data-hx-"))) and plain.startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>: a script URL")
            if name in ("hx-get", "data-hx-get", "hx-post", "data-hx-post") and plain.startswith("/logout"):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>: an htmx request from data")
            if name in ("hx-trigger", "data-hx-trigger") and "load" in plain:
                self.problems.append(f"<{tag} {name}={value[:60]!r}>: an htmx trigger from data")
        if tag == "img" and values.get("src") == "x":
            self.problems.append("<img src=x>: markup from data")
        if tag == "script":
            self._script = values
            if "src" not in values and values.get("type") not in ("application/json", "application/ld+json"):
                self.problems.append("an inline <script>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None and "alert(" in data:
            self.problems.append("a script with data in it")
        self.texts.append(data)


def inspect(page):
    """(problems, markers shown as text) of an HTML page."""
    if "Zq" not in page and "alert" not in page:  # nothing of the hostile text here
        return [], set()
    inspector = _Inspector()
    inspector.feed(page)
    inspector.close()
    text = "\n".join(inspector.texts)
    problems = list(inspector.problems)
    for match in MARKER.finditer(text):
        if text[match.end():match.end() + 2] == "49":
            problems.append(f"{match.group(0)}49: template syntax from data was evaluated")
    return problems, {int(m.group(1)) for m in MARKER.finditer(text)}
