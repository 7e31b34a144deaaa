from sqlalchemy import select

from gosmart.audit import AuditEntry
from gosmart.auth import services
from gosmart.auth.models import Role, User
from gosmart.extensions import db

from .conftest import PASSWORD


def audit_actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_login_lands_each_role_on_its_home_page(users, make_client):
    homes = {
        Role.SECRETARIAT: "/secretariat/",
        Role.DOOR_STAFF: "/checkin/",
        Role.REPRESENTATIVE: "/my-organization",
        Role.HONORARY: "/directory/",
        Role.APPLICANT: "/my-applications",
    }
    for role, user in users.items():
        client = make_client()
        response = client.login(user.email)
        assert response.status_code == 303
        assert response.headers["Location"] == homes[role]
        assert client.get(homes[role]).status_code == 200


def test_login_email_is_case_insensitive(users, client):
    response = client.login("  SEC@Example.ORG ")
    assert response.status_code == 303


def test_unknown_email_and_wrong_password_get_the_same_answer(users, make_client):
    unknown = make_client().login("nobody@example.org")
    wrong = make_client().login("sec@example.org", "not the right password")
    assert unknown.status_code == wrong.status_code == 200
    assert "Email or password is not right." in unknown.get_data(as_text=True)
    assert "Email or password is not right." in wrong.get_data(as_text=True)


def test_login_success_and_failure_are_audited(users, make_client):
    make_client().login("sec@example.org", "wrong password here")
    make_client().login("sec@example.org")
    make_client().login("ghost@example.org")
    assert audit_actions() == ["login.failed", "login.succeeded", "login.failed"]
    ghost = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert ghost.details == {"email": "ghost@example.org"} and ghost.actor_id is None


def test_deactivated_account_cannot_sign_in(make_user, client):
    make_user(Role.DOOR_STAFF, "gone@example.org", active=False)
    response = client.login("gone@example.org")
    assert response.status_code == 200
    assert "Email or password is not right." in response.get_data(as_text=True)


def test_login_is_rate_limited(users, client):
    for _ in range(10):
        assert client.login("sec@example.org", "wrong password!!").status_code == 200
    assert client.login("sec@example.org").status_code == 429


def test_next_parameter_only_redirects_within_the_site(users, client):
    token = client.csrf_token("/login")
    data = {"email": "sec@example.org", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/secretariat/"
    client.logout()
    data["csrf_token"] = client.csrf_token("/login")
    response = client.post("/login?next=/accounts/", data=data)
    assert response.headers["Location"] == "/accounts/"


def _cookie_replay(client, make_client):
    """A second client carrying the first one's cookies."""
    other = make_client()
    for cookie in client.raw._cookies.values():
        other.raw.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def test_logout_ends_every_session_and_old_cookies_stop_working(users, client, make_client):
    client.login("sec@example.org")
    stolen = _cookie_replay(client, make_client)
    laptop = make_client()
    laptop.login("sec@example.org")
    assert stolen.get("/secretariat/").status_code == 200
    assert client.logout().status_code == 303
    assert stolen.get("/secretariat/").status_code == 302  # back to the login page
    assert laptop.get("/secretariat/").status_code == 302
    assert "logout" in audit_actions()


def test_remember_cookie_is_revoked_by_logout(users, client, make_client):
    client.post_form("/login", {"email": "sec@example.org", "password": PASSWORD, "remember": "y"}, page="/login")
    remember = client.raw.get_cookie("remember_token")
    assert remember is not None
    client.logout()
    other = make_client()
    other.raw.set_cookie("remember_token", remember.value)
    assert other.get("/secretariat/").status_code == 302


def test_deactivation_ends_sessions(users, client, make_client):
    door = make_client()
    door.login("door@example.org")
    assert door.get("/checkin/").status_code == 200
    client.login("sec@example.org")
    response = client.post_form(f"/accounts/{users[Role.DOOR_STAFF].id}/active", {"active": "0"})
    assert response.status_code == 303
    assert door.get("/checkin/").status_code == 302
    assert "account.deactivated" in audit_actions()


def test_password_change_ends_other_sessions_but_keeps_this_one(users, client, make_client, outbox):
    other = make_client()
    other.login("hon@example.org")
    client.login("hon@example.org")
    response = client.post_form("/account/password", {
        "current_password": PASSWORD, "new_password": "a brand new passphrase", "confirm": "a brand new passphrase",
    })
    assert response.status_code == 303
    assert client.get("/account/password").status_code == 200
    assert other.get("/account/password").status_code == 302
    assert make_client().login("hon@example.org", "a brand new passphrase").status_code == 303
    assert [m.subject for m in outbox] == ["Your GO SMART password was changed"]


def test_password_change_refuses_wrong_current_password_and_changes_nothing(users, client):
    client.login("hon@example.org")
    before = users[Role.HONORARY].password_hash
    response = client.post_form("/account/password", {
        "current_password": "not my password", "new_password": "a brand new passphrase",
        "confirm": "a brand new passphrase",
    })
    assert response.status_code == 200
    assert "The current password is not right." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users[Role.HONORARY].id).password_hash == before


def test_password_policy(app):
    assert services.password_problem("short") is not None
    assert services.password_problem("1234567890") is not None
    assert services.password_problem("aaaaaaaaaaaa") is not None
    assert services.password_problem("x" * 257) is not None
    assert services.password_problem("four random words together, quite long") is None


def test_password_reset_by_emailed_link_works_once(users, client, make_client, outbox):
    response = client.post_form("/password/forgot", {"email": "rep@example.org"}, page="/password/forgot")
    assert response.status_code == 303
    assert len(outbox) == 1
    message = outbox[0]
    assert message.recipients == ["rep@example.org"]
    link = next(line for line in message.body.splitlines() if "/password/reset/" in line).strip()
    assert link.startswith("http://gosmart.test/password/reset/")
    assert "/password/reset/" in message.html
    path = link.removeprefix("http://gosmart.test")
    response = client.post_form(path, {"new_password": "reset passphrase works", "confirm": "reset passphrase works"},
                                page=path)
    assert response.status_code == 303
    assert make_client().login("rep@example.org", "reset passphrase works").status_code == 303
    # The link was used: it no longer works.
    assert client.get(path).status_code == 400


def test_password_reset_says_the_same_for_unknown_email(users, client, outbox):
    known = client.post_form("/password/forgot", {"email": "rep@example.org"}, page="/password/forgot")
    unknown = client.post_form("/password/forgot", {"email": "nobody@example.org"}, page="/password/forgot")
    assert known.status_code == unknown.status_code == 303
    assert len(outbox) == 1


def test_expired_reset_link_is_refused(users, app):
    assert services.user_for_reset_token("not-a-token") is None
    token = services.password_reset_token(users[Role.HONORARY])
    assert services.user_for_reset_token(token) is not None
    assert services.user_for_reset_token(token, max_age=-1) is None
    assert services.user_for_reset_token(token + "x") is None


def test_secretariat_creates_a_door_staff_account_and_it_is_invited(users, client, make_client, outbox):
    client.login("sec@example.org")
    response = client.post_form("/accounts/new", {"name": "Volunteer", "email": "Vol@Example.org",
                                                  "role": "door_staff"}, page="/accounts/new")
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "vol@example.org"))
    assert user.role == Role.DOOR_STAFF and user.password_hash is None
    assert outbox[-1].recipients == ["vol@example.org"]
    assert "account.created" in audit_actions()


def test_staff_account_form_refuses_other_roles_and_duplicates(users, client):
    client.login("sec@example.org")
    count = db.session.query(User).count()
    bad_role = client.post_form("/accounts/new", {"name": "X", "email": "x@example.org", "role": "secretariat2"},
                                page="/accounts/new")
    duplicate = client.post_form("/accounts/new", {"name": "X", "email": "DOOR@example.org", "role": "door_staff"},
                                 page="/accounts/new")
    not_email = client.post_form("/accounts/new", {"name": "X", "email": "not-an-email", "role": "door_staff"},
                                 page="/accounts/new")
    assert bad_role.status_code == duplicate.status_code == not_email.status_code == 422
    assert "An account with this email already exists." in duplicate.get_data(as_text=True)
    assert db.session.query(User).count() == count


def test_secretariat_cannot_deactivate_representatives_through_staff_accounts(users, client):
    client.login("sec@example.org")
    response = client.post_form(f"/accounts/{users[Role.REPRESENTATIVE].id}/active", {"active": "0"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, users[Role.REPRESENTATIVE].id).active


def test_email_is_unique_whatever_the_case(make_user):
    make_user(Role.HONORARY, "Someone@Example.org")
    user = User(email="SOMEONE@example.org", name="Twin", role=Role.HONORARY)
    db.session.add(user)
    try:
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        assert "unique" in str(error).lower() or "duplicate" in str(error).lower()
    else:
        raise AssertionError("a second account with the same email was created")
