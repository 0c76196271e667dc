"""Spreadsheet imports as background jobs: the check (dry run) and the save.

The web request only stores the uploaded file and starts a job (:func:`start_check`,
:func:`start_save`); the task runs the import's own functions
(:func:`activities.imports.upload` and :func:`~activities.imports.commit`: the same
forms, the same all-or-nothing transaction) with a progress callback, as the job's
owner, whose scope is read again when the task runs. The uploaded file waits for the
task in private storage (never MEDIA_ROOT), under a path owned by the job, and is
deleted once the check has read it; as before, the checked import keeps its bytes
(``ImportBatch.content``) until it is saved or cancelled.
"""

from __future__ import annotations

import hashlib

from celery import shared_task
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs.models import Job
from jobs.services import JobAlreadyRunning, JobFailed, JobTask, start_job
from kampungkb.storage import private_storage

from . import imports
from .models import ImportBatch

CHECK, SAVE = "check", "save"


class ImportAlreadyRunning(JobAlreadyRunning):
    def __str__(self):
        return _("This file is already being imported; wait for that import to finish.")


def upload_path(job_id: int) -> str:
    return f"imports/job-{job_id}.xlsx"


def _same(kind: str, sha256: str) -> dict:
    # One unfinished import job per user, kind and file: a second upload or a second
    # "Save" of the same file while one runs is refused (jobs' unique constraint).
    return {"import": kind, "sha256": sha256}


def start_check(user, kind: str, name: str, content: bytes) -> Job:
    """Store the file and start its dry run. Raises :class:`ImportAlreadyRunning`."""
    sha256 = hashlib.sha256(content).hexdigest()
    params = {"import": kind, "step": CHECK, "file": name[:200], "sha256": sha256}
    try:
        job = start_job(user, Job.Kind.IMPORT, params, import_job, same_as=_same(kind, sha256))
    except JobAlreadyRunning as exc:
        raise ImportAlreadyRunning(exc.job) from None
    # Written before the transaction commits, i.e. before the task is sent; at exactly
    # this name (a leftover of a rolled-back request would make the storage pick another).
    storage = private_storage()
    storage.delete(upload_path(job.pk))
    storage.save(upload_path(job.pk), ContentFile(content))
    # After the job is sent (on_commit callbacks run in order): a job that failed to be
    # sent (the broker down) leaves no file behind.
    transaction.on_commit(lambda: _drop_if_unsent(job.pk))
    return job


def _drop_if_unsent(job_id):
    if Job.objects.filter(pk=job_id, state=Job.State.FAILED).exists():
        private_storage().delete(upload_path(job_id))


def start_save(user, batch: ImportBatch) -> Job:
    """Start saving a checked import. Raises :class:`ImportAlreadyRunning`."""
    params = {"import": batch.kind, "step": SAVE, "file": batch.file_name, "batch": batch.pk}
    try:
        return start_job(
            user, Job.Kind.IMPORT, params, import_job, same_as=_same(batch.kind, batch.sha256)
        )
    except JobAlreadyRunning as exc:
        raise ImportAlreadyRunning(exc.job) from None


def unfinished_save(user, batch: ImportBatch) -> Job | None:
    return (
        Job.objects.visible_to(user)
        .unfinished()
        .filter(owner=user, kind=Job.Kind.IMPORT, params__step=SAVE, params__batch=batch.pk)
        .first()
    )


@shared_task(bind=True, base=JobTask, name="activities.import_job")
def import_job(self, job: Job):
    """Check or save an import as the job's owner; the result is the ImportBatch."""
    user, kind = job.owner, job.params["import"]
    # The owner's rights now, not at upload: a role removed meanwhile stops the import.
    if not user.is_active or kind not in dict(imports.available_kinds(user)):
        _drop_upload(job)
        raise JobFailed(_("You may no longer import this data."))

    def progress(done, total):  # every PROGRESS_ROWS rows; visible during the save too
        self.progress(done, total, force=True)

    if job.params["step"] == CHECK:
        return _check(job, user, kind, progress)
    return _save(job, user, progress)


def _check(job, user, kind, progress):
    storage = private_storage()
    try:
        with storage.open(upload_path(job.pk), "rb") as handle:
            content = handle.read(imports.MAX_BYTES + 1)
    except FileNotFoundError:
        raise JobFailed(_("The uploaded file is no longer available; upload it again.")) from None
    try:
        batch = imports.upload(user, kind, job.params["file"], content, progress=progress)
    finally:
        # Not reached when the worker is killed: the task, delivered again, finds it.
        storage.delete(upload_path(job.pk))
    summary = {"batch": batch.pk}
    if batch.status == ImportBatch.Status.INVALID:
        raise JobFailed(_errors_message(batch), summary=summary)
    return summary


def _save(job, user, progress):
    batch = ImportBatch.objects.editable_by(user).filter(pk=job.params["batch"]).first()
    if batch is None:
        raise JobFailed(
            _("This import can no longer be saved: it was saved, cancelled or found invalid.")
        )
    summary = {"batch": batch.pk}
    try:
        outcome = imports.commit(batch, user, progress=progress)
    except PermissionDenied:
        raise JobFailed(
            _("Nothing was saved: a row is outside what you may change."), summary=summary
        ) from None
    if not outcome.created:
        raise JobFailed(
            _("Nothing was saved: the file has errors now. See the list below."), summary=summary
        )
    return {**summary, "created": outcome.created}


def _errors_message(batch) -> str:
    if batch.file_error:
        return batch.file_error
    return ngettext(
        "%(n)s error in %(rows)s rows: nothing was saved. Correct the file and upload it again.",
        "%(n)s errors in %(rows)s rows: nothing was saved. Correct the file and upload it again.",
        batch.error_count,
    ) % {"n": batch.error_count, "rows": batch.row_count}


def _drop_upload(job):
    if job.params.get("step") == CHECK:
        private_storage().delete(upload_path(job.pk))
