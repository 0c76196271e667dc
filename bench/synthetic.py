"""Synthetic load-test data on top of the demo: one Kampung KB in every kelurahan that has
none (Tangsel: 54 kelurahan, 9 demo sites → 45 more), each with two years of monthly
snapshots and a Pokja board, plus the load-test logins:

* ``bench_pokja_01`` … ``bench_pokja_NN``: wakil ketua of the sites, round robin;
* ``bench_dinas_01`` … ``bench_dinas_NN``: Dinas staff.

Idempotent (a second run adds nothing). Returns the users with the site each one manages.
``stored`` checks the activities the server acknowledged during the run against the
database. Run through ``bench/loadtest.py``; never in tests or production.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from activities.models import Activity, PokjaMember
from kampungkb.scopes import DINAS_GROUP
from reports.recompute import recompute_all
from villages.demo import _figures, _population, _profile, months_between
from villages.models import (
    KampungKB,
    Kelurahan,
    KKBPKSnapshot,
    PopulationSnapshot,
    ProfileSnapshot,
)

BENCH_PASSWORD = "bench-kampungkb-2025"  # noqa: S105 - load-test accounts on a bench database


@transaction.atomic
def prepare(n_pokja=50, n_dinas=10):
    rng = random.Random(6)
    today = timezone.localdate()
    start = datetime.date(today.year - 2, today.month, 1)
    taken = set(KampungKB.objects.active().values_list("kelurahan_id", flat=True))
    new_sites = []
    for kel in Kelurahan.objects.exclude(pk__in=taken).select_related("kecamatan"):
        site = KampungKB.objects.create(
            kelurahan=kel,
            name=f"Kampung KB Uji Beban {kel.name}",
            declared_on=datetime.date(2019, 1, 1),
            description="Data sintetis untuk uji beban.",
            is_demo=True,
        )
        new_sites.append(site.pk)
        level, base = rng.random(), rng.randint(9000, 26000)
        profiles, populations, figures = [], [], []
        for i, period in enumerate(months_between(start, today)):
            pop = _population(site, period, base, rng)
            populations.append(pop)
            figures.append(_figures(site, period, pop, level, rng))
            if i % 4 == 0:
                profiles.append(_profile(site, period, level, rng))
        ProfileSnapshot.objects.bulk_create(profiles)
        PopulationSnapshot.objects.bulk_create(populations)
        KKBPKSnapshot.objects.bulk_create(figures)
        PokjaMember.objects.bulk_create(
            PokjaMember(site=site, name=f"Anggota {n} {kel.name}", position=position)
            for n, position in enumerate(["pelindung", "sekretaris", "bendahara", "anggota"])
        )

    if new_sites:
        # bulk_create sends no signals: the new sites' monthly quality rows are computed
        # here (without them the comparison of two such sites has nothing to show).
        recompute_all(site_ids=new_sites)

    User = get_user_model()
    dinas_group = Group.objects.get(name=DINAS_GROUP)
    sites = list(KampungKB.objects.active().order_by("pk"))
    users = []
    for n in range(1, n_pokja + 1):
        site = sites[(n - 1) % len(sites)]
        user = _user(User, f"bench_pokja_{n:02d}")
        # Wakil ketua: manages the site like the ketua, without touching the demo's ketua.
        PokjaMember.objects.get_or_create(
            site=site, user=user, defaults={"name": user.username, "position": "wakil"}
        )
        users.append({"username": user.username, "role": "pokja", "site": site.pk})
    for n in range(1, n_dinas + 1):
        user = _user(User, f"bench_dinas_{n:02d}", is_staff=True)
        user.groups.add(dinas_group)
        users.append({"username": user.username, "role": "dinas", "site": None})
    return {"users": users, "sites": [s.pk for s in sites], "password": BENCH_PASSWORD}


def _user(User, username, is_staff=False):
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
    if created:
        user.set_password(BENCH_PASSWORD)
        user.save()
    return user


def stored(acknowledged_ids, since):
    """Compare the activity ids the server acknowledged (a 302 to the new activity) with
    the rows in the database. ``stored``: acknowledged ids that are rows, created by a
    load-test Pokja since ``since``, submitted (not left as drafts) and with their photo.
    The other counts say what went wrong when ``stored`` falls short."""
    ids = set(acknowledged_ids)
    rows = Activity.objects.filter(pk__in=ids)
    complete = rows.filter(
        created_by__username__startswith="bench_pokja_",
        created_at__gte=since,
        status=Activity.Status.SUBMITTED,
        photos__isnull=False,
    ).distinct()
    unacknowledged = (
        Activity.objects.filter(created_by__username__startswith="bench_", created_at__gte=since)
        .exclude(pk__in=ids)
        .count()
    )
    return {
        "stored": complete.count(),
        "unique_ids": len(ids),
        "rows": rows.count(),
        "unacknowledged": unacknowledged,
    }
