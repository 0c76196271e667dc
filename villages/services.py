"""Small read-side helpers for site pages and dashboards."""

import datetime

from django.db.models import Count, F, Func, IntegerField, Max, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import KampungKB, Kecamatan

# The profile fields profile_gaps() reads (and ``period``): a caller may load only these.
PROFILE_GAP_FIELDS = (
    "period",
    "pokja_exists",
    "sk_number",
    "sk_valid_until",
    "members_count",
    "companion",
)


def profile_gaps(profile, population, figures) -> list[str]:
    """What is missing or stale in a site's current registry data (``None`` = never
    recorded), in plain words, so the Pokja knows what to fill in next."""
    today = timezone.localdate()
    gaps = []
    if profile is None:
        gaps.append(_("No profile has been recorded yet."))
    else:
        if not profile.pokja_exists:
            gaps.append(_("The profile says there is no Pokja yet."))
        elif not profile.sk_number:
            gaps.append(_("The SK Pokja (number and date) is not recorded."))
        if profile.sk_expired:
            gaps.append(
                _("The SK Pokja expired on %(date)s.")
                % {"date": profile.sk_valid_until.strftime("%d/%m/%Y")}
            )
        if profile.members_count == 0:
            gaps.append(_("The number of Pokja members is 0."))
        if profile.companion == profile.Companion.NONE:
            gaps.append(_("No companion (PLKB/PKB or other) is recorded."))
        if profile.period < (today.replace(day=1) - datetime.timedelta(days=365)):
            gaps.append(
                _("The profile was last updated for %(month)s, more than a year ago.")
                % {"month": profile.period.strftime("%m/%Y")}
            )
    if population is None:
        gaps.append(_("No population data (PUS, families) have been recorded yet."))
    if figures is None:
        gaps.append(_("No KKBPK figures (KB users, poktan participants) have been recorded yet."))
    return gaps


def kecamatan_coverage():
    """Every kecamatan with its number of active sites (the city's target: at least one
    Kampung KB per kecamatan). One query."""
    return Kecamatan.objects.annotate(
        active_sites=Count(
            "kelurahan_set__sites",
            filter=Q(kelurahan_set__sites__is_active=True),
            distinct=True,
        ),
        kelurahan_count=Count("kelurahan_set", distinct=True),
    ).order_by("code")


def coverage_counts() -> dict:
    """``{"kecamatan": n, "active_sites": n}`` in one query: the number of active sites
    rides along as a scalar subquery (computed once), so the coverage panel costs the same
    number of queries whichever layout the number of kecamatan chooses."""
    active = KampungKB.objects.active().order_by()
    total = active.annotate(n=Func(F("pk"), function="COUNT")).values("n")
    counts = Kecamatan.objects.aggregate(
        kecamatan=Count("pk"),
        active_sites=Max(Subquery(total, output_field=IntegerField())),
    )
    # No kecamatan at all: MAX over no rows is NULL.
    return {"kecamatan": counts["kecamatan"], "active_sites": counts["active_sites"] or 0}


def sites_by_kecamatan(sites):
    """``[(kecamatan, [site, ...]), ...]`` for every kecamatan, including those without a
    site (two queries whatever the number of sites)."""
    grouped: dict[int, list] = {}
    for site in sites.select_related("kelurahan__kecamatan").order_by("kelurahan__code", "name"):
        grouped.setdefault(site.kelurahan.kecamatan_id, []).append(site)
    return [(kec, grouped.get(kec.pk, [])) for kec in Kecamatan.objects.order_by("code")]
