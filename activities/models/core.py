"""Pokja members, the city's agencies (OPD), activities with photo evidence and their
verification workflow, and OPD programs.

Only *verified* activities count in reports. Every status change is kept as an
:class:`ActivityTransition` (who, when, why).
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kampungkb.choices import ChoiceLabelsMixin
from kampungkb.scopes import get_scope
from kampungkb.storage import private_storage
from kampungkb.text import (
    DESCRIPTION_MAX,
    REASON_MAX,
    TITLE_MAX,
    MultiLineField,
    PhoneField,
    SingleLineField,
)
from villages.models import KampungKB
from villages.validators import validate_image_file

#: A plausible upper bound for one activity; the kelurahan's population is checked too.
MAX_PARTICIPANTS = 50_000


class FamilyFunction(models.TextChoices):
    """The 8 family functions (PP 87/2014): the activity categories."""

    RELIGIOUS = "keagamaan", _("Religion (keagamaan)")
    SOCIOCULTURAL = "sosial_budaya", _("Social and culture (sosial budaya)")
    LOVE = "cinta_kasih", _("Love and affection (cinta kasih)")
    PROTECTION = "perlindungan", _("Protection (perlindungan)")
    REPRODUCTION = "reproduksi", _("Reproduction (reproduksi)")
    EDUCATION = "pendidikan", _("Socialisation and education (sosialisasi & pendidikan)")
    ECONOMY = "ekonomi", _("Economy (ekonomi)")
    ENVIRONMENT = "lingkungan", _("Environment (pembinaan lingkungan)")
    OTHER = "lainnya", _("Other (lainnya)")


FAMILY_FUNCTIONS_8 = [c for c in FamilyFunction.values if c != FamilyFunction.OTHER]


class TargetGroup(models.TextChoices):
    ALL = "semua", _("All residents")
    PUS = "pus", _("Couples of childbearing age (PUS)")
    ADOLESCENTS = "remaja", _("Adolescents")
    ELDERLY = "lansia", _("Elderly")
    TODDLERS = "balita", _("Toddlers")
    FAMILIES_TODDLERS = "keluarga_balita", _("Families with toddlers")
    FAMILIES_ADOLESCENTS = "keluarga_remaja", _("Families with adolescents")
    FAMILIES_ELDERLY = "keluarga_lansia", _("Families with elderly")
    OTHER = "lainnya", _("Other")


class Poktan(models.TextChoices):
    BKB = "bkb", "BKB"
    BKR = "bkr", "BKR"
    BKL = "bkl", "BKL"
    UPPKA = "uppka", "UPPKA"
    PIKR = "pikr", "PIK-R"


class FundingSource(models.TextChoices):
    APBN = "apbn", _("APBN")
    APBD = "apbd", _("APBD")
    DANA_KELURAHAN = "dana_kelurahan", _("Dana kelurahan/desa")
    COMMUNITY = "swadaya_masyarakat", _("Community donation/grant")
    CSR = "csr", _("Company CSR")
    SWADAYA = "swadaya", _("Self-funded (swadaya)")
    NONE = "tanpa_biaya", _("No cost")


class Origin(models.TextChoices):
    POKJA = "pokja", _("The Pokja's own initiative")
    OPD_PROGRAM = "opd", _("An OPD program")
    USULAN = "usulan", _("An answered usulan")


# --------------------------------------------------------------------------------------
# Agencies (OPD and partners)
# --------------------------------------------------------------------------------------
class OPDQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.all() if get_scope(user).authenticated else self.none()

    def editable_by(self, user):
        """The OPD list itself is Dinas master data."""
        return self.all() if get_scope(user).is_dinas else self.none()

    def represented_by(self, user):
        """The agencies on whose behalf ``user`` records programs and activities, offers
        and answers usulan: a coordinator's own agencies; the Dinas acts for any."""
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        return self.filter(pk__in=scope.opd_ids)

    def active(self):
        return self.filter(is_active=True)


class OPD(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        CITY_AGENCY = "opd", _("City agency (OPD)")
        PUSKESMAS = "puskesmas", _("Puskesmas")
        VERTICAL = "vertikal", _("Vertical agency")
        PRIVATE = "swasta", _("Private company")
        COMMUNITY = "masyarakat", _("Community group")
        OTHER = "lainnya", _("Other partner")

    name = SingleLineField(_("name"), max_length=200, unique=True)
    short_name = SingleLineField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default="opd")
    is_kb_agency = models.BooleanField(
        _("KB agency"),
        default=False,
        help_text=_(
            "DPMP3AKB and BKKBN: not counted as cross-sector partners in the classification."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="opds",
        verbose_name=_("coordinators"),
    )

    history = HistoricalRecords(m2m_fields=[coordinators])
    objects = OPDQuerySet.as_manager()

    class Meta:
        verbose_name = _("agency / partner (OPD)")
        verbose_name_plural = _("agencies / partners (OPD)")
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name


# --------------------------------------------------------------------------------------
# Pokja members
# --------------------------------------------------------------------------------------
class PokjaMemberQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        # The same rule is written in SQL in kampungkb.scopes._scope_sql (every request).
        on = on or timezone.localdate()
        return self.filter(Q(active_from__lte=on) | Q(active_from__isnull=True)).filter(
            Q(active_until__gte=on) | Q(active_until__isnull=True)
        )

    def visible_to(self, user):
        """Member lists hold names and phone numbers: Pokja of the site, its area viewers
        and the Dinas only (not every OPD)."""
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.is_dinas:
            return self.all()
        return self.filter(scope.site_q("site"))

    def editable_by(self, user):
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        return self.filter(site_id__in=scope.managed_site_ids)

    def sites_visible_to(self, user):
        """The sites whose member list ``user`` may read (same rule as ``visible_to``, also
        for a site that has no member yet)."""
        scope = get_scope(user)
        if not scope.authenticated:
            return KampungKB.objects.none()
        if scope.is_dinas:
            return KampungKB.objects.all()
        return KampungKB.objects.filter(scope.site_q())

    def readable_for_site(self, user, site) -> bool:
        """``sites_visible_to(user)`` contains ``site``, decided without a query (``site``
        with its kelurahan loaded)."""
        scope = get_scope(user)
        if not scope.authenticated:
            return False
        return (
            scope.is_dinas
            or site.pk in scope.pokja_site_ids
            or site.kelurahan_id in scope.kelurahan_ids
            or site.kelurahan.kecamatan_id in scope.kecamatan_ids
        )


class PokjaMember(ChoiceLabelsMixin, models.Model):
    class Position(models.TextChoices):
        PELINDUNG = "pelindung", _("Patron (pelindung)")
        PENASEHAT = "penasehat", _("Adviser (penasehat)")
        KETUA = "ketua", _("Chair (ketua)")
        WAKIL = "wakil", _("Vice chair (wakil ketua)")
        SEKRETARIS = "sekretaris", _("Secretary (sekretaris)")
        BENDAHARA = "bendahara", _("Treasurer (bendahara)")
        SEKSI_KEAGAMAAN = "seksi_keagamaan", _("Section: religion")
        SEKSI_SOSIAL_BUDAYA = "seksi_sosial_budaya", _("Section: social and culture")
        SEKSI_CINTA_KASIH = "seksi_cinta_kasih", _("Section: love and affection")
        SEKSI_PERLINDUNGAN = "seksi_perlindungan", _("Section: protection")
        SEKSI_REPRODUKSI = "seksi_reproduksi", _("Section: reproduction")
        SEKSI_PENDIDIKAN = "seksi_pendidikan", _("Section: socialisation and education")
        SEKSI_EKONOMI = "seksi_ekonomi", _("Section: economy")
        SEKSI_LINGKUNGAN = "seksi_lingkungan", _("Section: environment")
        ANGGOTA = "anggota", _("Member (anggota)")

    #: Positions that manage the site's profile, figures and member list.
    MANAGER_POSITIONS = frozenset({"ketua", "wakil", "sekretaris"})

    site = models.ForeignKey(
        KampungKB, models.CASCADE, related_name="pokja_members", verbose_name=_("Kampung KB")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="pokja_memberships",
        verbose_name=_("portal user"),
    )
    name = SingleLineField(_("name"), max_length=150)
    position = models.CharField(_("position"), max_length=24, choices=Position.choices)
    phone = PhoneField(_("phone number"), max_length=20, blank=True)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)

    history = HistoricalRecords()
    objects = PokjaMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("Pokja member")
        verbose_name_plural = _("Pokja members")
        ordering = ["site", "position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="pokja_member_period_ordered",
                violation_error_message=_("“Active until” cannot be before “active from”."),
            )
        ]
        indexes = [
            # The Dinas dashboard's "member list without a ketua" (an index-only anti-join).
            models.Index(
                fields=["site", "active_from", "active_until"],
                condition=Q(position="ketua"),
                name="pokja_member_ketua",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_position_display()})"

    @property
    def is_manager(self) -> bool:
        return self.position in self.MANAGER_POSITIONS

    def clean(self):
        super().clean()
        # One ketua at a time: the Dinas dashboard reads "no ketua" from this list.
        if self.position == self.Position.KETUA and self.site_id:
            overlap = Q()
            if self.active_until:
                overlap &= Q(active_from__isnull=True) | Q(active_from__lte=self.active_until)
            if self.active_from:
                overlap &= Q(active_until__isnull=True) | Q(active_until__gte=self.active_from)
            other = (
                PokjaMember.objects.filter(site_id=self.site_id, position=self.Position.KETUA)
                .exclude(pk=self.pk)
                .filter(overlap)
                .first()
            )
            if other is not None:
                raise ValidationError(
                    {
                        "position": _(
                            "%(name)s is already the ketua in that period. End their term "
                            "first (“active until”)."
                        )
                        % {"name": other.name}
                    }
                )


# --------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------
class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Dinas: all. Pokja: every activity of their own site(s). Area viewers: what their
        area's sites submitted (not drafts). OPD coordinators: verified activities anywhere
        and everything their own agency recorded."""
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.is_dinas:
            return self.all()
        q = Q(site_id__in=scope.pokja_site_ids) if scope.pokja_site_ids else Q(pk__in=[])
        if scope.is_viewer:
            q |= scope.area_site_q("site") & ~Q(status=Activity.Status.DRAFT)
        if scope.is_opd:
            q |= Q(status=Activity.Status.VERIFIED) | Q(recorded_by_opd_id__in=scope.opd_ids)
        return self.filter(q)

    def managed_by(self, user):
        """Activities the user is responsible for, whatever their status: the Pokja's own
        site's, the ones the coordinator's agency recorded; the Dinas all. Who may edit or
        submit is decided from this; the admin lists these (an OPD coordinator manages their
        agency's records, not every verified one)."""
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        q = Q(site_id__in=scope.pokja_site_ids) if scope.pokja_site_ids else Q(pk__in=[])
        if scope.opd_ids:
            q |= Q(recorded_by_opd_id__in=scope.opd_ids)
        return self.filter(q)

    def editable_by(self, user):
        """Activities whose content the user may change now: the Pokja of the site (or the
        recording OPD) while draft or returned; the Dinas likewise (verified stays locked
        until reopened)."""
        return self.managed_by(user).filter(status__in=Activity.EDITABLE_STATUSES)

    def verified(self):
        return self.filter(status=Activity.Status.VERIFIED)

    def public(self):
        return self.filter(status=Activity.Status.VERIFIED, site__is_active=True)

    def awaiting_verification(self):
        """The Dinas queue: submitted activities, the longest waiting first."""
        return self.filter(status=Activity.Status.SUBMITTED).order_by("submitted_at", "pk")

    def with_status_reason(self):
        """Annotate ``status_reason``: the reason given with the transition into the current
        status (why it was returned or reopened), one subquery."""
        last = ActivityTransition.objects.filter(
            activity_id=OuterRef("pk"), to_status=OuterRef("status")
        ).order_by("-at", "-pk")
        return self.annotate(status_reason=Subquery(last.values("reason")[:1]))

    def with_photo_flags(self, user=None):
        """Annotate ``photo_count`` and ``has_duplicate_photo`` (one of its photos — same
        SHA-256 — is also on another activity), as subqueries. With ``user``, only the
        activities that user may see count as "another activity": the flag must not tell
        a Pokja or an agency about a draft or a site outside their scope."""
        photos = ActivityPhoto.objects.filter(activity_id=OuterRef("pk"))
        same_elsewhere = ActivityPhoto.objects.filter(sha256=OuterRef("sha256")).exclude(
            activity_id=OuterRef("activity_id")
        )
        if user is not None and not get_scope(user).is_dinas:
            same_elsewhere = same_elsewhere.filter(
                activity__in=Activity.objects.visible_to(user).values("pk")
            )
        return self.annotate(
            photo_count=Subquery(
                photos.order_by()
                .values("activity_id")
                .annotate(n=models.Count("pk"))
                .values("n")[:1],
                output_field=models.IntegerField(),
            ),
            has_duplicate_photo=Exists(photos.filter(Exists(same_elsewhere))),
        )


class Activity(ChoiceLabelsMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        VERIFIED = "verified", _("Verified")

    EDITABLE_STATUSES = ("draft", "returned")

    site = models.ForeignKey(
        KampungKB, models.PROTECT, related_name="activities", verbose_name=_("Kampung KB")
    )
    title = SingleLineField(_("title"), max_length=TITLE_MAX)
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("time"), null=True, blank=True)
    place = SingleLineField(_("place"), max_length=200, blank=True)
    description = MultiLineField(_("description"), max_length=DESCRIPTION_MAX, blank=True)
    category = models.CharField(_("family function"), max_length=16, choices=FamilyFunction.choices)
    target_groups = models.JSONField(
        _("target groups"), default=list, blank=True, help_text=_("One or more target groups.")
    )
    agencies = models.ManyToManyField(
        OPD, blank=True, related_name="activities", verbose_name=_("agencies and partners")
    )
    poktan = models.CharField(_("poktan"), max_length=8, choices=Poktan.choices, blank=True)
    participants_male = models.PositiveIntegerField(
        _("participants (men)"), default=0, validators=[MaxValueValidator(MAX_PARTICIPANTS)]
    )
    participants_female = models.PositiveIntegerField(
        _("participants (women)"), default=0, validators=[MaxValueValidator(MAX_PARTICIPANTS)]
    )
    funding_source = models.CharField(
        _("funding source"), max_length=20, choices=FundingSource.choices, blank=True
    )
    origin = models.CharField(
        _("origin"), max_length=8, choices=Origin.choices, default=Origin.POKJA
    )
    opd_program = models.ForeignKey(
        "OPDProgram",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("OPD program"),
    )
    recorded_by_opd = models.ForeignKey(
        OPD,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="recorded_activities",
        verbose_name=_("recorded by agency"),
        help_text=_("Set when an OPD coordinator recorded the activity their agency ran."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The first submission decides whether the month's report was on time (activities.cadence);
    # a resubmission after a return does not move it.
    first_submitted_at = models.DateTimeField(
        _("first submitted at"), null=True, blank=True, editable=False
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # Idempotency key sent by the phone form: a double submit creates one activity.
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Optimistic lock: an edit based on an older version is refused (stale edit).
    version = models.PositiveIntegerField(default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False)

    history = HistoricalRecords(excluded_fields=["version"])
    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["site", "status", "date"]),
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["status", "date"]),
            # Activity lists and exports: newest first, without sorting the whole table.
            models.Index(fields=["-date", "-id"], name="activity_newest_first"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("activities:detail", args=[self.pk])

    @property
    def participants_total(self) -> int:
        return (self.participants_male or 0) + (self.participants_female or 0)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    def target_group_labels(self) -> list[str]:
        labels = dict(TargetGroup.choices)
        return [labels.get(g, g) for g in (self.target_groups or [])]

    def clean(self):
        errors = {}
        today = timezone.localdate()
        if self.date:
            if self.date > today:
                errors["date"] = _("The activity date cannot be in the future.")
            elif self.site_id and self.date < self.site.declared_on:
                errors["date"] = _(
                    "The activity date cannot be before the site was declared (%(date)s)."
                ) % {"date": self.site.declared_on.strftime("%d/%m/%Y")}
        invalid = [g for g in (self.target_groups or []) if g not in TargetGroup.values]
        if invalid:
            errors["target_groups"] = _("Unknown target group: %(groups)s") % {
                "groups": ", ".join(map(str, invalid))
            }
        if self.site_id and self.participants_total:
            population = (
                self.site.population_snapshots.filter(total_residents__gt=0)
                .order_by("-period")
                .values_list("total_residents", flat=True)
                .first()
            )
            if population and self.participants_total > population:
                errors["participants_female"] = _(
                    "%(total)d participants is more than the kelurahan's %(population)d residents."
                ) % {"total": self.participants_total, "population": population}
        if errors:
            raise ValidationError(errors)


def photo_upload_to(instance, filename):
    # The stored name never comes from the user's file name (path traversal, scripts); the
    # stored copy is always a re-encoded JPEG (activities.photos).
    return f"activities/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


def thumbnail_upload_to(instance, filename):
    return f"activities/{timezone.now():%Y/%m}/{uuid.uuid4().hex}_t.jpg"


class ActivityPhotoQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(activity__in=Activity.objects.visible_to(user))

    def public(self):
        return self.filter(
            is_public=True,
            activity__status=Activity.Status.VERIFIED,
            activity__site__is_active=True,
        )


class ActivityPhoto(ChoiceLabelsMixin, models.Model):
    MAX_PER_ACTIVITY = 5

    class Kind(models.TextChoices):
        ACTIVITY = "activity", _("Activity")
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    activity = models.ForeignKey(
        Activity, models.CASCADE, related_name="photos", verbose_name=_("activity")
    )
    image = models.ImageField(
        _("photo"),
        upload_to=photo_upload_to,
        storage=private_storage,
        validators=[validate_image_file],
    )
    thumbnail = models.ImageField(
        _("thumbnail"),
        upload_to=thumbnail_upload_to,
        storage=private_storage,
        blank=True,
        editable=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default="activity")
    caption = SingleLineField(_("caption"), max_length=200, blank=True)
    is_public = models.BooleanField(
        _("show on the public page"),
        default=False,
        help_text=_("Only photos without recognisable faces should be made public."),
    )
    sha256 = models.CharField(max_length=64, db_index=True, editable=False)
    taken_at = models.DateTimeField(_("taken at (EXIF)"), null=True, blank=True, editable=False)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ActivityPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["activity", "pk"]

    def __str__(self):
        return f"{self.activity} — {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        # Uploads from any path (form, admin, import) are stored only after processing:
        # re-encoded without GPS/EXIF, hashed, with a thumbnail.
        if self.image and not self.image._committed and not self._processed:
            from .. import photos

            self.apply_processed(photos.process_upload(self.image))
        super().save(*args, **kwargs)

    @property
    def taken_far_from_activity(self) -> bool:
        """EXIF capture time more than 7 days from the activity date."""
        if not self.taken_at:
            return False
        taken = timezone.localtime(self.taken_at).date()
        return abs((taken - self.activity.date).days) > 7

    def duplicates(self):
        """The same image (by hash) on *another* activity."""
        return ActivityPhoto.objects.filter(sha256=self.sha256).exclude(
            activity_id=self.activity_id
        )

    _processed = False  # set once an upload was processed (activities.photos)

    def clean(self):
        super().clean()
        if (
            self._state.adding
            and not getattr(self, "limit_checked_by_formset", False)
            and self.activity_id
            and ActivityPhoto.objects.filter(activity_id=self.activity_id).count()
            >= self.MAX_PER_ACTIVITY
        ):
            raise ValidationError(
                _("An activity can have at most %(max)d photos.") % {"max": self.MAX_PER_ACTIVITY}
            )

    def apply_processed(self, processed):
        """Store a processed upload (activities.photos.ProcessedPhoto): the re-encoded image
        without metadata, its thumbnail, hash and EXIF capture time."""
        from django.core.files.base import ContentFile

        self.image = ContentFile(processed.content, name="photo.jpg")
        self.thumbnail = ContentFile(processed.thumbnail, name="thumb.jpg")
        self.sha256 = processed.sha256
        self.taken_at = processed.taken_at or self.taken_at
        self.width, self.height = processed.width, processed.height
        self._processed = True


@receiver(post_delete, sender=ActivityPhoto)
def delete_photo_files(sender, instance, **kwargs):
    """A removed photo (it may show a face) leaves no file behind, once the deletion is
    committed."""
    names = [f.name for f in (instance.image, instance.thumbnail) if f]
    storage = private_storage()

    def remove():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)


class ActivityTransition(ChoiceLabelsMixin, models.Model):
    """One step of an activity's status trail."""

    activity = models.ForeignKey(
        Activity, models.CASCADE, related_name="transitions", verbose_name=_("activity")
    )
    from_status = models.CharField(
        _("from"), max_length=10, choices=Activity.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=10, choices=Activity.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = MultiLineField(_("reason"), max_length=REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["activity", "at", "pk"]

    def __str__(self):
        return f"{self.activity_id}: {self.from_status} → {self.to_status}"


# --------------------------------------------------------------------------------------
# OPD programs
# --------------------------------------------------------------------------------------
class OPDProgramQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Programs are public knowledge within the portal: every signed-in user may read
        them (they appear on site pages)."""
        return self.all() if get_scope(user).authenticated else self.none()

    def editable_by(self, user):
        return self.managed_by(user)

    def managed_by(self, user):
        """The programs of the user's own agencies (the Dinas: all)."""
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        return self.filter(opd_id__in=scope.opd_ids)

    def present_between(self, start, end):
        """Programs whose period overlaps ``start``..``end`` (an open end runs on)."""
        return self.filter(starts_on__lte=end).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=start)
        )


class OPDProgram(ChoiceLabelsMixin, models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    opd = models.ForeignKey(OPD, models.PROTECT, related_name="programs", verbose_name=_("agency"))
    sites = models.ManyToManyField(
        KampungKB, related_name="opd_programs", verbose_name=_("Kampung KB sites")
    )
    title = SingleLineField(_("title"), max_length=TITLE_MAX)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    description = MultiLineField(_("description"), max_length=DESCRIPTION_MAX, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[sites])
    objects = OPDProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("OPD program")
        verbose_name_plural = _("OPD programs")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="opd_program_period_ordered",
                violation_error_message=_("The end date cannot be before the start date."),
            )
        ]

    def __str__(self):
        return self.title
