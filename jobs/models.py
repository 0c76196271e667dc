"""A background job as its owner sees it: what was asked, how far it got, its result.

Celery carries the work; this row is the portal's record of it (Celery's own result
backend is not used): who started it (the scope: the owner sees their jobs, the Dinas
all), the parameters, the state, rows done of total, a result file in private storage
(served only through the scoped download view, deleted after ``JOB_RESULT_DAYS``) or a
summary, and an error message in Indonesian, never a traceback.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kampungkb.choices import ChoiceLabelsMixin
from kampungkb.scopes import get_scope
from kampungkb.storage import private_storage


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is its owner's; the Dinas sees every job."""
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.is_dinas:
            return self.all()
        return self.filter(owner=user)

    def editable_by(self, user):
        """Nobody edits a job: its task writes it."""
        return self.none()

    def unfinished(self):
        return self.filter(state__in=Job.UNFINISHED)


def params_key(params: dict) -> str:
    """The same key for the same parameters whatever their order."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def result_upload_to(instance, filename):
    return f"jobs/{instance.created_at:%Y/%m}/{instance.pk}-{filename}"


# Labels of the parameter and summary keys the portal's jobs use (others are shown as
# they are).
PARAM_LABELS = {
    "first": _("From month"),
    "last": _("To month"),
    # An export job (reports.downloads): which download, in which format, filtered how.
    "download": _("Report"),
    "format": _("File format"),
    "query": _("Filters in the address"),
    "language": _("Language"),
}
SUMMARY_LABELS = {
    "months": _("Months"),
    "rows": _("Rows written"),
}


class Job(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        RECOMPUTE = "recompute", _("Quality recompute")
        IMPORT = "import", _("Spreadsheet import")
        EXPORT = "export", _("Export")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    UNFINISHED = (State.QUEUED, State.RUNNING)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="jobs", verbose_name=_("started by")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    params_key = models.CharField(max_length=64, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    result_file = models.FileField(
        _("result file"), storage=private_storage, upload_to=result_upload_to, blank=True
    )
    result_name = models.CharField(_("file name"), max_length=200, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One unfinished job per owner, kind and parameters: a second identical
            # start (a double click, an impatient re-upload) is refused, not run twice.
            models.UniqueConstraint(
                fields=["owner", "kind", "params_key"],
                condition=Q(state__in=["queued", "running"]),
                name="job_once_while_unfinished",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["finished_at"], condition=~Q(result_file=""), name="job_files"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self):
        return reverse("jobs:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state not in self.UNFINISHED

    def param_items(self):
        return [(PARAM_LABELS.get(key, key), value) for key, value in self.params.items()]

    def summary_items(self):
        """The summary as (label, value) pairs, labelled in the user's language."""
        return [(SUMMARY_LABELS.get(key, key), value) for key, value in self.summary.items()]

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))
