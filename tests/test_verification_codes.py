"""Verification codes a person can read aloud and type, and the serial number with the holder's
name as a second factor; codes issued before still verify."""
import re
import secrets
from datetime import date

import pytest

from gosmart.certificates import services
from gosmart.certificates.models import Certificate
from gosmart.checkin import attendance
from gosmart.extensions import db

from .test_certificates import attended, membership_certificate, taipei, text_of  # noqa: F401  (fixtures)


def verdict(client, url):
    response = client.get(url)
    if response.status_code == 303:
        response = client.get(response.headers["Location"])
    return response.status_code, response.get_data(as_text=True)


def main_of(page):
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_new_code_is_16_characters_without_confusable_ones_shown_in_four_groups(taipei):
    certificate = membership_certificate(taipei)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", certificate.verification_code)  # no I, L, O, U
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", certificate.printed_code)
    # Printed large, on one line, apart from the address of the page to type it into.
    lines = text_of(services.pdf_of(certificate)).splitlines()
    assert certificate.printed_code in lines and any(line.endswith("http://gosmart.test/verify") for line in lines)
    assert len({services.new_code() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("typed", [
    "{grouped}", "{grouped_lower}", "{plain}", "{spaced}", "  {grouped}  ", "{confused}",
])
def test_a_code_verifies_however_it_is_typed(taipei, client, typed):
    certificate = membership_certificate(taipei)
    code = certificate.printed_code
    confused = code.replace("0", "O").replace("1", "I")  # what a reader may type from the print
    typed = typed.format(grouped=code, grouped_lower=code.lower(), plain=code.replace("-", ""),
                         spaced=code.replace("-", " "), confused=confused)
    status, page = verdict(client, f"/verify?code={typed}")
    assert status == 200 and "Valid certificate" in page and "Taipei City" in page
    assert services.find_by_code(typed).id == certificate.id


def test_a_certificate_with_a_code_of_before_still_verifies_exactly(taipei, client):
    holder = services.Holder("organization", taipei.id, "Taipei City", None, "City")
    old = Certificate(kind="membership", serial="GS-CERT-2019-000007", verification_code="aB3-_x" + secrets.token_urlsafe(19),
                      holder_type=holder.type, holder_id=holder.id, holder_name=holder.name, subject="City",
                      issued_on=date(2019, 3, 27), sha256="0" * 64, stored_name="0" * 64 + ".pdf")
    db.session.add(old)
    db.session.commit()
    assert old.printed_code == old.verification_code  # shown as it was printed
    status, page = verdict(client, f"/verify/{old.verification_code}")
    assert status == 200 and "Valid certificate" in page
    assert verdict(client, f"/verify/{old.verification_code.upper()}")[0] == 404  # it was case-sensitive
    status, page = verdict(client, f"/verify?code={old.verification_code}")
    assert status == 200 and "Valid certificate" in page


def test_a_wrong_code_is_unknown(client):
    status, page = verdict(client, "/verify?code=7KQ2-M9XD-4HTR-WB3N")
    assert status == 404 and "Unknown code" in page


# --- The serial number, with the holder's name -----------------------------------------------------

def test_the_serial_alone_asks_for_the_holders_name(taipei, client):
    """Before: the prominent serial GS-CERT-2019-000001 answered "Unknown code"."""
    certificate = membership_certificate(taipei)
    response = client.get(f"/verify?code={certificate.serial}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "give the holder&#39;s name as well" in page
    assert "Taipei City" not in main_of(page)


@pytest.mark.parametrize("serial, name", [
    ("{serial}", "Taipei City"),
    ("{serial_lower}", "taipei  city"),
    ("{serial_spaced}", "臺北市"),
    ("{serial_short}", "TAIPEI-CITY"),
])
def test_the_serial_with_the_organizations_name_verifies(taipei, client, serial, name):
    certificate = membership_certificate(taipei)
    year, number = certificate.serial.split("-")[2:]
    serial = serial.format(serial=certificate.serial, serial_lower=certificate.serial.lower(),
                           serial_spaced=f"GS CERT {year} {number}", serial_short=f"gs-cert-{year}-{int(number)}")
    status, page = verdict(client, f"/verify?code={serial}&name={name}")
    assert status == 200 and "Valid certificate" in page


@pytest.mark.parametrize("name", ["Taipei", "City", "Kaohsiung City", "Taipei City Government", "x"])
def test_the_serial_with_another_name_or_part_of_an_organizations_name_is_no_match(taipei, client, name):
    certificate = membership_certificate(taipei)
    status, page = verdict(client, f"/verify?code={certificate.serial}&name={name}")
    assert status == 404 and "No match" in page and "Taipei City" not in main_of(page)


@pytest.mark.parametrize("typed, matches", [
    ("Dr. Mei-Ling Chen", True), ("mei-ling chen", True), ("MeiLing Chen", True), ("Chen", True), ("Mei-Ling", True),
    ("Dr", False), ("C", False), ("Taipei City", False), ("Wang", False),
])
def test_a_persons_certificate_takes_the_full_name_or_the_surname(users, attended, client, typed, matches):
    _assembly, people = attended
    people[0].name = "Dr. Mei-Ling Chen"
    db.session.commit()
    certificate = attendance.issue(people[0])  # the name on it; its organization is not the holder
    status, _page = verdict(client, f"/verify?code={certificate.serial}&name={typed}")
    assert (status == 200) is matches


def test_serial_guesses_are_rate_limited(app, taipei, client):
    certificate = membership_certificate(taipei)
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.get(f"/verify?code={certificate.serial}&name=Guess {i}").status_code for i in range(4)]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "30 per minute"
    assert statuses == [404, 404, 404, 429]


def test_the_form_says_what_can_be_typed(client):
    page = client.get("/verify").get_data(as_text=True)
    assert "Verification code or serial number" in page and "Holder's name" in page
