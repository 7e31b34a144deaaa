"""Shared fixtures and helpers of the minutes tests (test_minutes*.py import them)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.minutes import services
from gosmart.minutes.models import MinutesRevision

from . import concurrency

HELD_ON = date(2019, 3, 27)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def revision_count(minutes):
    return count(MinutesRevision, MinutesRevision.minutes_id == minutes.id)


@pytest.fixture
def secretariat(users):
    return users[Role.SECRETARIAT]


@pytest.fixture
def taipei(users):
    return users[Role.REPRESENTATIVE].organization


@pytest.fixture
def committee(secretariat, taipei):
    committee = services.create_committee(
        {"name": "Strategy Committee", "code": "SC", "description": "Sets the strategy.",
         "chair_organization_id": taipei.id, "term_start": date(2019, 3, 27), "term_end": date(2021, 3, 26)},
        secretariat)
    services.add_member(committee, secretariat, person_name="Dr. Ada Lin")
    return committee


@pytest.fixture
def draft(committee, secretariat):
    return services.create_minutes(committee, HELD_ON, "Taipei City Hall", secretariat)


def content_data(minutes, items=(("Election of the chair", "Taipei City is proposed."),), resolutions=(),
                 action_items=(), guests="", place="Taipei City Hall", held_on=HELD_ON, attendance=None):
    """Form-like data for services.save()."""
    return {
        "held_on": held_on, "place": place, "guests": guests,
        "attendance": attendance if attendance is not None else [
            {"member": row["member"], "status": row["status"]} for row in services.attendance_rows(minutes)],
        "items": [{"title": t, "discussion": d} for t, d in items],
        "resolutions": [{"number": n, "text": t} for n, t in
                        ((r if isinstance(r, tuple) else (None, r)) for r in resolutions)],
        "action_items": [{"description": d, "owner": o, "due_on": due, "status": s} for d, o, due, s in action_items],
    }


def save(minutes, actor, **kwargs):
    based_on = kwargs.pop("based_on", minutes.current_revision)
    return services.save(minutes, content_data(minutes, **kwargs), based_on, actor)


def form_post(minutes, based_on=None, items=(("Election of the chair", "Taipei City is proposed."),),
              resolutions=(), action_items=(), place="Taipei City Hall", held_on="2019-03-27", guests="",
              statuses=None):
    """The edit form as a browser posts it (without the CSRF token)."""
    data = {"based_on": str(minutes.current_revision if based_on is None else based_on),
            "held_on": held_on, "place": place, "guests": guests}
    for i, row in enumerate(services.attendance_rows(minutes)):
        data[f"attendance-{i}-member"] = str(row["member"])
        data[f"attendance-{i}-status"] = (statuses or {}).get(row["name"], row["status"])
    for i, (title, discussion) in enumerate(list(items) + [("", "")]):
        data[f"items-{i}-title"], data[f"items-{i}-discussion"] = title, discussion
    for i, resolution in enumerate(list(resolutions) + [""]):
        number, text = resolution if isinstance(resolution, tuple) else ("", resolution)
        data[f"resolutions-{i}-number"], data[f"resolutions-{i}-text"] = number or "", text
    for i, (description, owner, due, status) in enumerate(list(action_items) + [("", "", "", "open")]):
        data.update({f"action_items-{i}-description": description, f"action_items-{i}-owner": owner,
                     f"action_items-{i}-due_on": due, f"action_items-{i}-status": status})
    return data


def signed_in(make_client, user):
    client = make_client()
    client.login(user.email)
    return client


def in_threads(app, n, work):
    """The race helper, with the minutes' own refusals among the results."""
    return concurrency.in_threads(app, n, work, errors=(services.MinutesError,))


def needs_postgres(is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run with TEST_DATABASE_URL=postgresql+psycopg://… (SQLite serializes "
                    "every write, so it cannot show a race)")
