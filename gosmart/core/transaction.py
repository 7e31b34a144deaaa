"""One transaction per request, and one per task: the boundary commits, nothing below it does.

A view that answers below 400 (a page, a 303 after a successful form, a download) has its
changes committed once, after it returned; a view that raised, or answered 400 or above (a
refused form, a 404, a 429), has them rolled back. Services change and flush; they never commit.
Emails (gosmart/mail.py) and file moves (gosmart/uploads.py) wait for that commit.

Work that must be committed on its own, whatever the request does next — a counter that must
not stay locked while a PDF renders, a chunk of a bulk job — says so with `own_transaction()`.
"""
from contextlib import contextmanager
from functools import wraps

from flask import Flask

from ..extensions import db


class App(Flask):
    """Flask, with the request's transaction ended right after its view: inside the dispatch, so
    that a commit that fails (the database gone) is handled like any error of the view (the 503
    page of gosmart/outage.py), not as a bare 500. Error handlers roll back."""

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        if response.status_code < 400:
            if response.is_streamed:  # its body (a CSV, a file) is read later: keep what it reads loaded
                db.session().expire_on_commit = False
            db.session.commit()
        else:
            db.session.rollback()
        return response


def finish(succeeded=True):
    """End the current unit of work (a task, a CLI command): commit it, or roll it back."""
    if succeeded:
        db.session.commit()
    else:
        db.session.rollback()


def unit_of_work(function):
    """A task or command body as one transaction: committed when it returns, rolled back when it raises."""
    @wraps(function)
    def run(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result
    return run


@contextmanager
def own_transaction():
    """Commit what the block did now, on its own (and anything pending before it): for a counter
    that must not stay locked for the rest of the request, or one chunk of a bulk job. Rolled
    back if the block raises."""
    try:
        yield db.session
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
