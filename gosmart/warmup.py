"""What every process would otherwise load on its first requests, loaded once in gunicorn's
master (gunicorn.conf.py, with preload_app) so that each worker it forks starts warm and
shares it: every template compiled, the mappers configured, each language's catalogs and
country names read. Without it, a worker replaced after GUNICORN_MAX_REQUESTS answers its
first requests several times slower."""
from flask_babel import force_locale, gettext
from sqlalchemy.orm import configure_mappers

from .auth.services import dummy_hash
from .members.forms import country_choices


def warm_up(app):
    configure_mappers()
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt"))):
        app.jinja_env.get_template(name)
    with app.test_request_context():
        dummy_hash()  # the unknown-email password check, made once for every worker
        for locale in app.config["LANGUAGES"]:
            with force_locale(locale):
                gettext("Member directory")
                country_choices()
