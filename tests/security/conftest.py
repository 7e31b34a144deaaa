"""Fixtures of the security suite: the world (every role, every kind of object)."""
import pytest

from gosmart import pdf

from .world import PDF, World, WorldTemplate, stored_files

_templates = {}


@pytest.fixture
def world(app, request):
    """The world of world.py, built through the services the first time and put back
    as it was built for every later test. Use world.users, not the `users` fixture."""
    template = _templates.get(id(app))
    if template is None:
        before = stored_files(app)
        built = World(app, request.getfixturevalue("users"), request.getfixturevalue("make_user"),
                      request.getfixturevalue("organization"))
        built.template = _templates[id(app)] = WorldTemplate(app, built, before)
        return built
    world = template.restore()
    world.template = template
    return world


class _InstantPdf:
    def __init__(self, *args, **kwargs):
        pass

    def write_pdf(self, *args, **kwargs):
        return PDF


@pytest.fixture
def fast_pdfs(monkeypatch):
    """PDFs made instantly (a fixed small PDF), for tests about who gets what rather than
    what a PDF holds (test_pdf_ssrf.py renders them for real)."""
    monkeypatch.setattr(pdf, "HTML", _InstantPdf)
