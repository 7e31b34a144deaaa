"""Emails a member can make the application send to an address they type are limited per
recipient and per sender (gosmart/mail_limits.py). Registering and cancelling one delegate in a
loop once sent 20 official emails, each with a PDF, to any address in 3.6 seconds.

Over a limit, an action whose point is the email (a registration, an invitation, a new ticket,
a new confirmation link) is refused clearly, with nothing written and what was typed kept; a
cancellation happens all the same, and the user is told its email was not sent."""
import os
import uuid

import pytest
from sqlalchemy import func, select

from config import TestingConfig
from gosmart import create_app, mail_limits
from gosmart.assemblies.models import Registration
from gosmart.auth.models import Role, User
from gosmart.extensions import db
from gosmart.members.models import Application

from ..test_authentication import other_apps  # noqa: F401 - the fixture

VICTIM = "victim@example.org"
REDIS_URI = os.environ.get("GOSMART_TEST_EMAIL_LIMITS_REDIS_URL", "redis://127.0.0.1:6379/4")


def sent_to(outbox, address):
    return [m for m in outbox if address in m.recipients]


def register(client, assembly, email, name="Eve Delegate"):
    return client.post(f"/assemblies/{assembly.id}", data={"name": name, "email": email, "role": "delegate"})


def registration_of(assembly, email):
    return db.session.scalar(select(Registration).where(Registration.assembly_id == assembly.id,
                                                        Registration.email == email, Registration.state != "cancelled"))


def test_a_register_and_cancel_loop_sends_no_more_than_the_recipients_limit(world, outbox, fast_pdfs):
    rep, assembly = world.client("rep_a"), world.other_assembly
    refused = None
    for _attempt in range(10):
        response = register(rep, assembly, VICTIM)
        if response.status_code != 303:
            refused = response
            break
        registration, before = registration_of(assembly, VICTIM), len(sent_to(outbox, VICTIM))
        cancel = rep.post(f"/assemblies/{assembly.id}/registrations/{registration.id}/cancel", data={})
        assert db.session.get(Registration, registration.id).state == "cancelled"  # it always happens
        page = rep.get(cancel.headers["Location"]).get_data(as_text=True)
        emailed = len(sent_to(outbox, VICTIM)) > before
        assert emailed != (f"No email was sent to {VICTIM}" in page)  # not sent: the user is told
    assert refused is not None and refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f"Too many emails have been sent to {VICTIM} recently, so nothing was done." in page
    assert 'value="Eve Delegate"' in page  # what was typed is kept
    assert registration_of(assembly, VICTIM) is None
    assert len(sent_to(outbox, VICTIM)) == 5  # EMAIL_RECIPIENT_LIMIT: 5 per hour


def test_an_organization_spraying_addresses_is_stopped_by_its_own_limit(app, world, outbox, monkeypatch, fast_pdfs):
    monkeypatch.setitem(app.config, "EMAIL_SENDER_LIMIT", "3 per hour")
    world.other_assembly.delegate_quota = 10
    db.session.commit()
    rep = world.client("rep_a")
    answers = [register(rep, world.other_assembly, f"person{i}@example.org").status_code for i in range(4)]
    assert answers == [303, 303, 303, 422]
    assert "Too many emails have been sent on your behalf recently" in register(
        rep, world.other_assembly, "person9@example.org").get_data(as_text=True)
    # Another organization is not held by this one's count.
    assert register(world.client("rep_b"), world.other_assembly, "b-person@example.org").status_code == 303


def test_reissuing_a_ticket_again_and_again_is_refused_clearly(app, world, outbox, monkeypatch, fast_pdfs):
    monkeypatch.setitem(app.config, "EMAIL_RECIPIENT_LIMIT", "2 per hour")
    rep, registration = world.client("rep_a"), world.registrations["a"]
    url = f"/assemblies/{world.assembly.id}/registrations/{registration.id}/reissue"
    tokens = []
    for _ in range(3):
        rep.post(url, data={})
        tokens.append(db.session.get(Registration, registration.id).checkin_token)
    page = rep.get(f"/assemblies/{world.assembly.id}").get_data(as_text=True)
    assert "Too many emails have been sent to a@taipei.example recently" in page
    assert tokens[1] != tokens[0] and tokens[2] == tokens[1]  # the third changed nothing
    assert len(sent_to(outbox, "a@taipei.example")) == 2


def test_inviting_representatives_counts_every_attempt(app, world, outbox, monkeypatch):
    """Even an invitation refused because the address has an account counts: the answer tells
    about accounts, so a member may not ask it without end."""
    monkeypatch.setitem(app.config, "EMAIL_SENDER_LIMIT", "2 per hour")
    rep = world.client("rep_a")
    rep.post("/my-organization/representatives", data={"name": "B", "email": world.users["rep_b"].email})
    rep.post("/my-organization/representatives", data={"name": "C", "email": "colleague@taipei.example"})
    third = rep.post("/my-organization/representatives", data={"name": "D", "email": "another@taipei.example"})
    page = rep.get(third.headers["Location"]).get_data(as_text=True)
    assert "Too many emails have been sent on your behalf recently" in page
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "another@taipei.example")) == 0


def test_a_new_confirmation_link_again_and_again_is_refused_clearly(world, outbox):
    """An account made with someone else's address (it is not confirmed) cannot be used to flood it."""
    applicant = world.users["applicant"]
    client = world.client("applicant")
    for _ in range(7):
        client.post("/confirm-email/resend", data={})
    assert len(sent_to(outbox, applicant.email)) == 5
    page = client.get("/my-applications").get_data(as_text=True)
    assert f"Too many emails have been sent to {applicant.email} recently" in page


def test_the_secretariat_is_not_counted(world, outbox, fast_pdfs):
    staff, registration = world.client("secretariat"), world.registrations["a"]
    url = f"/assemblies/{world.assembly.id}/registrations/{registration.id}/reissue"
    for _ in range(7):
        assert staff.post(url, data={}).status_code == 303
    assert len(sent_to(outbox, "a@taipei.example")) == 7


def test_with_redis_every_process_shares_the_counts(other_apps):  # noqa: F811
    """Two application instances, each with its own connection to one Redis (as two workers or two
    hosts): what one counted, the other sees."""
    redis = pytest.importorskip("redis").Redis.from_url(REDIS_URI, socket_connect_timeout=1)
    try:
        redis.ping()
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {REDIS_URI} ({error})")

    class Shared(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        RATELIMIT_STORAGE_URI = REDIS_URI
        EMAIL_RECIPIENT_LIMIT = "3 per hour"

    address = f"shared-{uuid.uuid4().hex}@example.org"
    sender = User(id=424242, email="someone@example.org", role=Role.HONORARY)
    keys_before = set(redis.keys("*"))
    try:
        first = other_apps(Shared)
        with first.app_context():
            assert [mail_limits.allow_email(address, sender) for _ in range(2)] == [True, True]
        second = other_apps(Shared)
        with second.app_context():
            assert [mail_limits.allow_email(address, sender) for _ in range(2)] == [True, False]
        assert set(redis.keys("*")) - keys_before, "the counts are kept in Redis"
        assert not [k for k in redis.keys("*") if address.encode() in k], "no address in a key"
    finally:
        for key in set(redis.keys("*")) - keys_before:
            redis.delete(key)


def test_without_the_shared_storage_the_counts_go_on_in_the_process(app, world, monkeypatch):
    """Redis down: every limit still holds, counted by each process on its own meanwhile."""
    class Down:
        def __getattr__(self, name):
            raise ConnectionError("Redis is down")
    monkeypatch.setattr(type(mail_limits.limiter), "storage", property(lambda self: Down()))
    monkeypatch.setitem(app.config, "EMAIL_RECIPIENT_LIMIT", "2 per hour")
    address = f"down-{uuid.uuid4().hex}@example.org"
    sender = world.users["honorary"]
    assert [mail_limits.allow_email(address, sender) for _ in range(3)] == [True, True, False]


def test_drafting_and_withdrawing_in_a_loop_floods_no_one(app, world, outbox, monkeypatch):
    """An account made with someone else's address (not confirmed) could draft and withdraw
    again and again, each withdrawal emailing the address: withdrawing still works, the emails stop."""
    monkeypatch.setitem(app.config, "EMAIL_RECIPIENT_LIMIT", "2 per hour")
    applicant = world.users["applicant"]
    client = world.client("applicant")
    for _ in range(3):
        client.post("/apply/city", data={"name": "Nowhere", "country": "TW"})
        latest = db.session.scalar(select(func.max(Application.id)).where(Application.applicant_id == applicant.id))
        response = client.post(f"/applications/{latest}/withdraw", data={})
        assert db.session.get(Application, latest).state == "withdrawn"
    assert "No email was sent about it" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(sent_to(outbox, applicant.email)) == 2
