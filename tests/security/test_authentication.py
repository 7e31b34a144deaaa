"""Authentication: rate limits (and that Redis shares them between instances), one answer
for every failed sign-in, sessions that end on logout, deactivation and password change,
cookie flags, and the password policy — all through the HTTP interface."""
import re
import uuid

import pytest

from config import ProductionConfig, TestingConfig
from gosmart import create_app
from gosmart.extensions import limiter

from ..conftest import PASSWORD, Client
from .world import RoleClient

REDIS_URI = "redis://127.0.0.1:6379/15"


def real_login(app, email, password=PASSWORD, remember=False):
    """A client signed in through the login form itself."""
    client = RoleClient(app.test_client(), "login")
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post_form("/login", data, page="/login")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def signed_in(client):
    response = client.get("/account/password")
    return response.status_code == 200


# --- Rate limits ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, limit_setting, request_once", [
    ("login", "LOGIN_RATE_LIMIT",
     lambda c, w: c.post("/login", data={"email": w.users["secretariat"].email, "password": "wrong!"})),
    ("password reset", "PASSWORD_RESET_RATE_LIMIT",
     lambda c, w: c.post("/password/forgot", data={"email": "someone@example.org"})),
    ("certificate verification", "VERIFY_RATE_LIMIT",
     lambda c, w: c.get(f"/verify/{w.certificate.verification_code}")),
    ("certificate verification form", "VERIFY_RATE_LIMIT",
     lambda c, w: c.get("/verify?code=not-a-code")),
])
def test_each_limited_route_answers_429_after_its_limit(app, world, monkeypatch, name, limit_setting, request_once):
    monkeypatch.setitem(app.config, limit_setting, "3 per minute")
    client = world.client("visitor")
    answers = [request_once(client, world).status_code for _ in range(4)]
    assert 429 not in answers[:3] and answers[3] == 429, answers
    refused = request_once(client, world)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.headers["Content-Security-Policy"] and refused.mimetype == "text/html"


def test_application_submission_is_limited_per_client(world):
    client = world.client("visitor")
    answers = [client.post("/apply/city", data={"name": ""}).status_code for _ in range(21)]
    assert set(answers[:20]) == {422} and answers[20] == 429


@pytest.fixture
def other_apps():
    """Build more apps in this process; the limiter (one object, bound to each app it
    is given) gets its settings back afterwards."""
    saved = dict(vars(limiter))
    yield lambda config: create_app(config)
    vars(limiter).clear()
    vars(limiter).update(saved)


def redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URI} ({error}): the shared rate limit is not tested")
    return client


def limited_config(storage, prefix):
    class Limited(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        WTF_CSRF_ENABLED = False
        RATELIMIT_STORAGE_URI = storage
        RATELIMIT_KEY_PREFIX = prefix
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = False  # a Redis failure must show here, not be hidden
        RATELIMIT_SWALLOW_ERRORS = False
        LOGIN_RATE_LIMIT = "3 per minute"
    return Limited


def failed_login(app):
    return app.test_client().post("/login", data={"email": "not an email", "password": "x"}).status_code


def test_with_redis_the_login_limit_is_one_count_for_every_instance(other_apps):
    """Each instance gets a storage of its own (a new connection, as another worker
    process would): the hits made through the first are counted by the second."""
    redis = redis_or_skip()
    prefix = f"gosmart-test-{uuid.uuid4().hex}"
    try:
        first = other_apps(limited_config(REDIS_URI, prefix))
        assert type(limiter.storage).__name__ == "RedisStorage"
        assert [failed_login(first), failed_login(first)] == [200, 200]
        second = other_apps(limited_config(REDIS_URI, prefix))  # a fresh storage object, the same Redis
        assert [failed_login(second), failed_login(second)] == [200, 429]
        assert failed_login(first) == 429
        assert redis.keys(f"*{prefix}*"), "the counts are kept in Redis"
    finally:
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)


def test_without_redis_each_instance_counts_alone(other_apps):
    """The control: with memory storage a second instance starts from zero (so the test
    above would see the difference)."""
    first = other_apps(limited_config("memory://", "memory"))
    assert [failed_login(first), failed_login(first)] == [200, 200]
    second = other_apps(limited_config("memory://", "memory"))
    assert [failed_login(second), failed_login(second), failed_login(second)] == [200, 200, 200]


# --- One answer for every failure --------------------------------------------------------------

def _normalized(response, *emails):
    page = response.get_data(as_text=True)
    page = re.sub(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]+', r"\1", page)
    page = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", page)
    page = re.sub(r'(data-request-id|X-Request-ID)="[^"]*"', r"\1", page)
    for email in emails:
        page = page.replace(email, "EMAIL")
    return response.status_code, page


def test_unknown_email_wrong_password_and_deactivated_account_get_the_very_same_page(world):
    staff = world.users["door_staff"]
    deactivated = world.extra_door_staff
    secretariat = world.client("secretariat")
    assert secretariat.post(f"/accounts/{deactivated.id}/active", data={"active": "0"}).status_code == 303
    attempts = {
        "unknown": ("nobody-here@example.org", PASSWORD),
        "wrong password": (staff.email, "not the right password"),
        "deactivated": (deactivated.email, PASSWORD),
    }
    answers = {}
    for label, (email, password) in attempts.items():
        client = Client(world.app.test_client())
        answers[label] = _normalized(client.post_form("/login", {"email": email, "password": password},
                                                      page="/login"), email)
    assert answers["unknown"] == answers["wrong password"] == answers["deactivated"]
    assert answers["unknown"][0] == 200


def test_password_reset_says_the_same_for_a_known_and_an_unknown_address(world, outbox):
    known = Client(world.app.test_client()).post_form(
        "/password/forgot", {"email": world.users["applicant"].email}, page="/password/forgot")
    unknown = Client(world.app.test_client()).post_form(
        "/password/forgot", {"email": "nobody-here@example.org"}, page="/password/forgot")
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert len(outbox) == 1


# --- Sessions end -----------------------------------------------------------------------------

def copy_of(app, client, cookies=("session", "remember_token")):
    """Another browser with the same cookies (a stolen or copied session)."""
    thief = RoleClient(app.test_client(), "copy")
    for name in cookies:
        cookie = client.raw.get_cookie(name)
        if cookie is not None:
            thief.raw.set_cookie(name, cookie.value)
    return thief


def test_logout_ends_the_session_and_a_copied_cookie_stops_working(app, world):
    client = real_login(app, world.users["rep_a"].email, remember=True)
    thief = copy_of(app, client)
    remember_only = copy_of(app, client, cookies=("remember_token",))
    assert signed_in(thief) and signed_in(remember_only)
    assert client.post_form("/logout", {}, page="/my-organization").status_code == 303
    assert not signed_in(client) and not signed_in(thief) and not signed_in(remember_only)


def test_deactivation_ends_every_session_at_once(app, world):
    staff = real_login(app, world.users["door_staff"].email, remember=True)
    assert signed_in(staff)
    secretariat = world.client("secretariat")
    assert secretariat.post(f"/accounts/{world.users['door_staff'].id}/active",
                            data={"active": "0"}).status_code == 303
    assert not signed_in(staff) and not signed_in(copy_of(app, staff, cookies=("remember_token",)))
    assert staff.get("/checkin/").status_code == 302


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, world):
    email = world.users["honorary"].email
    here, elsewhere = real_login(app, email), real_login(app, email, remember=True)
    response = here.post_form("/account/password", {
        "current_password": PASSWORD, "new_password": "a brand new passphrase for me", "confirm":
        "a brand new passphrase for me"}, page="/account/password")
    assert response.status_code == 303
    assert signed_in(here)
    assert not signed_in(elsewhere) and not signed_in(copy_of(app, elsewhere, cookies=("remember_token",)))


# --- Cookies ------------------------------------------------------------------------------------

def set_cookies(response):
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(app, world):
    client = RoleClient(app.test_client(), "visitor")
    token = client.csrf_token("/login")
    response = client.raw.post("/login", data={"email": world.users["rep_a"].email, "password": PASSWORD,
                                               "remember": "y", "csrf_token": token})
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]


def test_in_production_the_cookies_are_secure_too(other_apps):
    class Production(ProductionConfig):
        SECRET_KEY = "k" * 48
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        TRUSTED_HOSTS = ["members.gosmart.org"]
        RATELIMIT_STORAGE_URI = "memory://"
    app = other_apps(Production)
    response = app.test_client().get("/login", base_url="https://members.gosmart.org")
    session = set_cookies(response)["session"]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


# --- Password policy ----------------------------------------------------------------------------

LONG_PASSPHRASES = [
    "correct horse battery staple",
    "the quick brown fox jumps over the lazy dog near the Taipei 101 tower at dawn" * 3,
    "臺北市 智慧城市 聯盟 的 會員 密碼 很長",
    "x" * 3 + "a passphrase of exactly the maximum length " * 5,
]
COMMON = ["1234567890", "qwertyuiop", "password123", "Password123", "password1234", "1q2w3e4r5t",
          "1qaz2wsx3edc", "qwerty1234", "qwerty12345", "qwerty123456", "0987654321", "1111111111",
          "iloveyou12", "abcd123456", "123456789a", "a123456789", "1234567890a", "1234567891",
          "12345678910", "123123123123", "iloveyou123", "welcome123", "letmein123", "admin12345",
          "aaaaaaaaaa", "abcdefghij", "abc1234567", "asdfghjkl1", "zxcvbnm123", "qazwsxedc123",
          "passw0rd123", "Passw0rd!!", "password!!", "football123", "baseball123", "sunshine123",
          "princess123", "dragon1234", "monkey12345", "gosmart2019", "gosmart123", "q1w2e3r4t5",
          "1q2w3e4r5t6y", "9876543210", "qwertyuiop1", "asdfghjkl123", "iloveyou2024", "sunshine2019"]


def _change(client, new):
    return client.post("/account/password", data={"current_password": PASSWORD, "new_password": new,
                                                  "confirm": new})


@pytest.mark.parametrize("passphrase", LONG_PASSPHRASES)
def test_a_long_passphrase_is_accepted(world, passphrase):
    passphrase = passphrase[:256]
    response = _change(world.client("applicant"), passphrase)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert real_login(world.app, world.users["applicant"].email, passphrase)


def test_very_common_passwords_are_refused(world):
    client = world.client("applicant")
    accepted = [p for p in COMMON if _change(client, p).status_code == 303]
    assert not accepted, f"accepted as new passwords: {accepted}"
