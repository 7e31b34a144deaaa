"""PDFs: text that reaches a PDF (certificate holders, ticket and badge names and
organizations, the assembly, minutes text and Markdown) may carry file:// and http://
addresses, <link rel="attachment">, <img>, CSS @import: nothing is fetched (a local
listener records no request), nothing is read from the disk, nothing is embedded."""
import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from sqlalchemy import select

from gosmart.assemblies.models import BadgeSheet
from gosmart.certificates.models import Certificate
from gosmart.extensions import db, limiter


class _Recorder(BaseHTTPRequestHandler):
    seen = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: url(/from-css) }")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Recorder.seen
    server.shutdown()
    server.server_close()


def badge_sheet(client, assembly):
    """The badge sheet as the secretariat gets it: asked for, made by the task (inline here), downloaded."""
    assert client.post(f"/assemblies/{assembly.id}/badges", data={}).status_code == 303
    sheet = db.session.scalars(select(BadgeSheet).order_by(BadgeSheet.id.desc())).first()
    return client.get(f"/assemblies/{assembly.id}/badges/{sheet.id}.pdf")


def hostile(port, label):
    """Every way HTML or CSS could make the renderer read a file or call an address."""
    http = f"http://127.0.0.1:{port}/{label}"
    return (f'{label} file:///etc/passwd {http} <img src="file:///etc/passwd"><img src="{http}-img">'
            f'<link rel="attachment" href="file:///etc/passwd"><a rel="attachment" href="{http}-att">a</a>'
            f'<style>@import url("{http}-css");</style><iframe src="{http}-frame"></iframe>'
            f'<object data="file:///etc/passwd"></object><svg><image href="{http}-svg"/></svg>'
            f'url({http}-url)')


def markdown(port, label):
    http = f"http://127.0.0.1:{port}/{label}"
    return (f"![img]({http}-md-img) ![passwd](file:///etc/passwd) [att]({http}-md-link) "
            f'<link rel="attachment" href="file:///etc/passwd"> <{http}-autolink>\n\n' + hostile(port, label))


def check_pdf(data, label):
    reader = PdfReader(io.BytesIO(data))
    assert not reader.attachments, f"{label}: embedded {list(reader.attachments)}"
    root = reader.trailer["/Root"]
    assert "/EmbeddedFiles" not in root.get("/Names", {}), label
    text = "".join(page.extract_text() for page in reader.pages)
    assert "root:x:0:0" not in text and "/bin/bash" not in text, f"{label}: /etc/passwd is in the PDF"
    return text


def test_hostile_text_in_every_field_that_reaches_a_pdf_fetches_and_embeds_nothing(app, world, listener,
                                                                                    monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    port, seen = listener
    w = world
    # Names and places as the forms would store them.
    w.org_a.name, w.org_a.name_local = hostile(port, "org-name")[:200], hostile(port, "org-local")[:200]
    w.assembly.title, w.assembly.venue, w.assembly.city = (hostile(port, "assembly")[:200],
                                                           hostile(port, "venue")[:200], hostile(port, "city")[:100])
    for key in ("a", "checked"):
        w.registrations[key].name = hostile(port, f"delegate-{key}")[:200]
        w.registrations[key].title = hostile(port, f"title-{key}")[:200]
    db.session.commit()
    secretariat = w.client("secretariat")
    # The secretariat issues the membership certificate again, with the name as it is now.
    assert secretariat.post(f"/members/{w.org_a.id}/certificate", data={}).status_code == 303

    pdfs = {
        "membership certificate": w.client("rep_a").get("/my-organization/certificate.pdf"),
        "ticket": w.client("rep_a").get(f"/assemblies/{w.assembly.id}/registrations/{w.registrations['a'].id}"
                                        "/ticket.pdf"),
        "badges": badge_sheet(secretariat, w.assembly),
        "attendance certificate": w.client("visitor").post(
            f"/attendance/{w.tokens['checkin.attendance_certificate']}", data={}),
    }

    granted = secretariat.post("/honorary/new", data={
        "name": hostile(port, "honorary")[:200], "email": "new-honorary@example.org",
        "title": hostile(port, "hon-title")[:200], "affiliation": hostile(port, "hon-affiliation")[:200],
        "citation": hostile(port, "citation")[:2000]})
    assert granted.status_code == 303
    newest = db.session.scalars(select(Certificate).where(Certificate.kind == "honorary")
                                .order_by(Certificate.id.desc())).first()
    pdfs["honorary certificate"] = secretariat.get(f"/certificates/{newest.id}.pdf")

    minutes = w.minutes["draft"]
    edit = secretariat.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    based_on = edit.split('name="based_on"')[1].split('value="')[1].split('"')[0]
    saved = secretariat.post(f"/minutes/{minutes.id}/edit", data={
        "based_on": based_on, "held_on": "2019-03-01", "place": hostile(port, "place")[:200],
        "guests": hostile(port, "guests"), "items-0-title": hostile(port, "item")[:300],
        "items-0-discussion": markdown(port, "discussion"), "resolutions-0-text": markdown(port, "resolution"),
        "action_items-0-description": hostile(port, "action")[:500], "action_items-0-owner": "Taipei",
        "action_items-0-status": "open"})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]
    pdfs["minutes"] = secretariat.get(f"/minutes/{minutes.id}.pdf")

    for label, response in pdfs.items():
        assert response.status_code == 200 and response.mimetype == "application/pdf", label
        text = check_pdf(response.data, label)
        assert "file:///etc/passwd" in text.replace("\n", "") or label.endswith("badges"), \
            f"{label}: the hostile text should be printed as text"
    assert seen == [], f"the PDF renderer fetched {seen}"
