"""The site page's activity panel: recent activities, the monthly reports of the last
months, and links to log an activity or open the member list (bounded queries)."""

from django.utils import timezone

from kampungkb.panels import Panel

from . import cadence
from .forms import can_record_at
from .models import Activity, PokjaMember

RECENT = 8
MONTHS = 6


def panels(request, scope, site):
    user = request.user
    activities = Activity.objects.visible_to(user).filter(site=site)
    recent = list(activities.order_by("-date", "-pk")[:RECENT])
    today = timezone.localdate()
    last = cadence.open_report_month(today)
    reports = cadence.month_reports(
        [site], activities, first=cadence.add_months(last, -(MONTHS - 1)), last=last, today=today
    ).get(site.pk, [])
    return [
        Panel(
            "activities/panels/site_activities.html",
            {
                "site": site,
                "recent": recent,
                "reports": list(reversed(reports)),
                "can_create": can_record_at(user, site),
                "can_see_members": PokjaMember.objects.readable_for_site(user, site),
            },
            order=10,
        )
    ]
