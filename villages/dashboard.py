from django.db.models import OuterRef, Subquery

from kampungkb.panels import Panel

from .models import KampungKB, Kecamatan, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot
from .services import (
    PROFILE_GAP_FIELDS,
    coverage_counts,
    kecamatan_coverage,
    profile_gaps,
    sites_by_kecamatan,
)

# Above this many kecamatan the Dinas panel shows totals instead of a row per kecamatan.
COVERAGE_TABLE_LIMIT = 100
COVERAGE_LIST_LIMIT = 30


def _latest(model, site_ids, fields=()):
    """The newest snapshot of each site, one query that reads only those rows (not the
    site's whole monthly history) and of them only ``fields``: the profile has 45 columns,
    and the ORM's cost per query grows with the columns it selects."""
    newest = model.objects.filter(site_id=OuterRef("site_id")).order_by("-period")
    return {
        snap.site_id: snap
        for snap in model.objects.filter(
            site_id__in=site_ids, period=Subquery(newest.values("period")[:1])
        ).only("site_id", "period", *fields)
    }


def panels(request, scope):
    user = request.user
    result = []
    if scope.is_dinas:
        counts = coverage_counts()
        if counts["kecamatan"] <= COVERAGE_TABLE_LIMIT:
            coverage = list(kecamatan_coverage())
            context = {
                "coverage": coverage,
                "without_site": [k for k in coverage if k.active_sites == 0],
            }
        else:
            # National scale (thousands of kecamatan): the total and the first kecamatan
            # still without a site, not a row per kecamatan. One query, like the table.
            without = list(
                Kecamatan.objects.exclude(
                    pk__in=KampungKB.objects.active().values("kelurahan__kecamatan_id")
                ).order_by("code")[: COVERAGE_LIST_LIMIT + 1]
            )
            context = {
                "coverage": None,
                "without_site": without[:COVERAGE_LIST_LIMIT],
                "more_without_site": len(without) > COVERAGE_LIST_LIMIT,
            }
        context["total_active"] = counts["active_sites"]
        result.append(Panel("villages/panels/dinas_coverage.html", context, order=10))
    if scope.is_pokja:
        sites = list(
            KampungKB.objects.visible_to(user)
            .filter(pk__in=scope.pokja_site_ids)
            .select_related("kelurahan__kecamatan")
        )
        ids = [s.pk for s in sites]
        profiles = _latest(ProfileSnapshot, ids, PROFILE_GAP_FIELDS)
        # Only whether they exist matters to profile_gaps().
        populations = _latest(PopulationSnapshot, ids)
        figures = _latest(KKBPKSnapshot, ids)
        rows = [
            {
                "site": s,
                "profile": profiles.get(s.pk),
                "gaps": profile_gaps(profiles.get(s.pk), populations.get(s.pk), figures.get(s.pk)),
                "manages": s.pk in scope.managed_site_ids,
            }
            for s in sites
        ]
        result.append(Panel("villages/panels/pokja_site.html", {"rows": rows}, order=20))
    if scope.is_viewer and not scope.is_dinas:
        groups = [
            (kec, sites)
            for kec, sites in sites_by_kecamatan(KampungKB.objects.visible_to(user))
            if sites
        ]
        result.append(Panel("villages/panels/area_sites.html", {"groups": groups}, order=30))
    return result
