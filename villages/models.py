"""Regions (Kemendagri codes), Kampung KB sites and their dated snapshots.

Snapshots are never overwritten by a newer month: each month's profile, population and
KKBPK figures are their own row, and the newest row is the site's current state. That
history is what the quality classification and the sustainability timeline read.
"""

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kampungkb.choices import ChoiceLabelsMixin
from kampungkb.scopes import get_scope
from kampungkb.text import DESCRIPTION_MAX, MultiLineField, SingleLineField

from .uploads import neutralise_uploads, safe_upload_name
from .validators import validate_document_file, validate_image_file

#: Kampung KB was launched nationally on 14 January 2016 (Cirebon); no site predates it.
PROGRAM_START = datetime.date(2016, 1, 14)

KOTA_CODE_RE = re.compile(r"^\d{2}\.\d{2}$")
KECAMATAN_CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
KELURAHAN_CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


# --------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------
class RegionQuerySet(models.QuerySet):
    """Region master data is public information: every user may read it."""

    def visible_to(self, user):
        return self.all()

    def editable_by(self, user):
        return self.all() if get_scope(user).is_dinas else self.none()


class Kota(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        KOTA = "kota", _("City (kota)")
        KABUPATEN = "kabupaten", _("Regency (kabupaten)")

    code = models.CharField(_("Kemendagri code"), max_length=5, unique=True)
    name = SingleLineField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.KOTA)
    province_code = models.CharField(_("province code"), max_length=2)
    bps_code = models.CharField(_("BPS code"), max_length=10, blank=True)
    # Coordinates of a site in this city must fall inside this box (when set).
    min_latitude = models.DecimalField(
        _("minimum latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    max_latitude = models.DecimalField(
        _("maximum latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    min_longitude = models.DecimalField(
        _("minimum longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    max_longitude = models.DecimalField(
        _("maximum longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("city/regency")
        verbose_name_plural = _("cities/regencies")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def contains_point(self, lat, lng) -> bool:
        box = (self.min_latitude, self.max_latitude, self.min_longitude, self.max_longitude)
        if None in box:
            return True
        return box[0] <= lat <= box[1] and box[2] <= lng <= box[3]


class Kecamatan(models.Model):
    code = models.CharField(_("Kemendagri code"), max_length=8, unique=True)
    name = SingleLineField(_("name"), max_length=100)
    kota = models.ForeignKey(
        Kota, models.PROTECT, related_name="kecamatan_set", verbose_name=_("city/regency")
    )
    bps_code = models.CharField(_("BPS code"), max_length=10, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Kelurahan(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        KELURAHAN = "kelurahan", _("Kelurahan")
        DESA = "desa", _("Desa")

    code = models.CharField(_("Kemendagri code"), max_length=13, unique=True)
    name = SingleLineField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.KELURAHAN)
    kecamatan = models.ForeignKey(
        Kecamatan, models.PROTECT, related_name="kelurahan_set", verbose_name=_("kecamatan")
    )
    bps_code = models.CharField(_("BPS code"), max_length=10, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    other_spellings = SingleLineField(_("other spellings"), max_length=200, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("kelurahan")
        verbose_name_plural = _("kelurahan")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Boundary(ChoiceLabelsMixin, models.Model):
    """A region's outline as a GeoJSON geometry (Polygon/MultiPolygon, WGS 84), keyed by its
    Kemendagri code; loaded by villages.boundaries. A JSON field, so no PostGIS is needed
    and SQLite keeps working; its own table rather than a field on the regions, so the
    3–30 KB of coordinates do not ride along every select_related of a site's region."""

    class Level(models.TextChoices):
        KOTA = "kota", _("City/regency")
        KECAMATAN = "kecamatan", _("Kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan")

    code = models.CharField(_("Kemendagri code"), max_length=13, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    geometry = models.JSONField(_("boundary"))

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")
        ordering = ["code"]

    def __str__(self):
        return self.code


class AreaAssignment(models.Model):
    """A read-only viewer of one kecamatan (Camat's office) or one kelurahan (Lurah's)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="area_assignments",
        verbose_name=_("user"),
    )
    kecamatan = models.ForeignKey(
        Kecamatan, models.CASCADE, null=True, blank=True, verbose_name=_("kecamatan")
    )
    kelurahan = models.ForeignKey(
        Kelurahan, models.CASCADE, null=True, blank=True, verbose_name=_("kelurahan")
    )

    class Meta:
        verbose_name = _("area viewer")
        verbose_name_plural = _("area viewers")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kecamatan__isnull=False) & Q(kelurahan__isnull=True))
                | (Q(kecamatan__isnull=True) & Q(kelurahan__isnull=False)),
                name="area_assignment_exactly_one_area",
                violation_error_message=_("Choose either a kecamatan or a kelurahan."),
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.kecamatan or self.kelurahan}"


# --------------------------------------------------------------------------------------
# Kampung KB sites
# --------------------------------------------------------------------------------------
class KampungKBQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.reads_all_sites:
            return self.all()
        return self.filter(scope.site_q())

    def editable_by(self, user):
        """Sites whose registry entry, profile, figures and members the user may change."""
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        # The same rule as ``Scope.manages_site``, which answers it for one site without
        # a query.
        return self.filter(pk__in=scope.managed_site_ids)

    def public(self):
        """What anonymous visitors see: active sites only."""
        return self.filter(is_active=True)

    def active(self):
        return self.filter(is_active=True)


def site_upload_to(instance, filename):
    # ``filename`` is the re-encoded copy's (villages.uploads), never the uploader's.
    return safe_upload_name("sites", filename, prefix=f"{instance.kelurahan_id}-")


def sk_upload_to(instance, filename):
    return safe_upload_name("sk", filename, prefix=f"{instance.site_id}-")


class KampungKB(ChoiceLabelsMixin, models.Model):
    class Coverage(models.TextChoices):
        KELURAHAN = "kelurahan", _("Whole kelurahan/desa")
        RW = "rw", _("RW")
        DUSUN = "dusun", _("Dusun")

    name = SingleLineField(_("site name"), max_length=150)
    kelurahan = models.ForeignKey(
        Kelurahan, models.PROTECT, related_name="sites", verbose_name=_("kelurahan")
    )
    coverage = models.CharField(
        _("coverage"), max_length=10, choices=Coverage.choices, default=Coverage.KELURAHAN
    )
    rw_text = SingleLineField(
        _("RW covered"),
        max_length=100,
        blank=True,
        help_text=_("For older RW-level sites, e.g. “RW 05 and RW 07”."),
    )
    declared_on = models.DateField(_("declaration date (pencanangan)"))
    description = MultiLineField(_("general description"), max_length=DESCRIPTION_MAX, blank=True)
    photo = models.ImageField(
        _("photo"), upload_to=site_upload_to, blank=True, validators=[validate_image_file]
    )
    org_chart = models.ImageField(
        _("organisation chart"),
        upload_to=site_upload_to,
        blank=True,
        validators=[validate_image_file],
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_model_site = models.BooleanField(_("model site (percontohan)"), default=False)
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = KampungKBQuerySet.as_manager()

    class Meta:
        verbose_name = _("Kampung KB")
        verbose_name_plural = _("Kampung KB")
        ordering = ["kelurahan__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan"],
                condition=Q(is_active=True),
                name="one_active_site_per_kelurahan",
                violation_error_message=_(
                    "This kelurahan already has an active Kampung KB. "
                    "Deactivate it first or choose another kelurahan."
                ),
            ),
            models.CheckConstraint(
                condition=Q(declared_on__gte=PROGRAM_START),
                name="site_declared_after_program_start",
                violation_error_message=_(
                    "The declaration date cannot be before 14/01/2016, when the Kampung KB "
                    "programme began."
                ),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="site_coordinates_both_or_none",
                violation_error_message=_("Fill in both latitude and longitude, or neither."),
            ),
        ]
        indexes = [models.Index(fields=["is_active", "kelurahan"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        neutralise_uploads(self, images=("photo", "org_chart"))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("villages:site-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.declared_on:
            if self.declared_on < PROGRAM_START:
                errors["declared_on"] = _(
                    "The declaration date cannot be before 14/01/2016, when the Kampung KB "
                    "programme began."
                )
            elif self.declared_on > timezone.localdate():
                errors["declared_on"] = _("The declaration date cannot be in the future.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = _(
                "Fill in both latitude and longitude, or neither."
            )
        elif self.latitude is not None and self.kelurahan_id:
            kota = Kota.objects.filter(kecamatan_set__kelurahan_set=self.kelurahan_id).first()
            if kota and not kota.contains_point(self.latitude, self.longitude):
                errors["latitude"] = _(
                    "The coordinates (%(lat)s, %(lng)s) are outside %(kota)s "
                    "(latitude %(min_lat)s to %(max_lat)s, longitude %(min_lng)s to %(max_lng)s)."
                ) % {
                    "lat": self.latitude,
                    "lng": self.longitude,
                    "kota": kota.name,
                    "min_lat": kota.min_latitude,
                    "max_lat": kota.max_latitude,
                    "min_lng": kota.min_longitude,
                    "max_lng": kota.max_longitude,
                }
            elif not self.kelurahan_inside(self.latitude, self.longitude):
                errors["latitude"] = _("The location is outside %(kind)s %(name)s.") % {
                    "kind": self.kelurahan.get_kind_display(),
                    "name": self.kelurahan.name,
                }
        if self.coverage == self.Coverage.RW and not self.rw_text:
            errors["rw_text"] = _("Name the RW this site covers.")
        if errors:
            raise ValidationError(errors)

    def kelurahan_inside(self, lat, lng) -> bool:
        """Whether (lat, lng) lies inside the site's kelurahan polygon (True while the
        kelurahan has no boundary loaded: the city's bounding box is then the only check)."""
        from .boundaries import contains

        geometry = (
            Boundary.objects.filter(code=self.kelurahan.code)
            .values_list("geometry", flat=True)
            .first()
        )
        return contains(geometry, lat, lng)

    # Current snapshots (the newest row of each kind). Views prefetch instead where they
    # list many sites; see KampungKBQuerySet users.
    def current_profile(self):
        return self.profile_snapshots.order_by("-period").first()

    def current_population(self):
        return self.population_snapshots.order_by("-period").first()

    def current_figures(self):
        return self.kkbpk_snapshots.order_by("-period").first()


# --------------------------------------------------------------------------------------
# Dated snapshots
# --------------------------------------------------------------------------------------
def first_of_month(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


class SnapshotQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.reads_all_sites:
            return self.all()
        return self.filter(scope.site_q("site"))

    def editable_by(self, user):
        scope = get_scope(user)
        if scope.is_dinas:
            return self.all()
        return self.filter(site_id__in=scope.managed_site_ids)

    def current_at(self, period: datetime.date):
        """Rows valid in ``period``: the newest at or before that month, per site."""
        return self.filter(period__lte=first_of_month(period))


class Snapshot(ChoiceLabelsMixin, models.Model):
    """A month's data for a site. One row per site per month; a newer month is a new row."""

    site = models.ForeignKey(KampungKB, models.CASCADE, verbose_name=_("Kampung KB"))
    period = models.DateField(
        _("month"), help_text=_("The month these data describe (stored as its first day).")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["site", "-period"]
        get_latest_by = "period"

    def save(self, *args, **kwargs):
        if self.period:
            self.period = first_of_month(self.period)
        super().save(*args, **kwargs)

    def clean(self):
        if self.period:
            self.period = first_of_month(self.period)
            if self.period > first_of_month(timezone.localdate()):
                raise ValidationError({"period": _("The month cannot be in the future.")})
            if self.site_id and self.period < first_of_month(self.site.declared_on):
                raise ValidationError(
                    {
                        "period": _("The month cannot be before the site was declared (%(date)s).")
                        % {"date": self.site.declared_on.strftime("%d/%m/%Y")}
                    }
                )


class Frequency(models.TextChoices):
    NOT_DONE = "", _("Not done")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMESTER = "semester", _("Every semester")
    YEARLY = "yearly", _("Yearly")


class ProfileSnapshot(Snapshot):
    class SKIssuer(models.TextChoices):
        LURAH = "lurah", _("Lurah / kepala desa")
        CAMAT = "camat", _("Camat")
        WALIKOTA = "walikota", _("Walikota / bupati")
        OTHER = "other", _("Other")

    class Companion(models.TextChoices):
        PLKB = "plkb", _("PLKB/PKB (family planning field officer)")
        KADER = "kader", _("Kader")
        RT_RW = "rt_rw", _("Ketua RT/RW")
        KELURAHAN_STAFF = "perangkat", _("Kelurahan staff")
        PKK = "pkk", _("PKK")
        RELIGIOUS_LEADER = "tokoh", _("Religious or community leader")
        OPD_KB = "opd_kb", _("OPD KB staff")
        OTHER = "other", _("Other")
        NONE = "none", _("Nobody")

    # Pokja and its decree (SK)
    pokja_exists = models.BooleanField(_("Pokja exists"), default=False)
    sk_issuer = models.CharField(
        _("SK Pokja issued by"), max_length=10, choices=SKIssuer.choices, blank=True
    )
    sk_number = SingleLineField(_("SK Pokja number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK Pokja date"), null=True, blank=True)
    sk_valid_until = models.DateField(_("SK Pokja valid until"), null=True, blank=True)
    sk_file = models.FileField(
        _("SK Pokja document"),
        upload_to=sk_upload_to,
        blank=True,
        validators=[validate_document_file],
    )
    members_count = models.PositiveIntegerField(_("number of Pokja members"), default=0)
    trained_members_count = models.PositiveIntegerField(
        _("number of trained Pokja members"), default=0
    )
    # Companion (pendamping)
    companion = models.CharField(
        _("companion (pendamping)"), max_length=10, choices=Companion.choices, default="none"
    )
    companion_name = SingleLineField(_("companion's name"), max_length=100, blank=True)
    companion_nip = SingleLineField(_("companion's NIP"), max_length=20, blank=True)
    # Free text: a phone number or an e-mail address.
    companion_contact = SingleLineField(_("companion's contact"), max_length=50, blank=True)
    # Regulations
    has_sk_walikota = models.BooleanField(_("SK/instruction of the walikota"), default=False)
    has_sk_camat = models.BooleanField(_("SK of the camat"), default=False)
    has_sk_lurah = models.BooleanField(_("SK of the lurah"), default=False)
    # Poktan and facilities owned
    has_bkb = models.BooleanField(_("BKB (Bina Keluarga Balita)"), default=False)
    has_bkr = models.BooleanField(_("BKR (Bina Keluarga Remaja)"), default=False)
    has_bkl = models.BooleanField(_("BKL (Bina Keluarga Lansia)"), default=False)
    has_uppka = models.BooleanField(_("UPPKA (family economic group)"), default=False)
    has_pikr = models.BooleanField(_("PIK-R (youth information centre)"), default=False)
    has_sekretariat = models.BooleanField(_("Secretariat (sekretariat)"), default=False)
    has_rumah_dataku = models.BooleanField(_("Rumah DataKu"), default=False)
    # Funding sources
    fund_apbn = models.BooleanField(_("APBN"), default=False)
    fund_apbd = models.BooleanField(_("APBD"), default=False)
    fund_dana_kelurahan = models.BooleanField(_("Dana kelurahan/desa"), default=False)
    fund_community = models.BooleanField(_("Community donation/grant"), default=False)
    fund_csr = models.BooleanField(_("Company CSR"), default=False)
    fund_swadaya = models.BooleanField(_("Self-funded (swadaya)"), default=False)
    has_rkm = models.BooleanField(_("Community work plan (RKM) exists"), default=False)
    # Data sources used
    ds_pendataan_keluarga = models.BooleanField(_("Pendataan Keluarga"), default=False)
    ds_bkkbn_routine = models.BooleanField(_("BKKBN routine data"), default=False)
    ds_potensi_desa = models.BooleanField(_("Potensi Desa"), default=False)
    ds_sectoral = models.BooleanField(_("Sectoral data"), default=False)
    ds_other = models.BooleanField(_("Other data"), default=False)
    # Operational mechanisms (blank frequency = not done)
    mech_planning = models.CharField(
        _("planning meeting"), max_length=10, choices=Frequency.choices, blank=True
    )
    mech_coordination = models.CharField(
        _("coordination with agencies"), max_length=10, choices=Frequency.choices, blank=True
    )
    mech_socialisation = models.CharField(
        _("socialisation"), max_length=10, choices=Frequency.choices, blank=True
    )
    mech_monev = models.CharField(
        _("monitoring and evaluation"), max_length=10, choices=Frequency.choices, blank=True
    )
    mech_reporting = models.CharField(
        _("reporting"), max_length=10, choices=Frequency.choices, blank=True
    )

    history = HistoricalRecords()

    POKTAN_FIELDS = ("has_bkb", "has_bkr", "has_bkl", "has_uppka", "has_pikr")
    FACILITY_FIELDS = ("has_sekretariat", "has_rumah_dataku")
    FUNDING_FIELDS = (
        "fund_apbn",
        "fund_apbd",
        "fund_dana_kelurahan",
        "fund_community",
        "fund_csr",
        "fund_swadaya",
    )
    REGULATION_FIELDS = ("has_sk_walikota", "has_sk_camat", "has_sk_lurah")
    DATA_SOURCE_FIELDS = (
        "ds_pendataan_keluarga",
        "ds_bkkbn_routine",
        "ds_potensi_desa",
        "ds_sectoral",
        "ds_other",
    )
    MECHANISM_FIELDS = (
        "mech_planning",
        "mech_coordination",
        "mech_socialisation",
        "mech_monev",
        "mech_reporting",
    )

    class Meta(Snapshot.Meta):
        verbose_name = _("profile snapshot")
        verbose_name_plural = _("profile snapshots")
        default_related_name = "profile_snapshots"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "period"],
                name="one_profile_per_site_month",
                violation_error_message=_("This site already has a profile for that month."),
            )
        ]

    def __str__(self):
        return f"{self.site} — {self.period:%m/%Y}"

    def save(self, *args, **kwargs):
        neutralise_uploads(self, documents=("sk_file",))
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        if self.trained_members_count > self.members_count:
            errors["trained_members_count"] = _(
                "Trained members (%(trained)d) cannot exceed the number of members (%(members)d)."
            ) % {"trained": self.trained_members_count, "members": self.members_count}
        if self.sk_date and self.sk_date > timezone.localdate():
            errors["sk_date"] = _("The SK date cannot be in the future.")
        if self.sk_date and self.sk_valid_until and self.sk_valid_until < self.sk_date:
            errors["sk_valid_until"] = _("The SK cannot expire before it was issued.")
        if (self.sk_number or self.sk_date) and not self.pokja_exists:
            errors["pokja_exists"] = _("An SK Pokja was entered: tick “Pokja exists”.")
        if errors:
            raise ValidationError(errors)

    def count(self, fields) -> int:
        return sum(1 for f in fields if getattr(self, f))

    def _labels(self, fields):
        return [self._meta.get_field(f).verbose_name for f in fields if getattr(self, f)]

    # Lists of what the site has, for the site page.
    def poktan_labels(self):
        return self._labels(self.POKTAN_FIELDS)

    def facility_labels(self):
        return self._labels(self.FACILITY_FIELDS)

    def funding_labels(self):
        return self._labels(self.FUNDING_FIELDS)

    def regulation_labels(self):
        return self._labels(self.REGULATION_FIELDS)

    def data_source_labels(self):
        return self._labels(self.DATA_SOURCE_FIELDS)

    def mechanisms(self):
        return [
            (self._meta.get_field(f).verbose_name, getattr(self, f"get_{f}_display")())
            for f in self.MECHANISM_FIELDS
        ]

    @property
    def sk_expired(self) -> bool:
        return bool(self.sk_valid_until and self.sk_valid_until < timezone.localdate())


AGE_BANDS = [f"{lo}-{lo + 4}" for lo in range(0, 75, 5)] + ["75+"]
SEXES = ("L", "P")  # laki-laki, perempuan


def age_key(band: str, sex: str) -> str:
    return f"{band}_{sex}"


AGE_KEYS = [age_key(b, s) for b in AGE_BANDS for s in SEXES]


def validate_residents(value):
    if not isinstance(value, dict):
        raise ValidationError(_("Residents by age must be a table of numbers."))
    unknown = set(value) - set(AGE_KEYS)
    if unknown:
        raise ValidationError(
            _("Unknown age groups: %(keys)s"), params={"keys": ", ".join(sorted(unknown))}
        )
    for key, number in value.items():
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ValidationError(
                _("The number of residents aged %(key)s must be a whole number ≥ 0."),
                params={"key": key},
            )


class PopulationSnapshot(Snapshot):
    residents = models.JSONField(
        _("residents by age group and sex"),
        default=dict,
        blank=True,
        validators=[validate_residents],
        help_text=_("Keys like “0-4_L” / “0-4_P”: age band and sex."),
    )
    total_residents = models.PositiveIntegerField(_("total residents"), default=0)
    families = models.PositiveIntegerField(_("families (KK)"), default=0)
    pus = models.PositiveIntegerField(_("couples of childbearing age (PUS)"), default=0)
    adolescents = models.PositiveIntegerField(_("adolescents (10–24)"), default=0)
    families_with_toddlers = models.PositiveIntegerField(_("families with toddlers"), default=0)
    families_with_adolescents = models.PositiveIntegerField(
        _("families with adolescents"), default=0
    )
    families_with_elderly = models.PositiveIntegerField(_("families with elderly"), default=0)

    history = HistoricalRecords()

    class Meta(Snapshot.Meta):
        verbose_name = _("population snapshot")
        verbose_name_plural = _("population snapshots")
        default_related_name = "population_snapshots"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "period"],
                name="one_population_per_site_month",
                violation_error_message=_("This site already has population data for that month."),
            )
        ]

    def __str__(self):
        return f"{self.site} — {self.period:%m/%Y}"

    def save(self, *args, **kwargs):
        if self.residents:
            self.total_residents = sum(self.residents.values())
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        for name in (
            "families_with_toddlers",
            "families_with_adolescents",
            "families_with_elderly",
        ):
            if getattr(self, name) > self.families:
                errors[name] = _(
                    "%(label)s (%(value)d) cannot exceed the number of families (%(families)d)."
                ) % {
                    "label": self._meta.get_field(name).verbose_name.capitalize(),
                    "value": getattr(self, name),
                    "families": self.families,
                }
        if errors:
            raise ValidationError(errors)

    def target_for(self, poktan: str) -> int:
        """The target group of a poktan (DESIGN §7)."""
        return {
            "bkb": self.families_with_toddlers,
            "bkr": self.families_with_adolescents,
            "bkl": self.families_with_elderly,
            "uppka": self.families,
            "pikr": self.adolescents,
        }[poktan]


POKTAN_LABELS = {
    "bkb": "BKB",
    "bkr": "BKR",
    "bkl": "BKL",
    "uppka": "UPPKA",
    "pikr": "PIK-R",
}


class KKBPKSnapshot(Snapshot):
    """Family planning (KKBPK) figures. Validated against the population snapshot valid in
    the same month: users + non-users = PUS, poktan participants ≤ their target group."""

    # Poktan participants
    participants_bkb = models.PositiveIntegerField(_("BKB participants"), default=0)
    participants_bkr = models.PositiveIntegerField(_("BKR participants"), default=0)
    participants_bkl = models.PositiveIntegerField(_("BKL participants"), default=0)
    participants_uppka = models.PositiveIntegerField(_("UPPKA participants"), default=0)
    participants_pikr = models.PositiveIntegerField(_("PIK-R participants"), default=0)
    # Active KB users by method
    kb_iud = models.PositiveIntegerField(_("IUD"), default=0)
    kb_mow = models.PositiveIntegerField(_("MOW (female sterilisation)"), default=0)
    kb_mop = models.PositiveIntegerField(_("MOP (male sterilisation)"), default=0)
    kb_condom = models.PositiveIntegerField(_("condom"), default=0)
    kb_implant = models.PositiveIntegerField(_("implant"), default=0)
    kb_injection = models.PositiveIntegerField(_("injection"), default=0)
    kb_pill = models.PositiveIntegerField(_("pill"), default=0)
    # PUS not using KB, by reason
    nonuser_pregnant = models.PositiveIntegerField(_("pregnant"), default=0)
    nonuser_want_child_soon = models.PositiveIntegerField(_("want a child soon"), default=0)
    nonuser_want_child_later = models.PositiveIntegerField(_("want a child later"), default=0)
    nonuser_want_no_more = models.PositiveIntegerField(_("want no more children"), default=0)

    history = HistoricalRecords()

    METHOD_FIELDS = (
        "kb_iud",
        "kb_mow",
        "kb_mop",
        "kb_condom",
        "kb_implant",
        "kb_injection",
        "kb_pill",
    )
    LONG_ACTING_FIELDS = ("kb_iud", "kb_mow", "kb_mop", "kb_implant")
    NONUSER_FIELDS = (
        "nonuser_pregnant",
        "nonuser_want_child_soon",
        "nonuser_want_child_later",
        "nonuser_want_no_more",
    )
    PARTICIPANT_FIELDS = {k: f"participants_{k}" for k in POKTAN_LABELS}

    class Meta(Snapshot.Meta):
        verbose_name = _("KKBPK figures")
        verbose_name_plural = _("KKBPK figures")
        default_related_name = "kkbpk_snapshots"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "period"],
                name="one_kkbpk_per_site_month",
                violation_error_message=_("This site already has KKBPK figures for that month."),
            )
        ]

    def __str__(self):
        return f"{self.site} — {self.period:%m/%Y}"

    @property
    def kb_users(self) -> int:
        return sum(getattr(self, f) for f in self.METHOD_FIELDS)

    @property
    def non_users(self) -> int:
        return sum(getattr(self, f) for f in self.NONUSER_FIELDS)

    @property
    def long_acting_users(self) -> int:
        return sum(getattr(self, f) for f in self.LONG_ACTING_FIELDS)

    @property
    def unmet_need(self) -> int:
        return self.nonuser_want_child_later + self.nonuser_want_no_more

    def population(self):
        """The population snapshot valid in this month (the newest at or before it)."""
        if not (self.site_id and self.period):
            return None
        return (
            PopulationSnapshot.objects.filter(
                site_id=self.site_id, period__lte=first_of_month(self.period)
            )
            .order_by("-period")
            .first()
        )

    def clean(self):
        super().clean()
        if not (self.site_id and self.period):
            return  # a bad or missing month has its own error; no population can be looked up
        population = self.population()
        if population is None:
            raise ValidationError(
                _(
                    "There are no population data for this site in or before that month. "
                    "Record the population (including PUS) first."
                )
            )
        errors = {}
        if self.kb_users + self.non_users != population.pus:
            errors["__all__"] = _(
                "KB users (%(users)d) + PUS not using KB (%(non_users)d) = %(total)d, but the "
                "number of PUS for %(month)s is %(pus)d. The two must be equal."
            ) % {
                "users": self.kb_users,
                "non_users": self.non_users,
                "total": self.kb_users + self.non_users,
                "month": population.period.strftime("%m/%Y"),
                "pus": population.pus,
            }
        for poktan, field_name in self.PARTICIPANT_FIELDS.items():
            value, target = getattr(self, field_name), population.target_for(poktan)
            if value > target:
                errors[field_name] = _(
                    "%(poktan)s participants (%(value)d) cannot exceed its target group "
                    "(%(target)d)."
                ) % {"poktan": POKTAN_LABELS[poktan], "value": value, "target": target}
        if errors:
            raise ValidationError(errors)
