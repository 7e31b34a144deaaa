"""Issuing certificates: once per holder under concurrency, never a file without its row, a
revoked certificate stays revoked, and no GET issues one."""
import pytest
from sqlalchemy import func, select

from gosmart.certificates.models import Certificate
from gosmart.checkin import attendance
from gosmart.extensions import db

from .concurrency import in_threads
from .test_certificates import attended  # noqa: F401  (fixture)
from .test_operations import outage  # noqa: F401  (fixture)


def certificate_files(app):
    """The stored certificate PDFs, wherever the storage keeps them."""
    folder = app.config["UPLOAD_DIR"] / "certificates"
    on_disk = {p.name for p in folder.iterdir()} if folder.exists() else set()
    return on_disk


@pytest.mark.postgres
def test_eight_simultaneous_clicks_on_an_attendance_link_give_everyone_the_one_certificate(
        app, is_postgres, attended, make_client):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    _assembly, people = attended
    url = f"/attendance/{attendance.link_token(people[0])}"
    clients = [make_client() for _ in range(8)]
    tokens = [c.csrf_token(url) for c in clients]

    def click(i):
        response = clients[i].raw.post(url, data={"csrf_token": tokens[i]})
        return response.status_code, response.data

    results = in_threads(app, 8, click, errors=(Exception,))
    errors = [r for r in results if isinstance(r, Exception) or r[0] != 200]
    print("RESULTS", [r if isinstance(r, Exception) else r[0] for r in results])
    pdfs = {r[1] for r in results if not isinstance(r, Exception) and r[0] == 200}
    rows = db.session.scalars(select(Certificate)).all()
    print("ROWS", len(rows), "FILES", len(certificate_files(app)))
    assert not errors, errors
    assert len(rows) == 1 and len(pdfs) == 1
    assert certificate_files(app) == {rows[0].stored_name}
