from datetime import date

from sqlalchemy import func, select

from gosmart.assemblies.models import Assembly
from gosmart.auth.models import User
from gosmart.members.models import Application, HonoraryMember, Organization
from gosmart.minutes.models import Meeting
from gosmart.mou.models import Mou
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
    counts = (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Organization.id))),
              db.session.scalar(select(func.count(Application.id))))
    runner.invoke(args=["demo", "load"])
    assert counts == (db.session.scalar(select(func.count(User.id))),
                      db.session.scalar(select(func.count(Organization.id))),
                      db.session.scalar(select(func.count(Application.id))))
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


def test_demo_reproduces_the_figures_of_2019_06_19(app):
    app.test_cli_runner().invoke(args=["demo", "load"])
    by_category = dict(db.session.execute(
        select(Organization.category, func.count()).group_by(Organization.category)).all())
    assert by_category == {"city": 91, "industry": 54, "academic": 5}
    assert db.session.scalar(select(func.count(HonoraryMember.id))) == 1
    taipei = db.session.scalar(select(Organization).where(Organization.membership_number == "GS-2018-0001"))
    assert (taipei.name, taipei.name_local, str(taipei.member_since)) == ("Taipei City", "臺北市", "2018-12-28")
    dates = db.session.scalars(select(Organization.member_since)).all()
    assert min(dates).isoformat() == "2018-12-28" and max(dates).isoformat() == "2019-06-19"
    states = db.session.scalars(select(Application.state)).all()
    assert set(states) >= {"draft", "submitted", "changes_requested", "resubmitted"}
    mine = db.session.scalar(select(Application).join(Application.applicant)
                             .where(User.email == "applicant@demo.gosmart.org"))
    assert mine is not None


def test_the_lgaq_mou_and_the_first_committee_meetings_link_to_the_first_general_assembly(app):
    app.test_cli_runner().invoke(args=["demo", "load"])
    assembly = db.session.scalar(select(Assembly).where(Assembly.title == "First General Assembly"))
    lgaq = db.session.scalar(select(Mou).where(Mou.partner_name == "Local Government Association of Queensland"))
    meetings = db.session.scalars(select(Meeting).where(Meeting.held_on == date(2019, 3, 27))).all()
    assert lgaq.assembly_id == assembly.id
    assert meetings and {m.assembly_id for m in meetings} == {assembly.id}
