"""CSRF: every POST, PUT, PATCH and DELETE route refuses a request without a valid token
(and changes nothing), however it comes: a plain form, htmx, a token of another session.
(That no GET changes anything is shown by the access matrix, route by route and role by role.)"""
from .forms import submissions, valid_data
from .world import Writes, changes, describe, snapshot


def test_every_unsafe_route_refuses_a_request_without_a_valid_token_and_changes_nothing(app, world):
    other_session_token = world.client("secretariat").token
    problems, checked = [], 0
    before = snapshot(app)
    for sub in submissions(app, world, first_only=True):
        client = world.client(sub.key)
        data = valid_data(sub.endpoint, sub.form, world)
        attempts = {
            "no token": ({k: v for k, v in data.items()}, {}),
            "a forged token": (dict(data, csrf_token="forged." + client.token[7:]), {}),
            "another session's token": (dict(data, csrf_token=other_session_token), {}),
            "htmx without the header": (dict(data), {"HX-Request": "true"}),
            "htmx with a forged header": (dict(data), {"HX-Request": "true", "X-CSRFToken": "x" * 40}),
        }
        for label, (body, headers) in attempts.items():
            body = {k: (v if not isinstance(v, tuple) else (v[0].__class__(v[0].getvalue()), v[1]))
                    for k, v in body.items()}
            with Writes() as writes:
                response = client.post(sub.url, data=body, csrf=False, headers=headers)
            if response.status_code != 400:
                problems.append(f"{sub} with {label}: {response.status_code}")
            if writes:
                problems.append(f"{sub} with {label} wrote: {writes}")
        checked += 1
    written = changes(before, snapshot(app))
    assert not problems, "\n".join(problems)
    assert not written, describe(written)
    assert checked >= 50  # every form route of the application


def test_the_csrf_refusal_page_explains_and_does_not_leak(world):
    client = world.client("rep_a")
    response = client.post("/my-organization", data={"contact_name": "x"}, csrf=False)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The form expired" in body and "Traceback" not in body
