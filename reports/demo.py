"""Demo data for the reports: computes the monthly quality rows of the demo sites.

The activities app seeds the demo activities; when none exist (this branch, or a
portal without that seeder), a plausible history of demo activities is added here, so
the dashboard, the comparison and the sustainability pages have something to show: most
demo sites report every month, one fades after its first year, the newest is in its first
year. Idempotent: activities are added only when there are no demo activities at all,
and the recompute replaces the rows it computes.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from activities.models import OPD, Activity
from villages.models import KampungKB

from .recompute import recompute_all
from .sustainability import add_months, first_reporting_month, months

TITLES = {
    "reproduksi": ["Penyuluhan KB bersama bidan", "Pelayanan KB implan", "Kelas calon pengantin"],
    "pendidikan": [
        "Pertemuan BKB: stimulasi balita",
        "Pertemuan BKR: pola asuh remaja",
        "Diskusi PIK-R",
    ],
    "ekonomi": ["Pelatihan UPPKA: kemasan produk", "Bazar UMKM keluarga"],
    "lingkungan": ["Kerja bakti dan bank sampah", "Penanaman pohon di RW"],
    "keagamaan": ["Pengajian keluarga sakinah"],
    "cinta_kasih": ["Kunjungan lansia BKL", "Santunan anak yatim"],
    "perlindungan": ["Sosialisasi pencegahan kekerasan dalam rumah tangga"],
    "sosial_budaya": ["Festival budaya kampung"],
}
PARTNERS = [
    "Dinkes",
    "Dinsos",
    "Dindikbud",
    "DLH",
    "Diskop UKM",
    "Puskesmas",
    "TP PKK",
    "Kemenag",
    "Disnaker",
]
# Sites that fade (no activity after their first reporting year) and their rhythm.
FADING = {"Kampung KB Rengas Harmoni"}


def seed(stdout=None):
    if not Activity.objects.filter(is_demo=True).exists():
        added = _seed_activities()
        if stdout:
            stdout.write(f"Reports demo: {added} demo activities (none were seeded before).")
    rows = recompute_all()
    if stdout:
        stdout.write(f"Reports demo: {rows} monthly quality rows computed.")


@transaction.atomic
def _seed_activities() -> int:
    rng = random.Random(2027)
    today = timezone.localdate()
    last_month = add_months(today.replace(day=1), -1)
    agencies = {o.short_name: o for o in OPD.objects.filter(short_name__in=[*PARTNERS, "DPMP3AKB"])}
    activities, links = [], []
    for site in KampungKB.objects.filter(is_demo=True).order_by("pk"):
        start = first_reporting_month(site.declared_on)
        fades_after = add_months(start, 12) if site.name in FADING else None
        for month in months(start, today):
            if fades_after and month >= fades_after:
                continue
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                day = month.replace(day=rng.randint(1, 27))
                if day > today or day < site.declared_on:
                    continue
                category = rng.choice(list(TITLES))
                when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
                # Most reports are sent within a few days; some after the 3rd of next month.
                submitted = when + datetime.timedelta(days=rng.choice((1, 2, 3, 5, 9, 30)))
                status = "verified" if month <= last_month or rng.random() < 0.5 else "submitted"
                activity = Activity(
                    site=site,
                    title=rng.choice(TITLES[category]),
                    date=day,
                    place=f"Balai warga RW {rng.randint(1, 9):02d}",
                    description="[DEMO] Kegiatan contoh; bukan data resmi.",
                    category=category,
                    target_groups=["semua"],
                    poktan={"pendidikan": rng.choice(["bkb", "bkr", "pikr"])}.get(category, ""),
                    participants_male=rng.randint(3, 25),
                    participants_female=rng.randint(8, 45),
                    funding_source=rng.choice(["apbd", "dana_kelurahan", "swadaya"]),
                    status=status,
                    submitted_at=min(submitted, timezone.now()),
                    verified_at=min(submitted + datetime.timedelta(days=2), timezone.now())
                    if status == "verified"
                    else None,
                    is_demo=True,
                )
                activities.append(activity)
                chosen = {"DPMP3AKB"} if rng.random() < 0.4 else set()
                if rng.random() < 0.6:
                    chosen.update(rng.sample(PARTNERS, rng.choice((1, 1, 2))))
                links.append([agencies[name] for name in chosen if name in agencies])
    Activity.objects.bulk_create(activities)
    Through = Activity.agencies.through
    Through.objects.bulk_create(
        [
            Through(activity_id=a.pk, opd_id=o.pk)
            for a, opds in zip(activities, links, strict=True)
            for o in opds
        ]
    )
    return len(activities)
