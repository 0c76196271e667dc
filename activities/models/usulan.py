"""Usulan (proposals), both ways, with their status trail.

* Bottom-up (``up``): a Kampung KB's Pokja asks an agency (the Dinas or another OPD) for
  something: training, a service, equipment, a program.
* Top-down (``down``): the Dinas or an OPD offers a program to a site. An offer to several
  sites is one usulan per site (each site answers for itself), sharing ``offer_group``.

Either way an usulan joins exactly one site and one agency, so the scope rules are the same
in both directions. Status changes go through :mod:`activities.usulan_services` only, which
keeps the allowed transitions, the trail and the notifications together.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kampungkb.choices import ChoiceLabelsMixin
from kampungkb.scopes import get_scope
from kampungkb.text import (
    DESCRIPTION_MAX,
    REASON_MAX,
    TITLE_MAX,
    MultiLineField,
    SingleLineField,
)
from villages.models import KampungKB

from .core import OPD, Activity, OPDProgram

#: Days an addressee has to answer, counted from submission.
ANSWER_DAYS = 14


class UsulanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Dinas: all. A site's Pokja: its usulan both ways. A coordinator: those of their
        agency. Area viewers: those of their area's sites (read only)."""
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.is_dinas:
            return self.all()
        q = Q(site_id__in=scope.pokja_site_ids) if scope.pokja_site_ids else Q(pk__in=[])
        if scope.opd_ids:
            q |= Q(opd_id__in=scope.opd_ids)
        if scope.is_viewer:
            q |= scope.area_site_q("site")
        return self.filter(q)

    def editable_by(self, user):
        """Usulan the user takes part in as one who may act on them: the agency's
        coordinators and the site's Pokja managers (ketua, wakil, sekretaris); the Dinas.
        Which step each may take is decided in :mod:`activities.usulan_services`."""
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        q = Q(opd_id__in=scope.opd_ids) if scope.opd_ids else Q(pk__in=[])
        if scope.managed_site_ids:
            q |= Q(site_id__in=scope.managed_site_ids)
        return self.filter(q)

    def addressed_to(self, user):
        """Usulan waiting on the user's side for an answer: bottom-up ones to their
        agency, top-down offers to a site they manage. The Dinas answers for the KB
        agencies and for agencies without a coordinator."""
        scope = get_scope(user)
        up = Q(direction=Usulan.Direction.UP)
        down = Q(direction=Usulan.Direction.DOWN)
        q = Q(pk__in=[])
        if scope.opd_ids:
            q |= up & Q(opd_id__in=scope.opd_ids)
        if scope.managed_site_ids:
            q |= down & Q(site_id__in=scope.managed_site_ids)
        if scope.is_dinas:
            has_coordinator = Exists(
                OPD.coordinators.through.objects.filter(
                    opd_id=OuterRef("opd_id"), user__is_active=True
                )
            )
            q |= up & (Q(opd__is_kb_agency=True) | ~has_coordinator)
        return self.filter(q)

    def sent_by(self, user):
        """Usulan the user's side sent: bottom-up from their site(s), top-down from their
        agency (the Dinas: every offer)."""
        scope = get_scope(user)
        q = Q(pk__in=[])
        if scope.pokja_site_ids:
            q |= Q(direction=Usulan.Direction.UP, site_id__in=scope.pokja_site_ids)
        if scope.opd_ids:
            q |= Q(direction=Usulan.Direction.DOWN, opd_id__in=scope.opd_ids)
        if scope.is_dinas:
            q |= Q(direction=Usulan.Direction.DOWN)
        return self.filter(q)

    def open(self):
        return self.filter(status__in=Usulan.OPEN_STATUSES)

    def overdue(self, today: datetime.date | None = None):
        """Still unanswered after the due date."""
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Usulan(ChoiceLabelsMixin, models.Model):
    class Direction(models.TextChoices):
        UP = "up", _("From a Kampung KB (bottom-up)")
        DOWN = "down", _("Offer to a Kampung KB (top-down)")

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        SERVICE = "service", _("Service")
        EQUIPMENT = "equipment", _("Equipment or facilities")
        PROGRAM = "program", _("Program")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        CARRIED_OUT = "carried_out", _("Carried out")

    OPEN_STATUSES = ("submitted", "under_review")

    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    site = models.ForeignKey(
        KampungKB, models.PROTECT, related_name="usulan", verbose_name=_("Kampung KB")
    )
    opd = models.ForeignKey(OPD, models.PROTECT, related_name="usulan", verbose_name=_("agency"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = SingleLineField(_("title"), max_length=TITLE_MAX)
    description = MultiLineField(_("description"), max_length=DESCRIPTION_MAX, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    due_on = models.DateField(_("answer due"))
    rejection_reason = MultiLineField(_("reason for rejection"), max_length=REASON_MAX, blank=True)
    carried_out_activity = models.ForeignKey(
        Activity,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="usulan_carried_out",
        verbose_name=_("carried out by activity"),
    )
    carried_out_program = models.ForeignKey(
        OPDProgram,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="usulan_carried_out",
        verbose_name=_("carried out by OPD program"),
    )
    offer_group = models.UUIDField(_("offer"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="usulan_sent",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    is_demo = models.BooleanField(default=False, editable=False)

    history = HistoricalRecords()
    objects = UsulanQuerySet.as_manager()

    class Meta:
        verbose_name = _("usulan")
        verbose_name_plural = _("usulan")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["opd", "status"]),
            models.Index(fields=["site", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="usulan_rejection_has_reason",
                violation_error_message=_("Give the reason for rejecting the usulan."),
            ),
            models.CheckConstraint(
                condition=~Q(status="carried_out")
                | Q(carried_out_activity__isnull=False)
                | Q(carried_out_program__isnull=False),
                name="usulan_carried_out_is_linked",
                violation_error_message=_(
                    "Link the activity or the OPD program that carried out the usulan."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("coordination:usulan-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()

    @property
    def sender_label(self) -> str:
        return str(self.site if self.direction == self.Direction.UP else self.opd)

    @property
    def addressee_label(self) -> str:
        return str(self.opd if self.direction == self.Direction.UP else self.site)


class UsulanTransition(ChoiceLabelsMixin, models.Model):
    """One step of an usulan's status trail (the first step is its submission)."""

    usulan = models.ForeignKey(
        Usulan, models.CASCADE, related_name="transitions", verbose_name=_("usulan")
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=Usulan.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=Usulan.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = MultiLineField(_("note or reason"), max_length=REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("usulan status change")
        verbose_name_plural = _("usulan status changes")
        ordering = ["usulan", "at", "pk"]

    def __str__(self):
        return str(self.get_to_status_display())
