"""The monthly quality rows: the cache every report page reads.

``reports`` owns no domain data (DESIGN §2): a :class:`QualityScore` row is derived
from a site's snapshots and verified activities for one month and can be rebuilt at any
time (``manage.py recompute_quality``). It is kept per month so a past month's class is
shown as it was, and so the dashboard and comparison read a few indexed rows instead of
recomputing twelve indicators for every site.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kampungkb.choices import ChoiceLabelsMixin
from kampungkb.scopes import get_scope
from villages.models import KampungKB, Kecamatan, Kota

from .quality import INDICATORS, QualityClass


class QualityScoreQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows of the sites the user may read (the rule of
        ``KampungKB.objects.visible_to``, written on the row's site)."""
        scope = get_scope(user)
        if not scope.authenticated:
            return self.none()
        if scope.reads_all_sites:
            return self.all()
        return self.filter(scope.site_q("site"))

    def editable_by(self, user):
        """Derived rows: nobody edits them (``recompute_quality`` rebuilds them)."""
        return self.none()

    def for_month(self, month):
        return self.filter(period=month)


class ReportStatus(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")
    MISSING = "missing", _("Missing")
    NOT_DUE = "not_due", _("Not due yet")


def _score_field(label):
    return models.PositiveSmallIntegerField(label)


class QualityScore(ChoiceLabelsMixin, models.Model):
    # No index of its own: the unique (site, period) index serves every lookup by site
    # (a second index on site_id alone only slowed the monthly COPY and the deletes).
    site = models.ForeignKey(
        KampungKB,
        models.CASCADE,
        related_name="quality_scores",
        db_index=False,
        verbose_name=_("Kampung KB"),
    )
    period = models.DateField(_("month"), help_text=_("First day of the month scored."))
    # The site's kecamatan (copied when computed): the dashboard groups a month's rows by
    # area without joining the site and kelurahan tables.
    kecamatan = models.ForeignKey(
        Kecamatan, models.CASCADE, related_name="+", db_index=False, verbose_name=_("kecamatan")
    )
    # Months since the site's first reporting month (0 = that month).
    month_index = models.PositiveSmallIntegerField(_("month number"))

    # --- the 12 sub-scores (1–4) --------------------------------------------------------
    s_pokja = _score_field(_("score: Pokja"))
    s_funding = _score_field(_("score: funding sources"))
    s_poktan = _score_field(_("score: poktan"))
    s_facilities = _score_field(_("score: facilities"))
    s_companion = _score_field(_("score: PLKB companion and regulation"))
    s_data_sources = _score_field(_("score: data sources"))
    s_mechanisms = _score_field(_("score: operational mechanisms"))
    s_cross_sector = _score_field(_("score: cross-sector"))
    s_participation = _score_field(_("score: poktan participation"))
    s_cpr = _score_field(_("score: CPR"))
    s_long_acting = _score_field(_("score: long-acting methods"))
    s_unmet_need = _score_field(_("score: unmet need"))

    # --- the figure behind each sub-score -------------------------------------------------
    pokja_exists = models.BooleanField(_("Pokja exists"), default=False)
    pokja_members = models.PositiveIntegerField(_("Pokja members"), default=0)
    pokja_trained = models.PositiveIntegerField(_("trained Pokja members"), default=0)
    funding_count = models.PositiveSmallIntegerField(_("funding sources"), default=0)
    poktan_count = models.PositiveSmallIntegerField(_("poktan owned"), default=0)
    facility_count = models.PositiveSmallIntegerField(_("facilities"), default=0)
    has_plkb = models.BooleanField(_("PLKB companion"), default=False)
    has_regulation = models.BooleanField(_("regulation"), default=False)
    data_source_count = models.PositiveSmallIntegerField(_("data sources"), default=0)
    mechanism_count = models.PositiveSmallIntegerField(_("mechanisms done"), default=0)
    agency_count = models.PositiveSmallIntegerField(
        _("cross-sector agencies (12 months)"), default=0
    )
    participation_pct = models.PositiveSmallIntegerField(
        _("poktan participation %"), null=True, blank=True
    )
    cpr_pct = models.PositiveSmallIntegerField(_("CPR %"), null=True, blank=True)
    long_acting_pct = models.PositiveSmallIntegerField(
        _("long-acting methods %"), null=True, blank=True
    )
    unmet_need_pct = models.PositiveSmallIntegerField(_("unmet need %"), null=True, blank=True)

    # --- indices and class -----------------------------------------------------------------
    input_index = models.DecimalField(_("input index"), max_digits=3, decimal_places=2)
    process_index = models.DecimalField(_("process index"), max_digits=3, decimal_places=2)
    output_index = models.DecimalField(_("output index"), max_digits=3, decimal_places=2)
    quality_class = models.PositiveSmallIntegerField(
        _("class"), choices=QualityClass.choices, db_index=False
    )

    # --- which snapshots were current (freshness) -------------------------------------
    profile_period = models.DateField(_("profile month"), null=True, blank=True)
    population_period = models.DateField(_("population month"), null=True, blank=True)
    kkbpk_period = models.DateField(_("KKBPK month"), null=True, blank=True)
    sk_valid_until = models.DateField(_("SK Pokja valid until"), null=True, blank=True)

    # --- sustainability (DESIGN §8) -------------------------------------------------------
    activity_count = models.PositiveIntegerField(_("verified activities"), default=0)
    function_count = models.PositiveSmallIntegerField(_("family functions covered"), default=0)
    month_agency_count = models.PositiveSmallIntegerField(_("agencies involved"), default=0)
    # "opd_id:month_number,…": the cross-sector agencies of the 12-month window with the
    # month each was last seen; carried to the next month's row.
    recent_agencies = models.TextField(_("recent cross-sector agencies"), blank=True, default="")
    report_submitted_at = models.DateTimeField(
        _("monthly report first submitted"), null=True, blank=True
    )
    # Bit k set: the site had a verified activity k months before this one (k < 12).
    active_mask = models.PositiveIntegerField(_("active months (bit mask)"), default=0)
    active_months_12 = models.PositiveSmallIntegerField(
        _("active months in the last 12"), default=0
    )
    first_year_active_months = models.PositiveSmallIntegerField(
        _("active months in the first year"), default=0
    )
    is_fading = models.BooleanField(_("fading"), default=False)

    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    objects = QualityScoreQuerySet.as_manager()

    SCORE_FIELDS = tuple(f"s_{i.key}" for i in INDICATORS)

    class Meta:
        verbose_name = _("quality score")
        verbose_name_plural = _("quality scores")
        # site_id, not site: "site" would sort by the site's own ordering (two joins).
        ordering = ["site_id", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["site", "period"], name="one_quality_score_per_month"),
        ]
        indexes = [
            # The dashboard, the classification table and the fading/late lists read one
            # month of every site; the site page and comparisons read one site's months
            # (the unique constraint's index covers (site, period)).
            # One month of every site in area order, with what the dashboard counts: its
            # counts per area and flags, the class changes (self-join on site) and the
            # first page of the classification table are index-only scans of this index.
            models.Index(
                fields=[
                    "period",
                    "kecamatan",
                    "site",
                    "quality_class",
                    "is_fading",
                    "report_submitted_at",
                    "sk_valid_until",
                    "profile_period",
                ],
                name="quality_month_area",
            ),
            models.Index(
                fields=["period"], condition=Q(is_fading=True), name="quality_period_fading"
            ),
        ]

    def __str__(self):
        return f"{self.site_id} {self.period:%m/%Y}: {self.get_quality_class_display()}"

    def score_of(self, key: str) -> int:
        return getattr(self, f"s_{key}")


class MonthSummary(ChoiceLabelsMixin, models.Model):
    """One month's quality rows counted per kota, class and the class of 12 months before
    (DESIGN §7, §8): the class changes and per-kota counts of the dashboard of a user who
    reads every site, read from a few thousand rows instead of aggregating 83,000 quality
    rows per view. Derived from :class:`QualityScore` only and rebuilt with
    it (:mod:`reports.summary`)."""

    period = models.DateField(_("month"))
    kota = models.ForeignKey(
        Kota, models.CASCADE, related_name="+", db_index=False, verbose_name=_("city/regency")
    )
    quality_class = models.PositiveSmallIntegerField(_("class"), choices=QualityClass.choices)
    # The same site's class 12 months before (same kecamatan: a site that moved has its
    # history recomputed); null for a site without a row then.
    previous_class = models.PositiveSmallIntegerField(
        _("class 12 months before"), choices=QualityClass.choices, null=True, blank=True
    )
    sites = models.PositiveIntegerField(_("sites"))
    fading = models.PositiveIntegerField(_("fading"))
    missing = models.PositiveIntegerField(_("report missing"))
    late = models.PositiveIntegerField(_("report late"))
    no_profile = models.PositiveIntegerField(_("no profile"))

    class Meta:
        verbose_name = _("monthly quality summary")
        verbose_name_plural = _("monthly quality summaries")
        indexes = [models.Index(fields=["period", "kota"], name="summary_month_kota")]

    def __str__(self):
        return f"{self.kota_id} {self.period:%m/%Y}: {self.sites}"
