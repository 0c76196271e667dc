"""Query bounds: every activity list, the queue, the dashboards and the public pages run
the same number of queries with few or many sites and activities."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity

from . import factories as f
from .queries import count_queries

pytestmark = pytest.mark.django_db
S = Activity.Status
STATUSES = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.VERIFIED]
SUBMITTED_AT = timezone.make_aware(datetime.datetime(2024, 5, 1, 10))


def grow(site_a, kec_a, n, agencies):
    """``n`` more sites (each with a ketua, a profile and activities in every status) and
    ``n`` more activities at site A (the Pokja's own)."""
    for i in range(n):
        site = f.KampungKBFactory(kelurahan__kecamatan=kec_a)
        f.PokjaMemberFactory(site=site, position="ketua" if i % 2 else "sekretaris")
        f.ProfileSnapshotFactory(site=site, sk_valid_until=datetime.date(2024, 1, 1))
        for j, status in enumerate(STATUSES):
            activity = f.ActivityFactory(
                site=site,
                status=status,
                date=datetime.date(2024, 1 + j, 10),
                agencies=agencies,
                submitted_at=None if status == S.DRAFT else SUBMITTED_AT,
                first_submitted_at=None if status == S.DRAFT else SUBMITTED_AT,
            )
            if i < 2:
                f.ActivityPhotoFactory(activity=activity, is_public=True)
        a = f.ActivityFactory(site=site_a, status=STATUSES[i % 4], agencies=agencies)
        f.ActivityTransitionFactory(activity=a, reason="alasan")


def pages(site_a, activity):
    return {
        "dashboard": reverse("dashboard"),
        "list": reverse("activities:list"),
        "list-filtered": reverse("activities:list")
        + f"?status=verified&category=reproduksi&kecamatan={site_a.kelurahan.kecamatan_id}"
        + "&date_from=2024-01-01&date_to=2024-12-31&sort=site",
        "list-page-2": reverse("activities:list") + "?page=2",
        "queue": reverse("activities:queue"),
        "detail": reverse("activities:detail", args=[activity.pk]),
        "update": reverse("activities:update", args=[activity.pk]),
        "create": reverse("activities:create"),
        "site-detail": reverse("villages:site-detail", args=[site_a.pk]),
        "members": reverse("activities:members", args=[site_a.pk]),
        "landing": reverse("landing"),
        "public-site": reverse("public:site-detail", args=[site_a.pk]),
    }


DINAS_PAGES = [
    "dashboard",
    "list",
    "list-filtered",
    "list-page-2",
    "queue",
    "detail",
    "update",
    "create",
    "site-detail",
    "members",
    "landing",
    "public-site",
]
POKJA_PAGES = [
    "dashboard",
    "list",
    "list-filtered",
    "detail",
    "update",
    "create",
    "site-detail",
    "members",
]


@pytest.fixture
def world(site_a, kec_a, pokja_a, dinas):
    agencies = [f.OPDFactory(), f.OPDFactory()]
    activity = f.ActivityFactory(site=site_a, agencies=agencies)
    for _ in range(3):
        f.ActivityPhotoFactory(activity=activity)
    f.ActivityTransitionFactory(activity=activity)
    shown = f.ActivityFactory(site=site_a, status=S.VERIFIED, title="Sudah terverifikasi")
    f.ActivityPhotoFactory(activity=shown, is_public=True)
    grow(site_a, kec_a, 3, agencies)
    return {"site_a": site_a, "kec_a": kec_a, "activity": activity, "agencies": agencies}


@pytest.mark.parametrize(
    ("role", "page_name"),
    [("dinas", p) for p in DINAS_PAGES] + [("pokja_a", p) for p in POKJA_PAGES],
)
def test_queries_do_not_grow(
    role, page_name, world, cast, client_for, django_assert_max_num_queries
):
    client = client_for(cast[role])
    url = pages(world["site_a"], world["activity"])[page_name]
    few = count_queries(client, url)
    grow(world["site_a"], world["kec_a"], 15, world["agencies"])
    many = count_queries(client, url)
    assert few == many, f"{role} {page_name}: {few} queries with 4 sites, {many} with 19"
    # Pages assembled from every app's panels (kampungkb.panels) get a larger, still fixed,
    # budget.
    budget = 32 if page_name in ("dashboard", "site-detail") else 22
    with django_assert_max_num_queries(budget):
        client.get(url)
