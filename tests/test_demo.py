from sqlalchemy import func, select

from gosmart.auth.models import User
from gosmart.extensions import db
from gosmart.demo import DEMO_ACCOUNTS, DEMO_PASSWORD


def test_demo_load_is_idempotent_and_every_login_reaches_its_home(app, make_client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    for email, *_ in DEMO_ACCOUNTS:
        assert email in first.output
    assert DEMO_PASSWORD in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == len(DEMO_ACCOUNTS)
    for email, *_ in DEMO_ACCOUNTS:
        client = make_client()
        response = client.login(email, DEMO_PASSWORD)
        assert response.status_code == 303, email
        assert client.get(response.headers["Location"]).status_code == 200


def test_demo_if_empty_leaves_an_existing_database_alone(app, users):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded again" in result.output


def test_demo_is_refused_in_production(app):
    app.config["DEMO_ALLOWED"] = False
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
    finally:
        app.config["DEMO_ALLOWED"] = True
    assert result.exit_code != 0 and "never loaded in production" in result.output
