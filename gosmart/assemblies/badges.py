"""Badge sheets: eight badges to an A4 page (two columns of four, cut along the dashed lines),
each with the role on a coloured band and in words, the name in whatever script it is written,
the organization, and the ticket's QR code for the door.

An assembly's sheet is made by the task worker (a General Assembly has hundreds of delegates):
the pages are rendered in chunks, each chunk on its own with one font configuration and one
parsed stylesheet for all, and joined with pypdf; the sheet's row counts the badges made, for
the progress bar. The layout is positioned boxes, never a flex or grid container spanning the
pages (WeasyPrint lays such a container out again for every page: 200 badges took 30 s).
`make_sheet` is what the task runs; `sheet_pdf` is the rendering alone (bench/badges.py)."""
import gc
import io

from flask import current_app, render_template
from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, update
from weasyprint.text.fonts import FontConfiguration

from .. import audit, uploads
from ..audit import utcnow
from ..extensions import db
from ..pdf import html_to_pdf, qr_png_data_uri, stylesheet
from ..tasks import app_context, huey
from .models import (
    BADGE_SHEET_FOLDER, BadgeSheet, BadgeSheetState as S, Registration, RegistrationState as RS, aware,
)

PER_PAGE = 8  # two columns of four on A4
PAGES_PER_CHUNK = 25  # 200 badges per render: about 2 CPU-seconds, and a bounded memory
# One mask pattern for every code: choosing the best of eight for each took a fifth of the sheet's
# time. Pattern 4 is the one segno chooses most often for tokens like ours; every mask decodes
# (tests/test_badges.py reads the codes of a page back).
QR_MASK = 4
FOLDER = BADGE_SHEET_FOLDER


def confirmed(assembly):
    """The assembly's confirmed registrations in the order of the sheet: by organization, then name."""
    return db.session.scalars(select(Registration).where(
        Registration.assembly_id == assembly.id, Registration.state == RS.CONFIRMED)
        .order_by(Registration.organization_id, Registration.name, Registration.id)).all()


def sheet_pdf(assembly, registrations, progress=None):
    """The PDF of the badges of `registrations`; `progress(n)` is called with the number of badges
    made after each chunk."""
    fonts = FontConfiguration()
    css = [stylesheet(render_template("pdf/badges.css"), fonts)]
    size = PER_PAGE * PAGES_PER_CHUNK
    parts = []
    for start in range(0, max(len(registrations), 1), size):
        chunk = registrations[start:start + size]
        pages = [[(r, qr_png_data_uri(r.checkin_token, mask=QR_MASK)) for r in chunk[i:i + PER_PAGE]]
                 for i in range(0, len(chunk), PER_PAGE)]
        parts.append(html_to_pdf(render_template("pdf/badges.html", assembly=assembly, pages=pages),
                                 stylesheets=css, font_config=fonts))
        if progress:
            progress(start + len(chunk))
    pdf = parts[0] if len(parts) == 1 else _joined(parts, _("Badges") + " · " + assembly.title)
    del parts
    gc.collect()  # renders leave cyclic garbage that only a full collection frees (once: it costs)
    return pdf


def _joined(parts, title):
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- The sheet made by the task worker --------------------------------------------------------

def start(assembly, actor):
    """A new sheet of the assembly's confirmed registrations, queued for the worker; an unfinished
    one that is still moving is returned instead of starting a second."""
    latest = latest_sheet(assembly)
    if latest is not None and not latest.is_finished and not is_stalled(latest):
        return latest
    total = len(confirmed(assembly))
    sheet = BadgeSheet(assembly_id=assembly.id, total=total, state=S.QUEUED, created_by_id=actor.id)
    db.session.add(sheet)
    audit.record("assembly.badges_started", sheet, actor=actor, details={"assembly": assembly.id, "total": total})
    db.session.commit()
    try:
        make_badge_sheet(sheet.id)
    except Exception:  # the queue (Redis) is down: the sheet says so once it counts as stalled
        current_app.logger.exception("badge sheet %s saved but not queued", sheet.id)
    return sheet


@huey.task(retries=2, retry_delay=5)
def make_badge_sheet(sheet_id):
    with app_context():
        make_sheet(sheet_id)


def make_sheet(sheet_id):
    """Render and store the sheet. Idempotent: a retried or doubly queued task renders it again,
    and only the first to finish stores its file (one guarded UPDATE), the others drop theirs."""
    started = db.session.execute(update(BadgeSheet).where(
        BadgeSheet.id == sheet_id, BadgeSheet.state.in_((S.QUEUED, S.RUNNING)))
        .values(state=S.RUNNING, updated_at=utcnow())).rowcount
    db.session.commit()
    if started != 1:
        return
    sheet = db.session.get(BadgeSheet, sheet_id)
    assembly = sheet.assembly
    try:
        registrations = confirmed(assembly)
        pdf = sheet_pdf(assembly, registrations, progress=lambda n: _moved(sheet_id, n))
    except Exception as error:  # said on the page; the secretariat may make it again
        current_app.logger.exception("badge sheet %s failed", sheet_id)
        db.session.rollback()
        _fail(sheet_id, error)
        return
    stored = uploads.store_bytes(pdf, "pdf", FOLDER, f"badges-{assembly.id}.pdf")
    finished = db.session.execute(update(BadgeSheet).where(BadgeSheet.id == sheet_id, BadgeSheet.state == S.RUNNING)
                                  .values(state=S.DONE, total=len(registrations), done=len(registrations),
                                          stored_name=stored.stored_name, sha256=stored.sha256,
                                          finished_at=utcnow(), updated_at=utcnow())).rowcount
    if finished != 1:  # made by another run meanwhile: this file goes with the rollback
        db.session.rollback()
        return
    audit.record("assembly.badges_made", sheet, details={"count": len(registrations), "sha256": stored.sha256})
    db.session.commit()


def _moved(sheet_id, done):
    db.session.execute(update(BadgeSheet).where(BadgeSheet.id == sheet_id, BadgeSheet.state == S.RUNNING)
                       .values(done=done, updated_at=utcnow()))
    db.session.commit()


def _fail(sheet_id, error):
    db.session.execute(update(BadgeSheet).where(BadgeSheet.id == sheet_id, BadgeSheet.state == S.RUNNING)
                       .values(state=S.FAILED, error=str(error)[:500] or type(error).__name__, updated_at=utcnow()))
    db.session.commit()


def latest_sheet(assembly):
    return db.session.scalar(select(BadgeSheet).where(BadgeSheet.assembly_id == assembly.id)
                             .order_by(BadgeSheet.id.desc()).limit(1))


def is_stalled(sheet, now=None):
    """Not finished and not moved for BULK_JOB_STALE_SECONDS: its worker stopped (or the queue lost
    it); the secretariat may start another."""
    if sheet.is_finished:
        return False
    return ((now or utcnow()) - aware(sheet.updated_at)).total_seconds() > current_app.config["BULK_JOB_STALE_SECONDS"]
