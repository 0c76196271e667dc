"""Public panels (anonymous visitors): verified activities of active sites — title, date,
family function, site and at most one photo the Pokja marked public. No names of people,
no description, no place."""

from django.db.models import Prefetch

from kampungkb.panels import Panel

from .models import Activity, ActivityPhoto

LANDING = 6
SITE = 12


def _public_activities():
    return (
        Activity.objects.public()
        .select_related("site")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ActivityPhoto.objects.public().order_by("pk"),
                to_attr="public_photos",
            )
        )
        .order_by("-date", "-pk")
    )


def landing_panels(request, scope):
    activities = list(_public_activities()[:LANDING])
    return [
        Panel(
            "activities/panels/public_activities.html",
            {"activities": activities, "show_site": True, "heading_id": "public-recent-h"},
            order=10,
        )
    ]


def site_panels(request, scope, site):
    activities = list(_public_activities().filter(site=site)[:SITE])
    return [
        Panel(
            "activities/panels/public_activities.html",
            {"activities": activities, "show_site": False, "heading_id": "public-site-h"},
            order=10,
        )
    ]
