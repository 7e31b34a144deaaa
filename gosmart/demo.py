"""`flask demo load`: the demo data of PRODUCT.md, loaded idempotently.

Never in production: the accounts share one published password."""
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .auth.models import Role, User
from .auth.services import hash_password
from .audit import utcnow
from .extensions import db
from .members.models import Category, MemberStatus, Organization

DEMO_PASSWORD = "gosmart-demo"
DEMO_ACCOUNTS = [
    # email, name, role, organization membership number
    ("secretariat@demo.gosmart.org", "Secretariat (demo)", Role.SECRETARIAT, None),
    ("taipei@demo.gosmart.org", "Taipei City representative (demo)", Role.REPRESENTATIVE, "GS-2019-0001"),
    ("honorary@demo.gosmart.org", "Honorary member (demo)", Role.HONORARY, None),
    ("door@demo.gosmart.org", "Door staff (demo)", Role.DOOR_STAFF, None),
    ("applicant@demo.gosmart.org", "Applicant (demo)", Role.APPLICANT, None),
]

demo_cli = AppGroup("demo", help="Demo data (development only).")


def _refuse_in_production():
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data is never loaded in production.")


def is_empty():
    return db.session.scalar(select(User.id).limit(1)) is None


def load():
    """Create whatever part of the demo is missing; running it again changes nothing."""
    taipei = db.session.scalar(select(Organization).where(Organization.membership_number == "GS-2019-0001"))
    if taipei is None:
        taipei = Organization(
            name="Taipei City", name_local="臺北市", category=Category.CITY, country="TW",
            membership_number="GS-2019-0001", member_since=date(2018, 12, 28), status=MemberStatus.ACTIVE,
        )
        db.session.add(taipei)
        db.session.flush()
    organizations = {"GS-2019-0001": taipei}
    password_hash = None
    for email, name, role, number in DEMO_ACCOUNTS:
        if db.session.scalar(select(User).where(User.email == email)):
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        db.session.add(User(
            email=email, name=name, role=role, password_hash=password_hash,
            organization=organizations.get(number), email_confirmed_at=utcnow(),
        ))
    db.session.commit()


def print_logins():
    click.echo(" * Demo logins (password: %s):" % DEMO_PASSWORD)
    for email, _name, role, _number in DEMO_ACCOUNTS:
        click.echo(f"     {str(role.label):<24} {email}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Load only into an empty database.")
def load_command(if_empty):
    """Load the demo data (idempotent) and print the demo logins."""
    _refuse_in_production()
    if if_empty and not is_empty():
        click.echo(" * Database already has data; demo not loaded again.")
    else:
        load()
        click.echo(" * Demo data loaded.")
    print_logins()


@demo_cli.command("logins")
def logins_command():
    """Print the demo logins."""
    _refuse_in_production()
    print_logins()
