"""CSV exports: no cell a spreadsheet could run as a formula, whatever width or invisible
character it hides behind, and every CSV the application serves goes through the one function."""
import csv
import io
import secrets
from pathlib import Path

import re

import pytest

from gosmart.assemblies.models import Registration
from gosmart.csvexport import safe_cell
from gosmart.extensions import db

GOSMART = Path(__file__).resolve().parents[3] / "gosmart"
WRITES_CSV = re.compile(r"^\s*(import csv\b|from csv import)|csv\.writer|DictWriter|text/csv", re.MULTILINE)

DANGEROUS = [
    "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
    "＝cmd|' /C calc'!A0",   # full-width equals sign
    "＋1+1", "－1+1", "＠SUM(A1)",  # full-width plus, hyphen-minus, commercial at
    "﹦1", "﹢1", "﹣1", "﹫x",  # small forms
    "\u2212" + "1+1",       # minus sign
    "\u200b=1+1",            # zero-width space, then a formula
    "\ufeff=1+1",            # a byte-order mark, then a formula
    "\u202e=1+1", "\u2066=1", "\u2060=1",  # bidi override, isolate, word joiner
    " =1+1", "\u00a0=1", "\u3000＝1",  # spaces (a spreadsheet trims them)
    "\x00=1",
]
HARMLESS = ["Taipei City", "臺北市", "2019-03-27", "GS-2019-0001", "a=b", "Dr. Eve", "", "ليلى", "\u200bTaipei"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_every_way_of_starting_a_formula_is_neutralized(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_ordinary_text_is_left_as_it_is(value):
    assert safe_cell(value) == value


def test_a_full_width_formula_in_a_name_is_neutralized_in_the_export(world):
    """Through HTTP: a registration named with a full-width ＝ (as a form before the name filter,
    an import or the database may hold it) comes out of the registrations CSV as text."""
    name = "\u200b＝HYPERLINK(\"http://evil.example\",\"x\")"
    db.session.add(Registration(assembly_id=world.assembly.id, name=name, email="evil@example.org", role="guest",
                                state="waiting", checkin_token=secrets.token_urlsafe(24), outside_quota=True))
    db.session.commit()
    response = world.client("secretariat").get(f"/assemblies/{world.assembly.id}/registrations.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    names = [row[3] for row in rows[1:]]
    assert "'" + name in names and name not in names


def test_no_csv_is_written_outside_the_one_function():
    """Every CSV response is made by gosmart.csvexport.csv_response (which escapes each cell):
    no other module writes CSV or answers with a CSV content type."""
    offenders = []
    for path in GOSMART.rglob("*.py"):
        if path.name == "csvexport.py":
            continue
        source = path.read_text(encoding="utf-8")
        if WRITES_CSV.search(source):
            offenders.append(str(path.relative_to(GOSMART)))
    assert offenders == []
