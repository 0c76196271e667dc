"""Dashboard panels of the activities app.

Pokja: activities returned by the Dinas (reason first, one tap from editing) and this
month's report (due date, what is still draft). Dinas: the verification queue and the Pokja
without a ketua or with an expired SK (the late and missing monthly reports are the reports
app's panel, read from its monthly rows). Each panel runs a
fixed number of queries, whatever the number of sites or activities.
"""

from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from kampungkb.panels import Panel
from villages.models import KampungKB, ProfileSnapshot

from . import cadence
from .models import Activity, PokjaMember

RETURNED_LIMIT = 20
DRAFT_LIMIT = 10
FOLLOW_UP_LIMIT = 20
COUNT_CAP = 1000


def capped_count(qs, cap=None) -> int:
    """``qs.count()``, but at most ``cap + 1``: COUNT over a LIMITed subquery, so a count
    over tens of thousands of sites stops early (one query either way)."""
    cap = COUNT_CAP if cap is None else cap
    return qs.order_by()[: cap + 1].count()


def panels(request, scope):
    result = []
    if scope.is_pokja:
        result.extend(pokja_panels(request, scope))
    if scope.is_dinas:
        result.extend(dinas_panels(request, scope))
    return result


def pokja_panels(request, scope):
    """The Pokja's activity panel. Its lists load only the columns they show (``only``):
    the ORM's cost per query grows with the columns selected, and a Pokja opens this page
    several times a day."""
    user = request.user
    activities = Activity.objects.visible_to(user).filter(site_id__in=scope.pokja_site_ids)
    returned = list(
        activities.filter(status=Activity.Status.RETURNED)
        .with_status_reason()
        .select_related("site")
        .only("title", "date", "status", "site__name")
        .order_by("-updated_at")[:RETURNED_LIMIT]
    )

    today = timezone.localdate()
    month = cadence.open_report_month(today)
    sites = list(
        KampungKB.objects.visible_to(user).filter(pk__in=scope.pokja_site_ids, is_active=True)
    )
    reports = cadence.month_reports(
        sites, activities, first=cadence.add_months(month, -1), last=month, today=today
    )
    drafts = list(
        activities.filter(
            status=Activity.Status.DRAFT,
            date__gte=month,
            date__lt=cadence.add_months(month, 1),
        )
        .only("site_id", "title", "date")
        .order_by("date", "pk")[:DRAFT_LIMIT]
    )
    rows = []
    for site in sites:
        by_month = {r.month: r for r in reports.get(site.pk, [])}
        rows.append(
            {
                "site": site,
                "current": by_month.get(month),
                "previous": by_month.get(cadence.add_months(month, -1)),
                "drafts": [d for d in drafts if d.site_id == site.pk],
            }
        )
    recent = list(activities.only("title", "status").order_by("-date", "-pk")[:5])
    return [
        Panel(
            "activities/panels/pokja_activities.html",
            {
                "returned": returned,
                "month": month,
                "due": cadence.due_date(month),
                "rows": rows,
                "recent": recent,
                # sites_for_new_activity(user) for a Pokja member: their active sites.
                "can_create": bool(sites),
            },
            order=5,
        )
    ]


def dinas_panels(request, scope):
    user = request.user
    today = timezone.localdate()
    awaiting = Activity.objects.visible_to(user).awaiting_verification()
    # Counted up to a cap: exact for a city, "more than 1,000" for a national queue, and
    # the count stops scanning there (the oldest comes from the (status, submitted_at) index).
    queue_count = capped_count(awaiting)
    oldest = awaiting.aggregate(oldest=Min("submitted_at"))["oldest"]
    flagged = awaiting.with_photo_flags().filter(has_duplicate_photo=True).count()

    # Only the sites to follow up are fetched (the first few, and how many in all), so the
    # panel costs the same at 54 and at 83,000 sites.
    to_follow = (
        KampungKB.objects.visible_to(user)
        .active()
        .annotate(
            # A scalar subquery, not EXISTS: PostgreSQL turns an EXISTS inside an OR into a
            # hash of every ketua in the country (15-30 ms at 83,000 sites) where the list
            # only needs an index probe for each of the few sites it reads.
            ketua_site=Subquery(
                PokjaMember.objects.current(today)
                .filter(site_id=OuterRef("pk"), position=PokjaMember.Position.KETUA)
                .values("site_id")[:1]
            ),
            sk_valid_until=Subquery(
                ProfileSnapshot.objects.filter(site_id=OuterRef("pk"))
                .order_by("-period")
                .values("sk_valid_until")[:1]
            ),
        )
        .filter(Q(ketua_site__isnull=True) | Q(sk_valid_until__lt=today))
    )
    pokja_flags = [
        {
            "site": s,
            "no_ketua": s.ketua_site is None,
            "sk_expired": bool(s.sk_valid_until and s.sk_valid_until < today),
        }
        for s in to_follow.select_related("kelurahan__kecamatan").order_by(
            "kelurahan__code", "name"
        )[:FOLLOW_UP_LIMIT]
    ]
    follow_up_count = capped_count(to_follow)
    return [
        Panel(
            "activities/panels/dinas_queue.html",
            {
                "count": queue_count,
                "capped": queue_count > COUNT_CAP,
                "cap": COUNT_CAP,
                "oldest": oldest,
                "flagged": flagged,
            },
            order=5,
        ),
        Panel(
            "activities/panels/dinas_pokja_health.html",
            {
                "flags": pokja_flags,
                "count": follow_up_count,
                "capped": follow_up_count > COUNT_CAP,
                "cap": COUNT_CAP,
                "limit": FOLLOW_UP_LIMIT,
            },
            order=14,
        ),
    ]
