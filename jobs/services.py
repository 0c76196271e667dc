"""Starting a job and running it: the API for every long piece of work.

A view calls :func:`start_job`; the work is a Celery task declared with
``base=JobTask``, whose ``run(job)`` does the work, reports ``self.progress(done,
total)``, may write ``self.save_result(name, content)``, returns a summary (a dict) or
raises :class:`JobFailed` with a message for the user::

    @shared_task(bind=True, base=JobTask)
    def export_something(self, job):
        ...

    job = start_job(request.user, Job.Kind.EXPORT, {"month": "2026-11"}, export_something)
"""

from __future__ import annotations

import datetime
import logging
import threading
import time

import celery
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kampungkb.background import enqueue
from kampungkb.notifications import notify

from .models import Job, params_key

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1.0  # seconds between progress writes (each is one UPDATE)


class JobAlreadyRunning(Exception):
    """The same job (owner, kind, parameters) is still waiting or running."""

    def __init__(self, job):
        super().__init__(_("The same task is already running; wait for it to finish."))
        self.job = job


class JobFailed(Exception):
    """Raised by a job's work with the message its owner sees (Indonesian by default),
    and optionally the summary kept with it (e.g. the import holding the row errors)."""

    def __init__(self, message, summary=None):
        super().__init__(message)
        self.summary = summary or {}


def start_job(user, kind: str, params: dict, task, *, same_as: dict | None = None) -> Job:
    """Create the job and queue ``task`` for it once the transaction commits. Raises
    :class:`JobAlreadyRunning` while the same job of this user is unfinished: the same
    ``params``, or the same ``same_as`` when given (the parameters that make two jobs
    the same, e.g. an import's kind and file hash but not the file's name)."""
    key = params_key(params if same_as is None else same_as)
    # A job left unfinished for longer than the broker would take to deliver it again
    # was lost (Redis restarted without its tasks): it no longer blocks a new start.
    stale = timezone.now() - datetime.timedelta(seconds=stale_after_seconds())
    for lost in Job.objects.unfinished().filter(
        owner=user, kind=kind, params_key=key, created_at__lt=stale
    ):
        _finish(
            lost,
            Job.State.FAILED,
            error=_("The task was lost and did not finish; it was started again."),
        )
    try:
        with transaction.atomic():
            job = Job.objects.create(owner=user, kind=kind, params=params, params_key=key)
    except IntegrityError:
        running = Job.objects.unfinished().filter(owner=user, kind=kind, params_key=key).first()
        raise JobAlreadyRunning(running) from None
    transaction.on_commit(lambda: _send(task, job.pk))
    return job


def stale_after_seconds() -> int:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    return options.get("visibility_timeout", 3600) + 3600


def _send(task, job_id):
    if enqueue(task, job_id) is None:
        _finish(
            Job.objects.get(pk=job_id),
            Job.State.FAILED,
            error=_("The background service is not available at the moment; try again later."),
        )


class JobTask(celery.Task):
    """Base class of job tasks: the task receives a job id; ``run(job)`` does the work.

    Marks the job running, then done (with the returned summary) or failed (with the
    :class:`JobFailed` message, or a general one: a traceback only goes to the log), and
    notifies its owner either way. A job already finished is not run again (a duplicate
    delivery); one found *running* was interrupted (a worker killed: the task is
    delivered again) and starts over, so a job's work must be safe to redo."""

    abstract = True
    # The job being run; a task object runs one job at a time in a process (the prefork
    # and solo pools; not the threads pool).
    job: Job | None = None
    _committed = False

    def __call__(self, job_id, *args, **kwargs):
        job = Job.objects.filter(pk=job_id).first()
        if job is None or job.is_finished:
            logger.info("Job %s: %s, not run", job_id, job.state if job else "not found")
            return None
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.RUNNING, started_at=timezone.now(), done=0, error=""
        )
        job.refresh_from_db()
        self.job, self._last_progress = job, 0.0
        # Run outside any transaction (a worker; an eager task after the commit): the job's
        # row is committed, and progress may be written on another connection (progress()).
        self._committed = not connection.in_atomic_block
        try:
            summary = self.run(job, *args, **kwargs)
        except JobFailed as exc:
            _finish(job, Job.State.FAILED, error=str(exc), summary=exc.summary)
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, self.name)
            _finish(
                job,
                Job.State.FAILED,
                error=_(
                    "The task stopped because of an unexpected error. Try again later; "
                    "if it happens again, tell the Dinas."
                ),
            )
        else:
            _finish(job, Job.State.DONE, summary=summary or {})
        finally:
            self.job = None
        return None

    def progress(self, done: int, total: int | None = None, force=False):
        """Record ``done`` of ``total``; written at most every PROGRESS_EVERY seconds."""
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY:
            return
        self._last_progress = now
        fields = {"done": done} if total is None else {"done": done, "total": total}
        if self._committed and connection.in_atomic_block and connection.vendor == "postgresql":
            # Inside the work's own transaction (an export reads in one) the row would stay
            # invisible to the job's page until the end: written on a connection of its own.
            _update_elsewhere(self.job.pk, fields)
        else:
            Job.objects.filter(pk=self.job.pk).update(**fields)

    def save_result(self, name: str, content: bytes | File):
        """Store the result file (private storage) under the download name ``name``;
        ``content``: bytes, or a File (a large result written to a temporary file)."""
        job = self.job
        if job.result_file:
            job.result_file.delete(save=False)
        if not isinstance(content, File):
            content = ContentFile(content)
        job.result_file.save(name, content, save=False)
        job.result_name = name
        Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name, result_name=name)


def _finish(job: Job, state: str, *, summary=None, error=""):
    Job.objects.filter(pk=job.pk).update(
        state=state, summary=summary or {}, error=error, finished_at=timezone.now()
    )
    if state == Job.State.DONE:  # the bar ends full, whatever the last progress write
        Job.objects.filter(pk=job.pk, total__isnull=False).update(done=F("total"))
    job.refresh_from_db()
    if state == Job.State.DONE:
        subject = _("Task finished: %(kind)s") % {"kind": job.get_kind_display()}
        body = _("Your task has finished. Open it to see the result.")
    else:
        subject = _("Task failed: %(kind)s") % {"kind": job.get_kind_display()}
        body = job.error
    notify(
        [job.owner],
        subject=subject,
        body=body,
        link=job.get_absolute_url(),
        event_key=f"job-{job.pk}-{state}",
    )


def _update_elsewhere(job_id: int, fields: dict) -> None:
    """``fields`` of the job written and committed on another database connection (a
    thread has its own), closed at once."""

    def write():
        try:
            Job.objects.filter(pk=job_id).update(**fields)
        finally:
            connection.close()

    thread = threading.Thread(target=write, name=f"job-{job_id}-progress")
    thread.start()
    thread.join()
