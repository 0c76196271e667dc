"""Dashboard and site-page panels for the coordination with agencies (OPD): usulan waiting
for an answer (overdue first), usulan sent, the inbox, and the agencies present at a site.
Each provider runs a fixed number of queries."""

from django.db.models import Count, Q
from django.utils import timezone

from kampungkb.panels import Panel

from .models import Activity, OPDProgram, Usulan
from .templatetags.coordination import unread_count

WAITING_SHOWN = 8
SENT_SHOWN = 5


def dashboard_panels(request, scope):
    if not scope.authenticated:
        return []
    user = request.user
    today = timezone.localdate()
    can_answer = scope.is_dinas or bool(scope.opd_ids or scope.managed_site_ids)
    can_send = scope.is_dinas or scope.is_pokja
    can_offer = scope.is_dinas or scope.is_opd
    ctx = {
        "today": today,
        "can_send": can_send,
        "can_offer": can_offer,
        "unread": unread_count(request),
    }
    visible = Usulan.objects.visible_to(user).select_related("site", "opd")
    if can_answer:
        waiting = visible.addressed_to(user).open()
        ctx.update(
            waiting.aggregate(
                open_count=Count("pk"), overdue_count=Count("pk", filter=Q(due_on__lt=today))
            )
        )
        ctx["waiting"] = list(waiting.order_by("due_on", "pk")[:WAITING_SHOWN])
    if can_send or can_offer:
        ctx["sent"] = list(visible.sent_by(user).order_by("-created_at", "-pk")[:SENT_SHOWN])
    if scope.is_dinas:
        # The Dinas follows up every late answer in the city, whoever it is addressed to.
        late = visible.overdue(today)
        ctx["city_overdue_count"] = late.count()
        ctx["city_overdue"] = list(late.order_by("due_on", "pk")[:WAITING_SHOWN])
    if scope.opd_ids:
        ctx["programs"] = OPDProgram.objects.managed_by(user).aggregate(
            total=Count("pk"),
            running=Count("pk", filter=Q(status=OPDProgram.Status.RUNNING)),
            planned=Count("pk", filter=Q(status=OPDProgram.Status.PLANNED)),
        )
    if not (can_answer or can_send or can_offer or ctx["unread"]):
        return []
    return [Panel("activities/panels/usulan_dashboard.html", ctx, order=25)]


def _opd_columns(relation):
    """The agency columns the panel shows (``str(opd)``), for ``only()``: the lists load
    only what they show, as the ORM's cost per query grows with the columns selected."""
    return (relation, f"{relation}__short_name", f"{relation}__name")


def site_panels(request, scope, site):
    """The agencies present at the site: their programs, the activities they recorded or
    took part in, and the site's usulan (for those who may see them)."""
    user = request.user
    programs = list(
        OPDProgram.objects.visible_to(user)
        .filter(sites=site)
        .select_related("opd")
        .only("title", "starts_on", "ends_on", "status", *_opd_columns("opd"))
        .order_by("-starts_on", "title")[:20]
    )
    recorded = list(
        Activity.objects.visible_to(user)
        .filter(site=site, recorded_by_opd__isnull=False)
        .select_related("recorded_by_opd")
        .only("title", "date", "status", *_opd_columns("recorded_by_opd"))
        .order_by("-date", "-pk")[:10]
    )
    through = Activity.agencies.through
    partner_names = set(
        through.objects.filter(
            activity__in=Activity.objects.visible_to(user).verified().filter(site=site),
            opd__is_kb_agency=False,
        )
        .values_list("opd__short_name", "opd__name")
        .distinct()
    )
    agencies = sorted(
        {p.opd for p in programs} | {a.recorded_by_opd for a in recorded}, key=lambda o: str(o)
    )
    names = sorted({str(o) for o in agencies} | {short or name for short, name in partner_names})
    usulan = list(
        Usulan.objects.visible_to(user)
        .filter(site=site)
        .select_related("opd")
        .only("title", "status", "direction", *_opd_columns("opd"))
        .order_by("-created_at", "-pk")[:5]
    )
    return [
        Panel(
            "activities/panels/site_opd.html",
            {
                "site": site,
                "agency_names": names,
                "programs": programs,
                "recorded": recorded,
                "usulan": usulan,
                "today": timezone.localdate(),
            },
            order=40,
        )
    ]
