"""Mass assignment: fields a form does not have (role, state, organization_id,
is_secretariat, applicant_id, confirmed_count, checked_in_at …) are ignored on every
form, for every role that may post it: the form is accepted and none of them is stored."""
from gosmart.extensions import limiter

from .forms import submissions, valid_data
from .world import changes, snapshot

# Routes whose valid post legitimately answers with a 4xx (nothing to accept).
REFUSES_ANYWAY = {
    "auth.resend_confirmation",  # answers a redirect whatever the data; listed for clarity
}


def extra_fields(world):
    """Field -> a value no legitimate request stores in a column of that name."""
    stranger = world.application_other.applicant_id  # a user none of these forms concerns
    moment = "2001-02-03T04:05:06"
    return {
        "role": "secretariat", "is_secretariat": "1", "is_admin": "1", "state": "x-forced", "status": "x-forced",
        "organization_id": str(world.org_b.id), "applicant_id": str(stranger), "user_id": str(stranger),
        "created_by_id": str(stranger), "decided_by_id": str(stranger), "approved_by_id": str(stranger),
        "registered_by_id": str(stranger), "checked_in_by_id": str(stranger), "issued_by_id": str(stranger),
        "confirmed_count": "9999", "capacity_used": "9999", "used": "9999", "current_revision": "9999",
        "checked_in_at": moment, "confirmed_at": moment, "email_confirmed_at": moment, "revoked_at": moment,
        "approved_at": moment, "decided_at": moment, "cancelled_at": moment,
        "membership_number": "GS-FORCED-1", "verification_code": "forced-code", "serial": "GS-FORCED",
        "session_token": "forced-session", "password_hash": "forced-hash", "id": "987654",
        "logo_stored_name": "../../../etc/passwd", "stored_name": "../../../etc/passwd",
        "checkin_token": "forced-token", "audience": "x-forced", "visibility": "x-forced",
    }


def forced(found, extras, form_fields):
    """The stored cells that took a value from an extra field."""
    hits = []
    for table, key, column, old, new in found:
        cells = new.items() if column == "+" else [(column, new)] if column != "-" else []
        for name, value in cells:
            if name in extras and name not in form_fields and value is not None \
                    and str(value).replace(" ", "T").startswith(extras[name]):
                hits.append(f"{table}{list(key)}.{name} = {value!r}")
    return hits


def test_extra_fields_are_ignored_on_every_form(app, world, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)  # the same few routes are posted by several roles
    extras = extra_fields(world)
    problems, accepted = [], 0
    for sub in submissions(app, world):
        form_fields = sub.form.names() if sub.form else set()
        for attempt in (1, 2):  # an earlier post may have changed the object (cancelled, withdrawn…)
            state = snapshot(app)
            data = valid_data(sub.endpoint, sub.form, world)
            data.update({k: v for k, v in extras.items() if k not in form_fields})
            response = world.client(sub.key).post(sub.url, data=data)
            found = changes(state, snapshot(app))
            if response.status_code < 400 or attempt == 2:
                break
            world.reset()
        if response.status_code >= 400 and sub.endpoint not in REFUSES_ANYWAY:
            problems.append(f"{sub}: a valid post with extra fields got {response.status_code}")
            continue
        accepted += 1
        hits = forced(found, extras, form_fields)
        if hits:
            problems.append(f"{sub} stored extra fields: {', '.join(hits)}")
    assert not problems, "\n".join(problems)
    assert accepted >= 50
