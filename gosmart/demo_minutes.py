"""Demo committees and minutes: the Strategy Committee (SC) and the Preparation and
Advisory Commission (PAC); the Strategy Committee's minutes of 2019-03-27 (Taipei City
elected first chair for two years; the MOU with LGAQ noted), published to members;
and the Commission's minutes of 2019-06-19, a draft in progress. Loaded idempotently."""
from datetime import date, timedelta

from sqlalchemy import select

from . import demo_members as data
from .audit import utcnow
from .extensions import db
from .members.models import Organization
from .minutes.models import (
    Audience, Committee, CommitteeMember, Meeting, Minutes, MinutesRevision, MinutesState, Resolution,
    ResolutionCounter, RevisionKind,
)
from .minutes.services import plain_text

FIRST_MEETING = date(2019, 3, 27)
VENUE = "Taipei International Convention Center"
COMMITTEES = [
    # code, name, description, chair organization, chair person, term, members (organizations, then people)
    ("SC", "Strategy Committee",
     "Sets GO SMART's strategy and work programme between General Assemblies.",
     "Taipei City", None, (FIRST_MEETING, date(2021, 3, 26)),
     ["Taipei City", "Brisbane", "Amsterdam", "Fukuoka", "Manchester"], []),
    ("PAC", "Preparation and Advisory Commission",
     "Prepared the founding of GO SMART and advises the secretariat on membership and assemblies.",
     None, data.HONORARY["name"], (date(2018, 12, 28), None),
     ["New Taipei City", "Taoyuan City", "Kaohsiung City"], [data.HONORARY["name"]]),
]
CHAIR_RESOLUTION = ("Taipei City is elected the first chair of the Strategy Committee for a two-year term, "
                    "from 27 March 2019 to 26 March 2021.")
LGAQ_RESOLUTION = ("The Strategy Committee notes the Memorandum of Understanding between GO SMART and the Local "
                   "Government Association of Queensland (LGAQ), signed in Taipei on 27 March 2019, and asks the "
                   "secretariat to bring Queensland councils and GO SMART members together on proof-of-concept "
                   "projects.")


def _sc_minutes(seats):
    statuses = {"Taipei City": "present", "Brisbane": "present", "Amsterdam": "excused", "Fukuoka": "present",
                "Manchester": "absent"}
    return {
        "held_on": FIRST_MEETING.isoformat(), "place": VENUE,
        "attendance": [{"member": seat.id, "name": seat.name, "status": statuses.get(seat.name, "present")}
                       for seat in seats],
        "guests": ["A delegation of the Local Government Association of Queensland (LGAQ)",
                   "The GO SMART secretariat"],
        "items": [
            {"title": "Opening and adoption of the agenda",
             "discussion": "The meeting opened at 17:30, after the **First General Assembly**. "
                           "The agenda was adopted without change."},
            {"title": "Election of the first chair",
             "discussion": "The secretariat recalled that Taipei City founded GO SMART in 2018.\n\n"
                           "- Taipei City was proposed as the first chair, for a two-year term.\n"
                           "- No other candidate was proposed.\n\n"
                           "The committee elected Taipei City unanimously (resolution SC-2019-01)."},
            {"title": "Memorandum of Understanding with LGAQ",
             "discussion": "The MOU with the Local Government Association of Queensland was signed this afternoon "
                           "at the General Assembly. Brisbane described how Queensland councils pilot smart-city "
                           "solutions; members welcomed *proof-of-concept* projects with them "
                           "([LGAQ](https://www.lgaq.asn.au))."},
            {"title": "Work programme 2019",
             "discussion": "The chair will propose a work programme before the membership figures of June."},
        ],
        "resolutions": [{"number": "SC-2019-01", "text": CHAIR_RESOLUTION},
                        {"number": "SC-2019-02", "text": LGAQ_RESOLUTION}],
        "action_items": [
            {"description": "Circulate the MOU with LGAQ to all members", "owner": "Secretariat",
             "due_on": "2019-04-30", "status": "done"},
            {"description": "Propose the 2019 work programme", "owner": "Taipei City", "due_on": "2019-06-19",
             "status": "done"},
        ],
    }


def _pac_draft(seats):
    return {
        "held_on": data.FIGURES_DATE.isoformat(), "place": "GO SMART secretariat, Taipei",
        "attendance": [{"member": seat.id, "name": seat.name, "status": "present"} for seat in seats],
        "guests": [],
        "items": [
            {"title": "Membership figures",
             "discussion": "On 19 June 2019 GO SMART has **151 members**: 91 cities, 54 companies, "
                           "5 academic and corporate bodies, and 1 honorary member."},
            {"title": "Preparing the next General Assembly",
             "discussion": "First ideas (to be completed):\n\n- dates alongside the Smart City Summit & Expo\n- "},
        ],
        "resolutions": [{"number": None, "text": "The Commission recommends holding the next General Assembly "
                                                 "with the Smart City Summit & Expo in Taipei."}],
        "action_items": [{"description": "Ask members for agenda proposals", "owner": "Secretariat",
                          "due_on": None, "status": "open"}],
    }


def _committee(code, name, description, chair, chair_person, term, organizations, people):
    committee = db.session.scalar(select(Committee).where(Committee.code == code))
    if committee is not None:
        return committee
    by_name = dict(db.session.execute(select(Organization.name, Organization.id)
                                      .where(Organization.name.in_(organizations))).all())
    committee = Committee(code=code, name=name, description=description, chair_organization_id=by_name.get(chair),
                          chair_person=chair_person, term_start=term[0], term_end=term[1])
    committee.members = ([CommitteeMember(organization_id=by_name[o]) for o in organizations if o in by_name]
                         + [CommitteeMember(person_name=p) for p in people])
    db.session.add(committee)
    db.session.flush()
    return committee


def _minutes(committee, contents, authors, state, audience=None):
    """Minutes whose revisions are `contents` (oldest first), the last one current."""
    held_on = date.fromisoformat(contents[-1]["held_on"])
    last = contents[-1]
    meeting = Meeting(committee_id=committee.id, held_on=held_on, place=last["place"])
    minutes = Minutes(meeting=meeting, state=state, audience=audience, content=last,
                      current_revision=len(contents), search_text=plain_text(last).lower())
    db.session.add_all([meeting, minutes])
    db.session.flush()
    start = utcnow() - timedelta(days=2)
    for number, (content, (author, kind)) in enumerate(zip(contents, authors), 1):
        db.session.add(MinutesRevision(minutes_id=minutes.id, number=number, kind=kind, content=content,
                                       author_id=author.id, created_at=start + timedelta(hours=number)))
    return minutes


def load_minutes(secretariat):
    committees = {}
    for code, *rest in COMMITTEES:
        committees[code] = _committee(code, *rest)
    sc, pac = committees["SC"], committees["PAC"]
    if not db.session.scalar(select(Meeting.id).where(Meeting.committee_id == sc.id,
                                                      Meeting.held_on == FIRST_MEETING)):
        final = _sc_minutes(sc.members)
        unnumbered = dict(final, resolutions=[dict(r, number=None) for r in final["resolutions"]])
        first = dict(unnumbered, items=unnumbered["items"][:2], resolutions=unnumbered["resolutions"][:1],
                     action_items=[])
        minutes = _minutes(sc, [first, unnumbered, final],
                           [(secretariat, RevisionKind.CREATED), (secretariat, RevisionKind.SAVED),
                            (secretariat, RevisionKind.APPROVED)],
                           MinutesState.PUBLISHED, Audience.MEMBERS)
        minutes.approved_at = minutes.published_at = utcnow() - timedelta(days=1)
        minutes.approved_by_id = secretariat.id
        db.session.add_all(Resolution(number=r["number"], committee_id=sc.id, minutes_id=minutes.id)
                           for r in final["resolutions"])
        counter = db.session.get(ResolutionCounter, (sc.id, 2019)) or ResolutionCounter(
            committee_id=sc.id, year=2019, last_number=0)
        counter.last_number = max(counter.last_number or 0, len(final["resolutions"]))
        db.session.add(counter)
    if not db.session.scalar(select(Meeting.id).where(Meeting.committee_id == pac.id,
                                                      Meeting.held_on == data.FIGURES_DATE)):
        draft = _pac_draft(pac.members)
        started = dict(draft, items=draft["items"][:1], resolutions=[], action_items=[])
        _minutes(pac, [started, draft],
                 [(secretariat, RevisionKind.CREATED), (secretariat, RevisionKind.AUTOSAVED)], MinutesState.DRAFT)
