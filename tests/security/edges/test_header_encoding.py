"""Header values built from what a user typed are always sendable: a `next` in any script, in an
htmx or a plain sign-in or language switch, goes out percent-encoded; a download's name in any
script is an ASCII name plus its UTF-8 form; a last check on every response encodes the rest.

"Sendable" is gunicorn's own rule, read from gunicorn (a value it refuses becomes a bare 500,
without our page, request id or session cookie); tests/production checks it through gunicorn."""
import pytest
from flask import Response
from gunicorn.http.message import TOKEN_RE
from gunicorn.http.wsgi import HEADER_VALUE_RE

from gosmart.headers import attachment, make_sendable, url_header

from ...conftest import PASSWORD

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/login"}
UNICODE_NEXTS = ["/%E3%80%82", "/%E8%87%BA%E5%8C%97?q=%C3%A9", "/%E2%80%AE/evil"]


def unsendable(response):
    """The headers gunicorn would refuse to send, as the WSGI layer hands them over."""
    return [(name, value) for name, value in response.headers.to_wsgi_list()
            if not TOKEN_RE.fullmatch(name) or not HEADER_VALUE_RE.fullmatch(value)]


def sign_in(world, next_, headers=None):
    client = world.client("visitor")
    response = client.post(f"/login?next={next_}", data={"email": world.users["secretariat"].email,
                                                         "password": PASSWORD}, headers=headers)
    return client, response


@pytest.mark.parametrize("next_", UNICODE_NEXTS)
def test_an_htmx_sign_in_with_a_next_in_any_script_redirects_percent_encoded(world, next_):
    client, response = sign_in(world, next_, HTMX)
    assert response.status_code == 204 and unsendable(response) == []
    assert response.headers["HX-Redirect"] == next_.split("#")[0]
    assert response.headers["X-Request-ID"] and "session=" in response.headers.get("Set-Cookie", "")
    assert client.get("/account/password").status_code == 200  # the session was kept


@pytest.mark.parametrize("next_", UNICODE_NEXTS)
def test_a_plain_sign_in_with_a_next_in_any_script_redirects_percent_encoded(world, next_):
    _client, response = sign_in(world, next_)
    assert response.status_code == 303 and unsendable(response) == []
    assert response.headers["Location"] == next_


@pytest.mark.parametrize("next_", ["/x%0D%0ASet-Cookie:%20a=b", "/x%09/evil.example", "/x%00", "//evil.example"])
def test_a_next_with_control_characters_or_another_host_goes_home(world, next_):
    _client, response = sign_in(world, next_, HTMX)
    assert response.status_code == 204 and unsendable(response) == []
    assert response.headers["HX-Redirect"] == "/secretariat/"


@pytest.mark.parametrize("headers", [HTMX, {}])
def test_the_language_switch_back_to_a_page_in_any_script(world, headers):
    client = world.client("visitor")
    response = client.post("/language", data={"locale": "zh_Hant_TW", "next": "/directory/?q=臺北"},
                           headers=headers)
    assert unsendable(response) == []
    assert response.headers.get("HX-Redirect", response.headers.get("Location")) == \
        "/directory/?q=%E8%87%BA%E5%8C%97"


def test_a_download_named_in_any_script_has_an_ascii_name_and_its_utf8_form():
    value = attachment("臺北市 “會議”.pdf")
    assert HEADER_VALUE_RE.fullmatch(value) and value.isascii()
    assert value.startswith('attachment; filename="download.pdf"; filename*=UTF-8\'\'%E8%87%BA')
    assert attachment("minutes-SC-2019-03-27.pdf") == 'attachment; filename="minutes-SC-2019-03-27.pdf"'
    assert '"Cafe' in attachment('Café".pdf') and '\\' not in attachment('a\\"b.pdf').split(";")[1]


def test_the_last_check_makes_any_header_sendable_and_keeps_repeated_ones():
    response = Response("")
    response.headers["Location"] = "/。"
    response.headers["HX-Redirect"] = "/臺北?x=é"
    response.headers["X-Note"] = "臺北"
    response.headers["X-Latin"] = "café"
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    make_sendable(response)
    assert unsendable(response) == []
    assert response.headers["Location"] == "/%E3%80%82"
    assert response.headers["HX-Redirect"] == "/%E8%87%BA%E5%8C%97?x=%C3%A9"
    assert response.headers["X-Note"] == "%E8%87%BA%E5%8C%97" and response.headers["X-Latin"] == "café"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_url_header_keeps_an_address_already_encoded():
    assert url_header("/%E3%80%82?a=%20b#x") == "/%E3%80%82?a=%20b#x"
