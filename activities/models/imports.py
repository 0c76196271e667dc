"""Spreadsheet imports: one row per uploaded file, kept as the import's history.

The uploaded bytes are kept in the database only between the dry run and the commit (the
preview is checked again on commit) and dropped afterwards; the row stays as the record
of who imported what, when, and how many rows it created.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kampungkb.choices import ChoiceLabelsMixin
from kampungkb.scopes import get_scope


class ImportBatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The Dinas sees every import; anyone else their own."""
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.is_dinas:
            return self.all()
        return self.filter(uploaded_by=user)

    def editable_by(self, user):
        """Only the uploader commits or cancels their own pending import."""
        if not get_scope(user).authenticated:
            return self.none()
        return self.filter(uploaded_by=user, status=ImportBatch.Status.CHECKED)


class ImportBatch(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        MEMBERS = "members", _("Pokja members")
        ACTIVITIES = "activities", _("Activities")
        PROGRAMS = "programs", _("OPD programs")

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked, waiting to be saved")
        INVALID = "invalid", _("Has errors, nothing saved")
        COMMITTED = "committed", _("Saved")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("data"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="import_batches",
        verbose_name=_("imported by"),
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_size = models.PositiveIntegerField(_("file size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64, editable=False)
    # Held only until the import is saved or cancelled.
    content = models.BinaryField(null=True, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    created_count = models.PositiveIntegerField(_("records created"), default=0)
    #: The first errors (row, column, message), for the preview; the count is complete.
    errors = models.JSONField(_("errors found"), default=list, blank=True)
    #: A few valid rows as they will be saved, for the preview.
    preview = models.JSONField(default=list, blank=True, editable=False)
    file_error = models.TextField(_("file problem"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("saved at"), null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.file_name}"

    def get_absolute_url(self):
        return reverse("coordination:import-detail", args=[self.pk])

    @property
    def history_reason(self) -> str:
        """The change reason written into each created record's history."""
        return f"Impor XLSX #{self.pk}: {self.file_name}"[:100]
