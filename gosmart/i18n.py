"""Languages: which one a request speaks, the switch between them, and dates, times and
numbers written the way that language writes them.

The language is, in this order: the visitor's choice (the `locale` cookie, set by the
switcher on every page), the signed-in user's stored choice (User.locale, the same
switch remembers it), the browser's Accept-Language, English. Outside a request (emails,
PDFs, background tasks) it is English unless the caller forces one with
flask_babel.force_locale.
"""
import os
import tempfile
import unicodedata
from functools import cache

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from flask import Blueprint, current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired

from .extensions import db
from .headers import local_path
from .htmx import redirect_to
from .permissions import public

COOKIE = "locale"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language names itself in the switcher, in its own script.
LANGUAGE_NAMES = {"en": "English", "zh_Hant_TW": "中文"}

bp = Blueprint("i18n", __name__)


# --- Which language --------------------------------------------------------------

def supported(value):
    """The supported locale `value` names (a stored choice, a cookie, a form), or None."""
    return value if value in current_app.config["LANGUAGES"] else None


def match_language_tag(tag):
    """The locale for one Accept-Language tag: any Chinese (zh, zh-TW, zh-Hant, zh-HK, ...)
    reads the Traditional Chinese interface; any English the English one."""
    tag = (tag or "").strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh_Hant_TW"
    if tag == "en" or tag.startswith("en-") or tag == "*":
        return "en"
    return None


def from_accept_language(accept):
    """The best supported locale for the browser's Accept-Language, in its order of preference."""
    for tag, quality in accept:  # werkzeug keeps them sorted by quality
        if quality <= 0:
            continue
        locale = match_language_tag(tag)
        if locale and supported(locale):
            return locale
    return None


def select_locale():
    """Flask-Babel's locale selector (see the module's docstring for the order)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    chosen = supported(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated:
        stored = supported(getattr(current_user, "locale", None))
        if stored:
            return stored
    return from_accept_language(request.accept_languages) or default


def language_tag(locale=None):
    """The BCP 47 tag for <html lang> and the lang attribute: zh-Hant-TW, en."""
    return str(locale or get_locale() or "en").replace("_", "-")


# --- The switch ---------------------------------------------------------------------

class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()], validators=[DataRequired()])
    next = HiddenField()


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Remember the language: a cookie for this browser, and for a signed-in user the account."""
    form = LanguageForm()
    back = local_path(form.next.data) or "/"
    if not form.validate_on_submit() or not supported(form.locale.data):
        return redirect_to(back)
    locale = form.locale.data
    if current_user.is_authenticated and current_user.locale != locale:
        current_user.locale = locale
        db.session.commit()
    response = redirect_to(back)
    response.set_cookie(COOKIE, locale, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


# --- Dates, times and numbers in the request's language -----------------------------
# English keeps the unambiguous ISO dates the site has always shown (2019-06-19); Chinese
# writes them its own way (2019年6月19日). Clock times are on 24 hours in both.
# An aware datetime is shown in its own zone: pass assembly.local(moment) for the venue's time.
DATE_PATTERNS = {"en": "yyyy-MM-dd"}


def _locale():
    return get_locale() or Locale.parse("en")


def format_day(value):
    if value is None:
        return ""
    locale = _locale()
    tzinfo = getattr(value, "tzinfo", None)
    pattern = DATE_PATTERNS.get(locale.language)
    if pattern:
        return format_datetime(value, pattern, locale=locale, tzinfo=tzinfo)
    return format_skeleton("yMMMd", value, locale=locale, fuzzy=True, tzinfo=tzinfo)


def format_clock(value, seconds=False):
    if value is None:
        return ""
    return format_datetime(value, "HH:mm:ss" if seconds else "HH:mm", locale=_locale(), tzinfo=value.tzinfo)


def format_moment(value, seconds=False):
    """Date and time."""
    if value is None:
        return ""
    return f"{format_day(value)} {format_clock(value, seconds)}"


def format_count(value):
    return format_decimal(value, locale=_locale())


def script_messages():
    """What the site's own script (static/js/app.js) says, in the request's language;
    base.html hands them over in a data attribute. "{status}" is filled in by the script."""
    return {
        "403": _("You do not have permission to do this."),
        "404": _("This item no longer exists."),
        "413": _("The file is too large."),
        "429": _("Too many attempts. Please wait a minute and try again."),
        "400": _("The form expired. Please reload the page and try again."),
        "error": _("Something went wrong (error %(status)s). Please try again.", status="{status}"),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "unsaved": _("What you typed on this page is not saved yet. Leave the page and lose it?"),
    }


def text_direction(text):
    """"rtl" when the first letter of `text` is of a right-to-left script (Arabic, Hebrew, …),
    else "ltr": HTML's dir="auto", which WeasyPrint does not know. For dir="…" on a name in a
    PDF, so that "محمد الأحمد" or "דוד כהן 2" reads in its own order whatever surrounds it."""
    for char in text or "":
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def bidi_isolate(text):
    """`text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for a name in a run of text
    (a list of names): it keeps its own direction and its place. Without it, a Hebrew name next to an
    Arabic one in "…, דוד כהן, محمد الأحمد, …" swap places, the comma between them with them."""
    return f"\u2068{text}\u2069" if text else text


JINJA_FILTERS = {"day": format_day, "clock": format_clock, "moment": format_moment, "number": format_count,
                 "direction": text_direction, "isolate": bidi_isolate}


# --- WTForms' own messages ("This field is required.") ------------------------------
# Flask-WTF looks them up under the locale's full name, and for zh_Hant_TW gettext falls back
# to WTForms' "zh" catalog, which is Simplified Chinese. Its Taiwan catalog is "zh_TW".
WTFORMS_CATALOGS = {"zh_Hant_TW": "zh_TW"}


@cache
def _wtforms_catalog(locale):
    return Translations.load(messages_path(), [WTFORMS_CATALOGS.get(locale, locale)], domain="wtforms")


class WTFormsTranslations:
    """Given to Flask-WTF for each request; picks the catalog when a message is needed."""

    def ugettext(self, string):
        return _wtforms_catalog(str(_locale())).ugettext(string)

    def ungettext(self, singular, plural, n):
        return _wtforms_catalog(str(_locale())).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = WTFormsTranslations()


def _use_wtforms_translations():
    request.wtforms_translations = WTFORMS_TRANSLATIONS  # where flask_wtf.i18n looks first


def init_app(app):
    # The compiled catalogs are built, not committed: a deployment that skipped `make
    # translations` would otherwise speak English only (and issue Chinese certificates in it).
    try:
        compile_catalogs(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    except OSError:
        app.logger.warning("the translation catalogs could not be compiled; run `make translations`",
                           exc_info=True)
    app.register_blueprint(bp)
    app.before_request(_use_wtforms_translations)
    app.jinja_env.filters.update(JINJA_FILTERS)
    app.jinja_env.globals.update(language_tag=language_tag, language_names=LANGUAGE_NAMES,
                                 script_messages=script_messages)


# --- Catalogs -----------------------------------------------------------------------

def compile_catalogs(directory):
    """Compile every translations/<locale>/LC_MESSAGES/*.po whose .mo is missing or older
    (what `make translations` does with pybabel). Atomic, so parallel runs do not clash."""
    compiled = []
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if not name.endswith(".po"):
                continue
            po = os.path.join(root, name)
            mo = po[:-3] + ".mo"
            if os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(po):
                continue
            with open(po, "rb") as file:
                catalog = read_po(file)
            handle, temporary = tempfile.mkstemp(dir=root, suffix=".mo.tmp")
            with os.fdopen(handle, "wb") as file:
                write_mo(file, catalog)
            os.replace(temporary, mo)
            compiled.append(mo)
    return compiled
