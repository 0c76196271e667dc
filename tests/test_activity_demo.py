"""The demo activities: idempotent, valid, and shaped as the issue asks."""

import datetime
import os

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from activities import cadence
from activities.models import FAMILY_FUNCTIONS_8, Activity, ActivityPhoto, ActivityTransition

pytestmark = pytest.mark.django_db
S = Activity.Status


def counts():
    return (
        Activity.objects.count(),
        ActivityPhoto.objects.count(),
        ActivityTransition.objects.count(),
        Activity.agencies.through.objects.count(),
    )


def seed():
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_demo_activities(client_for):
    """One seeding (it takes a few seconds), every check of the demo's shape."""
    seed()
    first = counts()
    seed()
    assert counts() == first  # idempotent
    check_varied_and_valid()
    check_one_faded_one_steady()
    check_photos()
    check_the_pokja_login_has_something_to_fix(client_for)


def check_varied_and_valid():
    activities = Activity.objects.filter(is_demo=True)
    assert activities.count() > 300
    assert set(activities.values_list("category", flat=True)) >= set(FAMILY_FUNCTIONS_8)
    statuses = dict(activities.values_list("status").annotate(n=Count("pk")))
    assert all(statuses.get(s, 0) > 0 for s in S.values), statuses
    agencies = Activity.agencies.through.objects.values("opd").distinct().count()
    assert agencies >= 5
    assert ActivityTransition.objects.filter(to_status=S.RETURNED).exclude(reason="").count() > 5
    dates = activities.values_list("date", flat=True)
    assert (max(dates) - min(dates)).days > 2 * 365  # 2–3 years
    for activity in activities.select_related("site").order_by("?")[:100]:
        activity.full_clean()  # every demo activity obeys the form's rules
    # Each submitted/verified activity has a first submission, drafts do not.
    assert not activities.filter(status=S.DRAFT, first_submitted_at__isnull=False).exists()
    assert not activities.exclude(status=S.DRAFT).filter(first_submitted_at__isnull=True).exists()


def check_one_faded_one_steady():
    today = timezone.localdate()
    last_six = cadence.add_months(today.replace(day=1), -6)

    def months_with_activity(name, since, until):
        return (
            Activity.objects.filter(site__name=name, date__gte=since, date__lt=until)
            .dates("date", "month")
            .count()
        )

    kedaung_first_year = months_with_activity(
        "Kampung KB Kedaung Ceria", datetime.date(2024, 3, 1), datetime.date(2025, 3, 1)
    )
    assert kedaung_first_year >= 10  # busy in most months of its first year
    assert months_with_activity("Kampung KB Kedaung Ceria", last_six, today) < 3  # faded
    steady = months_with_activity("Kampung KB Muncul Berdaya", last_six, today)
    assert steady >= 6


def check_photos():
    photos = ActivityPhoto.objects.filter(activity__is_demo=True)
    assert photos.filter(is_public=True).count() > photos.count() / 2
    reused = photos.values("sha256").annotate(n=Count("pk")).filter(n__gt=1)
    assert reused.count() == 1
    assert any(p.taken_far_from_activity for p in photos.select_related("activity"))


def check_the_pokja_login_has_something_to_fix(client_for):
    from kampungkb.models import User

    body = client_for(User.objects.get(username="pokja")).get("/dasbor/").content.decode()
    assert "Peserta perempuan tertulis 0" in body
    assert "Rapat persiapan PIK-R" in body
