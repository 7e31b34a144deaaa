"""Traditional Chinese (zh-Hant-TW) beside English: the catalog, the choice of language,
pages, emails and certificates in Chinese, dates and country names the Chinese way."""
from html import unescape
import io
import json
import re
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select

from config import TestingConfig
from gosmart import create_app, i18n
from gosmart.assemblies.models import DoorAssignment
from gosmart.audit import AuditEntry
from gosmart.auth import services as accounts
from gosmart.auth.models import Role, User
from gosmart.certificates import services as certificates
from gosmart.certificates.models import CertificateLanguage
from gosmart.extensions import db
from gosmart.members import services as members
from gosmart.members.forms import country_choices, country_name
from gosmart.members.models import Application

from .conftest import PASSWORD
from .test_applications import CITY_DATA, CITY_FORM, PDF, add_pdf
from .test_assemblies import make_assembly

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
ZH = "zh_Hant_TW"
# Every label of the navigation in base.html, in English: none may be left on a Chinese page.
NAV_LABELS = ["Dashboard", "Applications", "Members", "Assemblies", "Directory", "MOUs", "Committees",
              "Check-in", "Certificates", "Accounts", "My organization", "Minutes", "My certificate",
              "My application", "Change password", "Sign out", "Apply", "Sign in"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """`make test` compiles the catalogs; a bare pytest run gets them compiled here."""
    i18n.compile_catalogs(ROOT / "translations")


def read_catalog():
    with open(CATALOG, "rb") as file:
        return read_po(file)


def nav_text(html):
    nav = re.search(r"<nav\b.*?</nav>", html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", nav)).strip()


def chinese(client):
    client.raw.set_cookie(i18n.COOKIE, ZH)
    return client


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- The catalog ---------------------------------------------------------------------

def test_every_message_in_the_catalog_is_translated_and_none_is_fuzzy():
    catalog = read_catalog()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 900
    untranslated = [m.id for m in messages if not all(m.string) if m.pluralizable] + [
        m.id for m in messages if not m.pluralizable and not m.string]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_every_translation_keeps_the_placeholders_of_its_message():
    catalog = read_catalog()
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []
    for message in catalog:
        if message.id and not message.pluralizable:
            assert sorted(re.findall(r"%\(\w+\)[sd]", message.id)) == sorted(
                re.findall(r"%\(\w+\)[sd]", message.string)), message.id


def test_the_translation_is_in_traditional_characters_as_used_in_taiwan():
    strings = " ".join(m.string if isinstance(m.string, str) else " ".join(m.string) for m in read_catalog())
    for simplified in "会员证书组织报录议处签国门时间电话须发这个设页们":
        assert simplified not in strings, simplified
    for word in ("會員", "秘書處", "申請", "大會", "報到", "證書", "備忘錄", "名錄", "登入", "登出"):
        assert word in strings


# --- Choosing the language ----------------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    ("zh-TW,zh;q=0.9,en;q=0.8", ZH), ("zh-Hant", ZH), ("zh", ZH), ("zh-HK", ZH), ("fr, zh;q=0.5", ZH),
    ("en-US,en;q=0.9", "en"), ("fr", "en"), ("", "en"), ("en;q=0.8, zh-TW", ZH)])
def test_the_browser_language_chooses_unless_the_user_has(client, header, expected):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{i18n.language_tag(expected)}">' in html


def test_accept_language_zh_tw_gives_the_chinese_landing_page(client):
    html = client.get("/", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert "申請入會" in html and "登入" in html and "Apply for membership" not in html


def test_the_switcher_is_on_every_page_and_posts_with_csrf(client):
    for page in ("/", "/login", "/apply/", "/directory/", "/verify"):
        html = client.get(page).get_data(as_text=True)
        switch = re.search(r'<form method="post" action="/language".*?</form>', html, re.S).group(0)
        assert 'name="csrf_token"' in switch and 'value="zh_Hant_TW"' in switch and "中文" in switch
        assert f'name="next" value="{page}"' in switch


def test_the_switcher_sets_the_cookie_and_goes_back(client):
    response = client.post_form("/language", {"locale": ZH, "next": "/directory/?q=taipei"})
    assert response.status_code == 303 and response.headers["Location"] == "/directory/?q=taipei"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("locale=zh_Hant_TW") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html and "申請入會" in html
    client.post_form("/language", {"locale": "en", "next": "/"})
    assert "Apply for membership" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x", "",
                                    "/a\nb", "/\t/evil.example"])
def test_the_switcher_goes_back_only_to_a_page_of_this_site(client, target):
    response = client.post_form("/language", {"locale": ZH, "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_the_switcher_changes_nothing_on_get_without_csrf_or_for_an_unknown_language(client):
    assert client.get("/language").status_code == 405
    refused = client.raw.post("/language", data={"locale": ZH, "next": "/"})
    assert refused.status_code == 400 and "locale=" not in refused.headers.get("Set-Cookie", "")
    unknown = client.post_form("/language", {"locale": "fr", "next": "/"})
    assert unknown.status_code == 303 and "locale=" not in unknown.headers.get("Set-Cookie", "")


def test_a_signed_in_user_s_choice_is_remembered_on_the_account(users, make_client):
    rep = users[Role.REPRESENTATIVE]
    client = make_client()
    client.login(rep.email)
    client.post_form("/language", {"locale": ZH, "next": "/my-organization"})
    assert db.session.get(User, rep.id).locale == ZH
    # Another browser, which has no cookie and asks for English, follows the account.
    other = make_client()
    other.login(rep.email)
    html = other.get("/my-organization", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html and "我的組織" in html


def test_the_login_prompt_is_in_the_chosen_language(client):
    chinese(client)
    response = client.get("/my-organization")
    assert response.status_code == 302
    assert "請先登入才能瀏覽此頁面。" in client.get(response.headers["Location"]).get_data(as_text=True)


# --- Key pages in Chinese, with no English left in the navigation --------------------

def assert_chinese_nav(html, *allowed):
    text = nav_text(html)
    for word in ("GO SMART", "English") + allowed:
        text = text.replace(word, "")
    assert not re.search(r"[A-Za-z]", text), text
    for label in NAV_LABELS:
        assert not re.search(rf"\b{re.escape(label)}\b", nav_text(html)), label


@pytest.mark.parametrize("path, words", [
    ("/", ["全球智慧城市聯盟", "申請入會"]),
    ("/login", ["密碼", "忘記密碼？"]),
    ("/apply/", ["以城市身分申請", "以企業身分申請"]),
    ("/apply/city", ["英文正式名稱", "儲存草稿", "臺灣"]),
    ("/directory/", ["會員名錄", "會員概況"]),
    ("/verify", ["驗證證書"]),
])
def test_public_pages_render_in_chinese(client, path, words):
    html = chinese(client).get(path).get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html
    assert_chinese_nav(html)
    for word in words:
        assert word in html, word


def test_signed_in_pages_render_in_chinese_for_each_role(users, make_client):
    pages = {Role.REPRESENTATIVE: ("/my-organization", ["我的組織", "會員編號", "簡介及隱私設定"]),
             Role.SECRETARIAT: ("/secretariat/", ["秘書處儀表板", "儀表板", "入會申請"]),
             Role.APPLICANT: ("/my-applications", ["我的入會申請"]),
             Role.DOOR_STAFF: ("/checkin/", ["報到"]),
             Role.HONORARY: ("/directory/", ["會員名錄"])}
    for role, (path, words) in pages.items():
        client = chinese(make_client())
        client.login(users[role].email)
        html = client.get(path).get_data(as_text=True)
        assert_chinese_nav(html, users[role].name)
        for word in words:
            assert word in html, (role, word)


def test_the_check_in_screen_renders_in_chinese_with_the_venue_date(users, make_client):
    assembly = make_assembly()
    assembly.starts_at = datetime(2031, 5, 19, 17, 30, tzinfo=timezone.utc)
    assembly.ends_at = datetime(2031, 5, 20, 1, 0, tzinfo=timezone.utc)
    db.session.add(DoorAssignment(assembly_id=assembly.id, user_id=users[Role.DOOR_STAFF].id))
    db.session.commit()
    client = chinese(make_client())
    client.login(users[Role.DOOR_STAFF].email)
    html = client.get(f"/checkin/{assembly.id}").get_data(as_text=True)
    assert_chinese_nav(html, users[Role.DOOR_STAFF].name)
    for word in ("票券代碼", "用相機掃描", "依姓名尋找", "此報到站名稱"):
        assert word in html, word
    # 17:30 UTC on the 19th is 01:30 on the 20th in Taipei, where the assembly is.
    assert "2031年5月20日" in html and "2031年5月19日" not in html


def test_organization_names_stay_as_the_organization_gave_them(users, make_client):
    rep = users[Role.REPRESENTATIVE]
    rep.organization.name_local = "臺北市"
    db.session.commit()
    for locale, label in (("en", "Membership number"), (ZH, "會員編號")):
        client = make_client()
        client.raw.set_cookie(i18n.COOKIE, locale)
        client.login(rep.email)
        html = client.get("/my-organization").get_data(as_text=True)
        assert label in html and "Taipei City" in html and "臺北市" in html


# --- Dates, numbers, countries -------------------------------------------------------

def test_dates_times_and_numbers_are_written_the_way_each_language_writes_them(app):
    moment = datetime(2019, 6, 19, 1, 5, tzinfo=timezone.utc)
    with force_locale(ZH):
        assert i18n.format_day(date(2019, 6, 19)) == "2019年6月19日"
        assert i18n.format_moment(moment) == "2019年6月19日 01:05"
        assert i18n.format_count(1234567) == "1,234,567"
    with force_locale("en"):
        assert i18n.format_day(date(2019, 6, 19)) == "2019-06-19"
        assert i18n.format_moment(moment, seconds=True) == "2019-06-19 01:05:00"


def test_country_names_in_each_language(app):
    with force_locale(ZH):
        assert (country_name("TW"), country_name("KR"), country_name("JP"), country_name("AU")) == (
            "臺灣", "南韓", "日本", "澳洲")
        choices = country_choices()
        assert choices[0].value == "" and any(c.value == "TW" and c.label == "臺灣" for c in choices)
    with force_locale("en"):
        assert (country_name("TW"), country_name("KR")) == ("Taiwan", "South Korea")
        assert any(c.value == "TW" and c.label == "Taiwan" for c in country_choices())


# --- Emails in the recipient's language ----------------------------------------------

@pytest.fixture
def applicant(make_user):
    user = make_user(Role.APPLICANT, "applicant@example.org")
    user.email_confirmed_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    return user


def test_application_emails_are_written_in_the_applicant_s_language(applicant, make_user, outbox, app):
    applicant.locale = ZH
    db.session.commit()
    application = members.start_application("city", CITY_DATA, applicant=applicant)
    add_pdf(application, applicant)
    members.submit(application, applicant)
    message = outbox[-1]
    assert message.subject == "我們已收到您的 GO SMART 入會申請"
    assert f"{applicant.name} 您好：" in message.body and "秘書處審查後會寫信給您" in message.body
    assert 'lang="zh-Hant-TW"' in message.html and "Kaohsiung City" in message.body
    # The secretariat works in Chinese; an English-speaking applicant still reads English.
    applicant.locale = "en"
    db.session.commit()
    secretariat = make_user(Role.SECRETARIAT, "sec@example.org")
    with force_locale(ZH):
        members.request_changes(application, secretariat, "Please add the letter of intent.")
    assert outbox[-1].subject == "Your GO SMART application: changes requested"
    assert "Please update the application and resubmit it." in outbox[-1].body


def test_account_emails_follow_the_user_s_language(make_user, outbox):
    user = make_user(Role.REPRESENTATIVE, "rep@example.org")
    user.locale = ZH
    db.session.commit()
    accounts.request_password_reset(user.email)
    assert outbox[-1].subject == "重設您的 GO SMART 密碼" and "請在一小時內開啟此連結" in outbox[-1].body


# --- Certificates in English, Chinese or both ----------------------------------------

def render(organization, language):
    holder = members.membership_holder(organization)
    return pdf_text(certificates.render("membership", holder, "GS-CERT-2019-000001", "code", date(2019, 6, 19),
                                        language))


def test_a_chinese_certificate_reads_back_in_chinese(organization):
    taipei = organization(name_local="臺北市")
    text = render(taipei, "zh")
    for words in ("會員證書", "全球智慧城市聯盟", "茲證明", "臺北市", "Taipei City", "會員類別：城市",
                  "2019年6月19日", "GO SMART 秘書長"):
        assert words in text, words
    assert "Membership certificate" not in text


def test_an_english_and_a_bilingual_certificate(organization):
    taipei = organization(name_local="臺北市")
    english = render(taipei, "en")
    assert "Membership certificate" in english and "2019-06-19" not in english and "June 19, 2019" in english
    assert "會員證書" not in english and "臺北市" in english  # the name as given, in any language
    both = render(taipei, "bilingual")
    for words in ("會員證書", "Membership certificate", "茲證明", "This is to certify that", "城市", "City",
                  "Secretary General of GO SMART", "GO SMART 秘書長"):
        assert words in both, words


def test_the_secretariat_chooses_the_language_of_each_kind(users, make_client, organization):
    client = make_client()
    client.login(users[Role.SECRETARIAT].email)
    page = client.get("/certificates/settings")
    assert page.status_code == 200 and "Bilingual: Chinese and English" in page.get_data(as_text=True)
    response = client.post_form("/certificates/settings", {"membership": "zh", "honorary": "bilingual",
                                                           "attendance": "en"}, page="/certificates/settings")
    assert response.status_code == 303
    assert certificates.certificate_languages() == {
        "membership": CertificateLanguage.CHINESE, "honorary": CertificateLanguage.BILINGUAL,
        "attendance": CertificateLanguage.ENGLISH}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.languages_changed"))
    assert entry.details == {"membership": "zh", "honorary": "bilingual"}
    # The next membership certificate is issued in Chinese, and its record says so too.
    taipei = users[Role.REPRESENTATIVE].organization
    certificate = certificates.issue("membership", members.membership_holder(taipei), users[Role.SECRETARIAT])
    assert "會員證書" in pdf_text(certificates.pdf_of(certificate)) and certificate.subject == "城市"
    refused = client.post_form("/certificates/settings", {"membership": "fr", "honorary": "en",
                                                          "attendance": "en"}, page="/certificates/settings")
    assert refused.status_code == 200
    assert certificates.certificate_language("membership") == CertificateLanguage.CHINESE


def test_only_the_secretariat_sets_certificate_languages(users, make_client):
    client = make_client()
    client.login(users[Role.REPRESENTATIVE].email)
    assert client.get("/certificates/settings").status_code == 403


# --- The journeys of the issue, in Chinese over HTTP ---------------------------------

def english_left(html):
    """English words in the page's own text (not names, codes or addresses) would show here."""
    return [label for label in NAV_LABELS if re.search(rf">\s*{re.escape(label)}\s*<", html)]


def test_a_new_visitor_switches_to_chinese_and_applies_in_chinese(client, outbox):
    assert "Apply for membership" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.post_form("/language", {"locale": ZH, "next": "/"})
    landing = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "申請入會" in landing and not english_left(landing)
    form = client.get("/apply/city").get_data(as_text=True)
    assert "以「城市」身分申請" in form and "英文正式名稱" in form and "臺灣" in form and not english_left(form)
    response = client.post_form("/apply/city", dict(CITY_FORM, applicant_name="李美", password=PASSWORD,
                                                    applicant_email="lee@kcg.example"), page="/apply/city")
    assert response.status_code == 303
    sent = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "我們已寄一封電子郵件到 lee@kcg.example" in sent and not english_left(sent)
    user = db.session.scalar(select(User).where(User.email == "lee@kcg.example"))
    assert user.locale == ZH  # remembered from the language the visitor applied in
    confirmation = outbox[0]
    assert confirmation.subject == "請確認您在 GO SMART 的電子郵件地址" and "李美 您好：" in confirmation.body
    link = re.search(r"http://gosmart.test(/confirm-email/\S+)", confirmation.body).group(1)
    assert "確認您的電子郵件地址" in client.get(link).get_data(as_text=True)
    client.post_form(link, page=link)
    client.login("lee@kcg.example")
    application = db.session.scalar(select(Application))
    url = f"/applications/{application.id}"
    draft = client.get(f"{url}/edit").get_data(as_text=True)
    assert "證明文件" in draft and not english_left(draft)
    client.post_form(f"{url}/edit", dict(CITY_FORM, action="save", document=(io.BytesIO(PDF), "letter.pdf")),
                     page=f"{url}/edit", content_type="multipart/form-data")
    submitted = client.post_form(f"{url}/edit", dict(CITY_FORM, action="submit"), page=f"{url}/edit")
    assert submitted.status_code == 303, submitted.get_data(as_text=True)[:2000]
    mine = client.get("/my-applications").get_data(as_text=True)
    assert "我的入會申請" in mine and "秘書處正在審查您的申請" in mine and not english_left(mine)
    assert outbox[-1].subject == "我們已收到您的 GO SMART 入會申請"


def test_door_staff_check_people_in_in_chinese(users, make_client):
    from gosmart.assemblies import services as registration
    from .test_assemblies import person
    assembly = make_assembly()
    delegate = registration.register(assembly, users[Role.REPRESENTATIVE], **person(1))
    db.session.add(DoorAssignment(assembly_id=assembly.id, user_id=users[Role.DOOR_STAFF].id))
    db.session.commit()
    client = make_client()
    client.login(users[Role.DOOR_STAFF].email)
    client.post_form("/language", {"locale": ZH, "next": "/checkin/"}, page="/checkin/")
    index = client.get("/checkin/").get_data(as_text=True)
    assert "開啟報到畫面" in index and not english_left(index)
    url = f"/checkin/{assembly.id}"
    screen = client.get(url).get_data(as_text=True)
    assert "票券代碼" in screen and not english_left(screen)
    # The script's own words come from the page, in Chinese.
    script_text = json.loads(unescape(re.search(r"id=\"verdict-template\" data-messages='([^']*)'", screen).group(1)))
    assert script_text["queued"] == "排隊等候中－沒有網路連線" and script_text["checking"] == "確認中……"
    assert script_text["queued_many"].startswith("有 {count} 筆掃描")
    token = client.csrf_token(url)
    data = {"client_id": "zh-1", "token": delegate.checkin_token, "csrf_token": token, "station": "正門",
            "scanned_at": "2027-01-01T09:00:00.000Z"}
    answer = client.post(url + "/scan", data=data, headers={"Accept": "application/json", "X-CSRFToken": token})
    assert answer.get_json()["verdict"] == "checked_in" and answer.get_json()["message"] == "已報到"
    again = client.post(url + "/scan", data=dict(data, client_id="zh-2")).get_data(as_text=True)
    assert "先前已報到" in again and "報到站 正門" in again and not english_left(again)
    found = client.get(url + "/search?q=Delegate").get_data(as_text=True)
    assert re.search(r"\d\d:\d\d 報到", found) and "Delegate 1" in found and not english_left(found)


def test_the_form_library_s_own_messages_are_in_traditional_chinese_too(client):
    chinese(client)
    page = client.post_form("/login", {"email": "not an address", "password": ""}, page="/login")
    errors = re.findall(r'class="field-error">([^<]*)', page.get_data(as_text=True))
    assert "此欄位是必需的。" in errors and "無效的電子郵件地址。" in errors
    assert not any(CJK.search(e) is None for e in errors)
    english = client.raw
    english.set_cookie(i18n.COOKIE, "en")
    page = client.post_form("/login", {"email": "x", "password": ""}, page="/login")
    assert "This field is required." in page.get_data(as_text=True)


def test_the_application_compiles_missing_catalogs_when_it_starts(tmp_path):
    """A deployment that skipped `make translations` still speaks Chinese."""
    catalog = tmp_path / "zh_Hant_TW" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    shutil.copy(ROOT / "translations" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po", catalog)

    class Config(TestingConfig):
        BABEL_TRANSLATION_DIRECTORIES = str(tmp_path)
    create_app(Config)
    assert (catalog / "messages.mo").exists()
