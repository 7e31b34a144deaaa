"""Full page or fragment: one decision for every htmx route."""
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template
from jinja2_fragments.flask import render_block

from .extensions import htmx
from .headers import url_header


def wants_fragment():
    """A fragment only for a plain htmx request; boosted and history-restore
    requests replace the whole page, so they get the whole page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template, block=None, status=200, **context):
    """Render `template`, or only its `block` when the request wants a fragment.

    Block names match the id of the element they fill (the hx-target)."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(location, status=303):
    """After a successful POST: a 303 for plain forms, HX-Redirect for htmx.

    An HX-Redirect to the very page the request came from plus a #fragment would only scroll
    (a browser does not load a page again for a fragment): there it goes without the fragment.
    The location may hold anything a user typed (a `next`): it goes out percent-encoded."""
    location = url_header(location)
    if htmx and not htmx.boosted:
        target, current = urlsplit(location), urlsplit(htmx.current_url or "")
        if target.fragment and (target.path, target.query) == (current.path, current.query):
            location = target._replace(fragment="").geturl()
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, status)


def same_page(target, page):
    """`target` — the path and query a form sent back, e.g. of a filtered list — if it is on the
    path `page`, else None: an action on a row returns to the list as the user left it (filters
    and search typed in), and leads nowhere else."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != page or "\\" in target:
        return None
    return target


def full_page_load(location):
    """For a boosted request of a page whose own script must run (htmx swaps a boosted page in
    without running its scripts): the browser is told to load the page itself. None otherwise."""
    if htmx and htmx.boosted:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_header(location)
        return response
    return None
