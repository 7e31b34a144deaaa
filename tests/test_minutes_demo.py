"""The demo's committees and minutes, as a new user meets them."""
import io
from datetime import date

import pypdf
from sqlalchemy import func, select

from gosmart.auth.models import User
from gosmart.demo import DEMO_PASSWORD
from gosmart.extensions import db
from gosmart.minutes import services
from gosmart.minutes.models import Committee, Meeting, Minutes, MinutesRevision, Resolution


def totals():
    return [db.session.scalar(select(func.count()).select_from(model))
            for model in (Committee, Meeting, Minutes, MinutesRevision, Resolution)]


def test_demo_committees_and_minutes_are_loaded_once_and_read_by_taipei(app, make_client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    loaded = totals()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert totals() == loaded  # idempotent

    sc, pac = (db.session.scalar(select(Committee).where(Committee.code == code)) for code in ("SC", "PAC"))
    assert (sc.name, sc.chair_name, sc.term_start, sc.term_end) == (
        "Strategy Committee", "Taipei City", date(2019, 3, 27), date(2021, 3, 26))
    assert pac.name == "Preparation and Advisory Commission" and len(pac.members) == 4
    first = db.session.scalar(select(Minutes).join(Minutes.meeting).where(Meeting.committee_id == sc.id))
    assert (first.meeting.held_on, first.state, first.audience) == (date(2019, 3, 27), "published", "members")
    resolutions = {r["number"]: r["text"] for r in first.content["resolutions"]}
    assert "Taipei City is elected the first chair" in resolutions["SC-2019-01"]
    assert "two-year term" in resolutions["SC-2019-01"]
    assert "Local Government Association of Queensland (LGAQ)" in resolutions["SC-2019-02"]
    draft = db.session.scalar(select(Minutes).join(Minutes.meeting).where(Meeting.committee_id == pac.id))
    assert draft.state == "draft" and draft.current_revision == 2
    assert services.compare_with_previous(draft, 2)[2]  # the draft's history has differences to show

    taipei = make_client()
    assert taipei.login("taipei@demo.gosmart.org", DEMO_PASSWORD).status_code == 303
    listing = taipei.get("/minutes/").get_data(as_text=True)
    assert '<li><a href="/minutes/">Minutes</a></li>' in listing  # the navigation link
    assert f'href="/minutes/{first.id}"' in listing and f'href="/minutes/{draft.id}"' not in listing
    page = taipei.get(f"/minutes/{first.id}").get_data(as_text=True)
    assert "SC-2019-01" in page and "<strong>First General Assembly</strong>" in page
    pdf = taipei.get(f"/minutes/{first.id}.pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "SC-2019-01" in text and "SC-2019-02" in text and "LGAQ" in text
    assert make_client().get(f"/minutes/{first.id}").status_code == 404  # members only

    secretariat = db.session.scalar(select(User).where(User.email == "secretariat@demo.gosmart.org"))
    later = services.create_minutes(sc, date(2019, 9, 1), "Online", secretariat)
    services.save(later, {"held_on": date(2019, 9, 1), "place": "Online", "items": [{"title": "Follow-up"}],
                          "resolutions": [{"text": "A third resolution."}]}, 1, secretariat)
    assert services.approve(later, 2, secretariat) == ["SC-2019-03"]  # the demo's numbers are not given again
