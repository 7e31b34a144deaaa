"""Trusted headers: a request id chosen by a client is never taken as ours (only a trusted
proxy's, in a safe format, kept as a prefix of an id of our own), two requests never share
an id, and an address that is not an address is not stored in the audit log."""
import pytest
from sqlalchemy import select

from gosmart.audit import AuditEntry
from gosmart.extensions import db


def failed_login(client, **kwargs):
    return client.post("/login", data={"email": "nobody@example.org", "password": "not the password"}, **kwargs)


def audited_ids():
    return list(db.session.scalars(select(AuditEntry.request_id).where(AuditEntry.action == "login.failed")
                                   .order_by(AuditEntry.id)))


def test_without_a_trusted_proxy_a_client_cannot_name_its_request(world):
    client = world.client("visitor")
    answers = [failed_login(client, headers={"X-Request-ID": "support-ticket-42"}) for _ in range(2)]
    ids = [a.headers["X-Request-ID"] for a in answers]
    assert all("support-ticket-42" not in i for i in ids)
    assert ids[0] != ids[1] and audited_ids() == ids


def test_behind_a_trusted_proxy_its_id_is_kept_with_a_suffix_of_ours(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "PROXY_FIX", 1)
    client = world.client("visitor")
    answers = [failed_login(client, headers={"X-Request-ID": "lb-3f2a9c"}) for _ in range(2)]
    ids = [a.headers["X-Request-ID"] for a in answers]
    assert all(i.startswith("lb-3f2a9c.") and len(i) <= 64 for i in ids)
    assert ids[0] != ids[1], "two requests that sent one id still have two"
    assert audited_ids() == ids


@pytest.mark.parametrize("header", ["two words", "x" * 48, "<script>", "a;b", "ü", "a/b", ""])
def test_an_unsafe_id_even_from_a_trusted_proxy_is_replaced(app, world, monkeypatch, header):
    monkeypatch.setitem(app.config, "PROXY_FIX", 1)
    response = failed_login(world.client("visitor"), headers={"X-Request-ID": header})
    assigned = response.headers["X-Request-ID"]
    assert (header == "" or header not in assigned) and len(assigned) == 32
    assert audited_ids() == [assigned]


def test_an_address_that_is_not_one_is_not_stored(world):
    """REMOTE_ADDR as ProxyFix would set it from a client's X-Forwarded-For when PROXY_FIX counts
    more proxies than there are: not an address, and longer than the column."""
    failed_login(world.client("visitor"), environ_base={"REMOTE_ADDR": "<script>" + "x" * 60})
    failed_login(world.client("visitor"), environ_base={"REMOTE_ADDR": "2001:db8::1"})
    addresses = list(db.session.scalars(select(AuditEntry.ip_address).where(AuditEntry.action == "login.failed")
                                        .order_by(AuditEntry.id)))
    assert addresses == [None, "2001:db8::1"]
