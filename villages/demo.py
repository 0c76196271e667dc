"""Demo data for ``manage.py seed_demo``: nine Kampung KB sites over the seven kecamatan,
with 2–3 years of monthly snapshots that differ between sites, Pokja members and the
demo logins. Everything is marked as demo data (``is_demo`` / “[DEMO]” names) and
idempotent: a second run adds nothing.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from activities.models import OPD, PokjaMember
from kampungkb.scopes import DINAS_GROUP, OPD_GROUP, VIEWER_GROUP

from .boundaries import representative_point
from .models import (
    AGE_KEYS,
    AreaAssignment,
    Boundary,
    KampungKB,
    Kecamatan,
    Kelurahan,
    KKBPKSnapshot,
    PopulationSnapshot,
    ProfileSnapshot,
)

DEMO_PASSWORD = "kampungkb-demo"  # noqa: S105 - documented demo login, demo data only

# kelurahan code, site name, declared, strength 0..1, trend per year (-/+)
SITES = [
    ("36.74.07.1001", "Kampung KB Muncul Berdaya", datetime.date(2016, 11, 24), 0.90, 0.00),
    ("36.74.01.1008", "Kampung KB Cilenggang Sejahtera", datetime.date(2017, 3, 15), 0.75, 0.05),
    ("36.74.02.1005", "Kampung KB Jagung Lestari", datetime.date(2017, 5, 20), 0.50, 0.10),
    ("36.74.03.1007", "Kampung KB Kacang Timur Berseri", datetime.date(2017, 8, 10), 0.65, 0.05),
    ("36.74.03.1011", "Kampung KB Jurangmangu Sehati", datetime.date(2018, 2, 7), 0.55, -0.05),
    ("36.74.04.1002", "Kampung KB Serua Mandiri", datetime.date(2017, 10, 4), 0.70, 0.00),
    ("36.74.05.1006", "Kampung KB Rengas Harmoni", datetime.date(2017, 11, 22), 0.35, -0.10),
    ("36.74.06.1007", "Kampung KB Bambu Apus Asri", datetime.date(2017, 6, 14), 0.60, 0.05),
    ("36.74.06.1006", "Kampung KB Kedaung Ceria", datetime.date(2024, 3, 12), 0.25, 0.15),
]

FIRST_NAMES = [
    "Siti",
    "Nurhayati",
    "Dewi",
    "Sri",
    "Rina",
    "Yuliani",
    "Wahyuni",
    "Aminah",
    "Fitri",
    "Ratna",
    "Budi",
    "Ahmad",
    "Hendra",
    "Agus",
    "Dedi",
    "Slamet",
    "Rudi",
    "Iwan",
    "Joko",
    "Yusuf",
    "Lilis",
    "Euis",
    "Neneng",
    "Cucu",
    "Asep",
    "Ujang",
    "Ade",
    "Hasanah",
    "Maesaroh",
    "Komariah",
]
LAST_NAMES = [
    "Rahmawati",
    "Susanti",
    "Lestari",
    "Hidayat",
    "Saputra",
    "Kurniawan",
    "Wijaya",
    "Setiawan",
    "Nurjanah",
    "Maulana",
    "Permana",
    "Suryani",
    "Hasibuan",
    "Sihombing",
    "Fauziah",
    "Syahputra",
    "Handayani",
    "Pratama",
    "Firmansyah",
    "Hermawan",
]
BOARD = ["pelindung", "penasehat", "ketua", "wakil", "sekretaris", "bendahara"]
SEKSI = [
    "seksi_keagamaan",
    "seksi_sosial_budaya",
    "seksi_cinta_kasih",
    "seksi_perlindungan",
    "seksi_reproduksi",
    "seksi_pendidikan",
    "seksi_ekonomi",
    "seksi_lingkungan",
]

USERS = {
    # username: (first name, last name, description printed by seed_demo)
    "dinas": ("Rahmat", "Hidayat", "DPMP3AKB staff (Dinas): everything, verification"),
    "pokja": ("Siti", "Nurhaliza", "ketua of Kampung KB Kacang Timur Berseri (Pondok Aren)"),
    "pokja2": ("Dedi", "Kurniawan", "member of Kampung KB Jurangmangu Sehati (Pondok Aren)"),
    "opd": ("dr. Ratna", "Wijaya", "coordinator of the health office (Dinkes), admin panel"),
    "camat": ("Agus", "Setiawan", "viewer of Kecamatan Pamulang (Camat's office)"),
}


def months_between(start: datetime.date, end: datetime.date):
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def _clamp(x, lo=0.0, hi=1.0):
    return max(lo, min(hi, x))


def _profile(site, period, level, rng):
    """A profile whose richness follows the site's level (0..1)."""

    def chance(p):
        return rng.random() < _clamp(p)

    members = int(8 + 20 * level)
    has_pokja = level > 0.15
    freq_pool = ["monthly", "quarterly", "semester", "yearly", "weekly"]
    return ProfileSnapshot(
        site=site,
        period=period,
        pokja_exists=has_pokja,
        sk_issuer=("lurah" if level < 0.6 else "camat") if has_pokja else "",
        sk_number=f"400/{site.pk:03d}/SK-POKJA/{site.declared_on.year}" if has_pokja else "",
        sk_date=site.declared_on if has_pokja else None,
        sk_valid_until=datetime.date(site.declared_on.year + (9 if level > 0.45 else 7), 12, 31)
        if has_pokja
        else None,
        members_count=members,
        trained_members_count=int(members * _clamp(level - 0.1)),
        companion="plkb" if level > 0.4 else "kader",
        companion_name="Hj. Sumarni, S.Sos." if level > 0.4 else "Ibu Kader RW 03",
        companion_nip="197304121998032004" if level > 0.4 else "",
        has_sk_walikota=level > 0.8,
        has_sk_camat=level > 0.55,
        has_sk_lurah=level > 0.3,
        has_bkb=True,
        has_bkr=level > 0.3,
        has_bkl=level > 0.45,
        has_uppka=level > 0.55,
        has_pikr=level > 0.7,
        has_sekretariat=level > 0.4,
        has_rumah_dataku=level > 0.65,
        fund_apbn=level > 0.85,
        fund_apbd=True,
        fund_dana_kelurahan=level > 0.35,
        fund_community=chance(level - 0.2),
        fund_csr=level > 0.7,
        fund_swadaya=level > 0.2,
        has_rkm=level > 0.5,
        ds_pendataan_keluarga=True,
        ds_bkkbn_routine=level > 0.4,
        ds_potensi_desa=level > 0.6,
        ds_sectoral=level > 0.75,
        ds_other=False,
        mech_planning=freq_pool[1] if level > 0.3 else "",
        mech_coordination=freq_pool[0] if level > 0.5 else "",
        mech_socialisation=freq_pool[0] if level > 0.2 else "",
        mech_monev=freq_pool[1] if level > 0.6 else "",
        mech_reporting=freq_pool[0] if level > 0.4 else "",
    )


def _population(site, period, base, rng):
    residents = {}
    # Roughly Tangsel's pyramid: many young adults, fewer elderly.
    for i, key in enumerate(AGE_KEYS):
        band = i // 2
        weight = 1.2 if 4 <= band <= 8 else (0.9 if band < 4 else max(0.15, 1.0 - band * 0.07))
        residents[key] = int(base * weight / 16 * (1 + rng.uniform(-0.03, 0.03)))
    total = sum(residents.values())
    families = total // 4
    return PopulationSnapshot(
        site=site,
        period=period,
        residents=residents,
        total_residents=total,
        families=families,
        pus=int(families * 0.62),
        adolescents=int(total * 0.22),
        families_with_toddlers=int(families * 0.28),
        families_with_adolescents=int(families * 0.35),
        families_with_elderly=int(families * 0.18),
    )


def _figures(site, period, population, level, rng):
    pus = population.pus
    cpr = _clamp(0.45 + 0.28 * level + rng.uniform(-0.02, 0.02), 0.2, 0.8)
    users = int(pus * cpr)
    long_share = _clamp(0.12 + 0.16 * level + rng.uniform(-0.01, 0.01), 0.05, 0.5)
    long_acting = int(users * long_share)
    iud, implant = long_acting // 3, long_acting // 3
    mow = long_acting - iud - implant - long_acting // 10
    mop = long_acting // 10
    short = users - long_acting
    injection, pill = int(short * 0.6), int(short * 0.3)
    condom = short - injection - pill
    non_users = pus - users
    unmet = int(pus * _clamp(0.16 - 0.10 * level, 0.03, 0.2))
    unmet = min(unmet, non_users)
    later, no_more = unmet // 2, unmet - unmet // 2
    pregnant = (non_users - unmet) // 3
    soon = non_users - unmet - pregnant

    def share(target, p):
        return min(target, int(target * _clamp(p + rng.uniform(-0.02, 0.02))))

    return KKBPKSnapshot(
        site=site,
        period=period,
        participants_bkb=share(population.families_with_toddlers, 0.05 + 0.35 * level),
        participants_bkr=share(population.families_with_adolescents, 0.03 + 0.30 * level),
        participants_bkl=share(population.families_with_elderly, 0.05 + 0.30 * level),
        participants_uppka=share(population.families, 0.01 + 0.12 * level),
        participants_pikr=share(population.adolescents, 0.02 + 0.20 * level),
        kb_iud=iud,
        kb_mow=mow,
        kb_mop=mop,
        kb_condom=condom,
        kb_implant=implant,
        kb_injection=injection,
        kb_pill=pill,
        nonuser_pregnant=pregnant,
        nonuser_want_child_soon=soon,
        nonuser_want_child_later=later,
        nonuser_want_no_more=no_more,
    )


def _user(username, groups=(), is_staff=False):
    User = get_user_model()
    first, last, _desc = USERS[username]
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.kampungkb.invalid",
            "is_staff": is_staff,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


# Mobile prefixes in use in Indonesia (Telkomsel, Indosat, XL, Axis, Three, Smartfren):
# the member forms accept only numbers that exist (kampungkb.text.normalise_phone).
MOBILE_PREFIXES = ["0811", "0812", "0813", "0815", "0817", "0819", "0838", "0857", "0878", "0896"]


def _phone(rng):
    # The same two draws as before, so the rest of the demo stays as it was.
    prefix = MOBILE_PREFIXES[rng.randint(11, 99) % len(MOBILE_PREFIXES)]
    return f"{prefix}{rng.randint(10000000, 99999999)}"


def _person(rng):
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


@transaction.atomic
def seed(stdout=None):
    rng = random.Random(2026)
    today = timezone.localdate()
    start = datetime.date(today.year - 2, 1, 1)  # 2-3 years of monthly data

    sites = []
    for code, name, declared, strength, trend in SITES:
        kel = Kelurahan.objects.get(code=code)
        site, _created = KampungKB.objects.get_or_create(
            kelurahan=kel,
            name=name,
            defaults={
                "declared_on": declared,
                "description": (
                    f"[DEMO] {name} di Kelurahan {kel.name}, Kecamatan {kel.kecamatan.name}. "
                    "Data contoh untuk mencoba portal; bukan data resmi."
                ),
                "coverage": "kelurahan" if rng.random() < 0.7 else "rw",
                "rw_text": "RW 02, RW 05 dan RW 07",
                "is_model_site": strength > 0.85,
                "is_demo": True,
            },
        )
        if site.latitude is None:
            # A point surely inside its kelurahan (deterministic), so the maps show it.
            boundary = Boundary.objects.filter(code=kel.code).first()
            if boundary:
                site.latitude, site.longitude = representative_point(boundary.geometry)
                site.save(update_fields=["latitude", "longitude"])
        sites.append((site, strength, trend))

    profiles, populations, figures = [], [], []
    for site, strength, trend in sites:
        base = rng.randint(9000, 26000)
        first = max(start, site.declared_on.replace(day=1))
        for i, period in enumerate(months_between(first, today)):
            level = _clamp(strength + trend * i / 12 + rng.uniform(-0.03, 0.03))
            pop = _population(site, period, base * (1 + 0.002 * i), rng)
            populations.append(pop)
            figures.append(_figures(site, period, pop, level, rng))
            # The profile is updated a few times a year, not every month.
            if i % 4 == 0:
                profiles.append(_profile(site, period, level, rng))
    # ignore_conflicts: (site, period) is unique, so a second run adds nothing.
    ProfileSnapshot.objects.bulk_create(profiles, ignore_conflicts=True)
    PopulationSnapshot.objects.bulk_create(populations, ignore_conflicts=True)
    KKBPKSnapshot.objects.bulk_create(figures, ignore_conflicts=True)

    # Pokja boards (only for sites that have none yet).
    for site, _strength, _trend in sites:
        if site.pokja_members.exists():
            continue
        members = [
            PokjaMember(
                site=site,
                name=_person(rng),
                position=position,
                phone=_phone(rng),
                active_from=site.declared_on,
            )
            for position in BOARD + SEKSI
        ]
        PokjaMember.objects.bulk_create(members)

    # Demo logins.
    _user("dinas", groups=[DINAS_GROUP], is_staff=True)
    pokja = _user("pokja")
    pokja2 = _user("pokja2")
    opd = _user("opd", groups=[OPD_GROUP], is_staff=True)
    camat = _user("camat", groups=[VIEWER_GROUP])
    by_name = {s.name: s for s, _a, _b in sites}
    ketua = by_name["Kampung KB Kacang Timur Berseri"].pokja_members.get(position="ketua")
    if ketua.user_id is None:
        ketua.user, ketua.name = pokja, pokja.get_full_name()
        ketua.save()
    member = by_name["Kampung KB Jurangmangu Sehati"].pokja_members.get(position="seksi_reproduksi")
    if member.user_id is None:
        member.user, member.name = pokja2, pokja2.get_full_name()
        member.save()
    OPD.objects.get(short_name="Dinkes").coordinators.add(opd)
    AreaAssignment.objects.get_or_create(
        user=camat, kecamatan=Kecamatan.objects.get(code="36.74.06")
    )
    if stdout:
        stdout.write(
            f"Demo: {len(sites)} Kampung KB, "
            f"{ProfileSnapshot.objects.filter(site__is_demo=True).count()} profile, "
            f"{PopulationSnapshot.objects.filter(site__is_demo=True).count()} population and "
            f"{KKBPKSnapshot.objects.filter(site__is_demo=True).count()} KKBPK snapshots."
        )
