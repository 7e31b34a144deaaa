"""Full page or fragment: one decision for every htmx route."""
from flask import make_response, redirect, render_template
from jinja2_fragments.flask import render_block

from .extensions import htmx


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
    """After a successful POST: a 303 for plain forms, HX-Redirect for htmx."""
    if htmx and not htmx.boosted:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, status)
