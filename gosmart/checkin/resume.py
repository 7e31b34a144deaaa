"""Bulk certificate jobs that stopped moving are queued again.

A job can stop without an error that Huey would retry: its worker process was killed
(SIGKILL, out of memory, the host went down), or the queue lost its tasks (Redis restarted
without persistence, or was down when the job was queued). The database knows better than
the queue: a job that is not finished and whose count of certificates has not moved for
BULK_JOB_STALE_SECONDS is run again. That is safe because every step is idempotent: a
chunk skips the registrations that already have a certificate (and a unique index refuses
a second one), progress is counted from the certificates, and one guarded UPDATE decides
who makes the ZIP.

The check runs in the task workers: at start and every minute (a periodic task)."""
import logging
import time

from flask import current_app
from huey import crontab
from sqlalchemy import select, update

from .. import audit
from ..certificates.models import BulkJob
from ..extensions import db
from ..tasks import app_context, huey
from . import attendance

logger = logging.getLogger("gosmart.jobs")
UNFINISHED = ("queued", "running", "zipping")
MAX_RESUMES = 3  # a job that does not move after this many restarts fails, for a person to look at


def _watch_key(job_id):
    """Where the workers note a job's position (certificates made, state), since when it has
    not moved, and how often it was queued again without moving since."""
    return f"gosmart:bulkjob:{job_id}:watch"


def resume_stalled(now=None):
    """Queue again each unfinished job that has not moved for the stale time; the ids resumed.
    Two workers that check at the same moment may both queue a job: harmless, as above."""
    now = time.time() if now is None else now
    stale = current_app.config["BULK_JOB_STALE_SECONDS"]
    # Tasks still waiting in the queue: a job may simply be behind them (another large job), so
    # no job counts as stalled until the queue has drained; its clock starts again then.
    waiting = huey.pending_count() > 0
    resumed = []
    for job in db.session.scalars(select(BulkJob).where(BulkJob.state.in_(UNFINISHED)).order_by(BulkJob.id)).all():
        position = [attendance._progress(job), job.state]
        seen = huey.get(_watch_key(job.id), peek=True)
        if waiting or seen is None or list(seen[:2]) != position:
            huey.put(_watch_key(job.id), (*position, now, 0))  # moving, or first seen: look again later
            continue
        _position, _state, since, resumes = seen
        if now - since < stale:
            continue
        if resumes >= MAX_RESUMES:
            logger.error("bulk job %s did not move after %s restarts: marked failed", job.id, resumes)
            db.session.execute(update(BulkJob).where(BulkJob.id == job.id, BulkJob.state.in_(UNFINISHED)).values(
                state="failed", error=f"It stopped making progress and did not move after {resumes} restarts; "
                                      "see the task workers' logs."))
            audit.record("certificate.bulk_failed", job, details={"done": position[0], "total": job.total})
            db.session.commit()
            continue
        logger.warning("bulk job %s has not moved for %.0f s (%s, %s of %s done): queued again",
                       job.id, now - since, job.state, position[0], job.total)
        if job.state == "zipping":  # the ZIP maker died: the next chunk's _finish takes it again
            db.session.execute(update(BulkJob).where(BulkJob.id == job.id, BulkJob.state == "zipping")
                               .values(state="running"))
            db.session.commit()
            position[1] = "running"
        attendance.run_bulk_job(job.id, job.email_links)
        huey.put(_watch_key(job.id), (*position, now, resumes + 1))
        resumed.append(job.id)
    db.session.rollback()  # end the read transaction
    return resumed


@huey.periodic_task(crontab(), retries=0)
def resume_stalled_jobs():
    with app_context():
        resume_stalled()
