"""Synthetic data at national scale for the benchmark (``manage.py generate_synthetic``).

Builds regions (the city's own kelurahan first, then synthetic kota/kecamatan/kelurahan
with Kemendagri-shaped codes), one site per kelurahan, a Pokja board, profile / population
/ KKBPK snapshots a few times a year, and about 12 activities per site-year with realistic
proportions (most verified, some still submitted, returned or draft; a share of sites that
fade after their first year; cross-sector agencies on some activities). Rows go in with
``COPY`` on PostgreSQL (explicit ids, sequences reset afterwards). Everything is marked
as demo data and named “Sintetis”. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from activities.models import OPD, Activity, PokjaMember
from villages.models import (
    KampungKB,
    Kecamatan,
    Kelurahan,
    KKBPKSnapshot,
    Kota,
    PopulationSnapshot,
    ProfileSnapshot,
)

from .bulk import insert_rows
from .sustainability import add_months, month_diff, months

KELURAHAN_PER_KECAMATAN = 12  # Indonesia: ~83,700 desa/kelurahan in ~7,280 kecamatan
KECAMATAN_PER_KOTA = 14  # ... in 514 kota/kabupaten

TITLES = {
    "keagamaan": ["Pengajian keluarga", "Kajian keluarga sakinah", "Doa bersama warga"],
    "sosial_budaya": ["Kerja bakti budaya", "Festival kampung", "Lomba permainan tradisional"],
    "cinta_kasih": ["Kunjungan lansia", "Santunan anak yatim", "Parenting ayah teladan"],
    "perlindungan": ["Sosialisasi anti kekerasan", "Pencegahan perkawinan anak", "Siskamling"],
    "reproduksi": ["Penyuluhan KB", "Pelayanan KB MKJP", "Kelas ibu hamil"],
    "pendidikan": ["Pertemuan BKB", "Pertemuan BKR", "Sekolah lansia", "Diskusi PIK-R"],
    "ekonomi": ["Pelatihan UPPKA", "Bazar produk UMKM", "Pelatihan pengemasan"],
    "lingkungan": ["Kerja bakti lingkungan", "Bank sampah", "Penanaman pohon"],
    "lainnya": ["Rapat Pokja", "Pendataan keluarga"],
}
CATEGORIES = list(TITLES)
CATEGORY_WEIGHTS = [8, 8, 8, 8, 22, 20, 12, 10, 4]
POKTAN = ["bkb", "bkr", "bkl", "uppka", "pikr"]
FUNDING = ["apbd", "dana_kelurahan", "swadaya", "csr", "apbn", "swadaya_masyarakat", "tanpa_biaya"]
TARGETS = ["semua", "pus", "remaja", "lansia", "balita", "keluarga_balita"]


@dataclass
class Summary:
    kota: int = 0
    kecamatan: int = 0
    kelurahan: int = 0
    sites: int = 0
    profiles: int = 0
    populations: int = 0
    figures: int = 0
    members: int = 0
    activities: int = 0
    agency_links: int = 0


def _columns(model):
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


def _next_id(model):
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(models):
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class Generator:
    def __init__(self, sites: int, years: int, seed: int, stdout=None):
        self.n_sites = sites
        self.years = years
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.current_month = self.today.replace(day=1)
        self.window_start = add_months(self.current_month, -12 * years + 1)
        self.summary = Summary()

    def log(self, text):
        if self.stdout:
            self.stdout.write(text)

    # ----------------------------------------------------------------------------------
    @transaction.atomic
    def run(self) -> Summary:
        kelurahan = self.regions()
        sites = self.sites(kelurahan)
        self.log(f"  {len(sites)} sites")
        self.snapshots_and_members(sites)
        self.activities(sites)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics for the planner
        _reset_sequences(GENERATED_MODELS)
        return self.summary

    # ----------------------------------------------------------------------------------
    def regions(self) -> list[int]:
        """Kelurahan ids for the sites: those without an active site first (Tangsel's
        own), then new synthetic regions."""
        free = list(
            Kelurahan.objects.exclude(sites__is_active=True)
            .order_by("code")
            .values_list("pk", flat=True)[: self.n_sites]
        )
        needed = self.n_sites - len(free)
        if needed <= 0:
            return free
        n_kec = -(-needed // KELURAHAN_PER_KECAMATAN)
        n_kota = -(-n_kec // KECAMATAN_PER_KOTA)
        used = set(Kota.objects.values_list("code", flat=True))
        kota_codes = []
        for province in range(11, 100):
            for number in range(1, 100):
                code = f"{province:02d}.{number:02d}"
                if code not in used:
                    kota_codes.append(code)
                if len(kota_codes) == n_kota:
                    break
            if len(kota_codes) == n_kota:
                break
        kota_id = _next_id(Kota)
        kota_rows = [
            (kota_id + i, code, f"Kota Sintetis {code}", "kota", code[:2])
            for i, code in enumerate(kota_codes)
        ]
        insert_rows(Kota, ("id", "code", "name", "kind", "province_code"), kota_rows)
        kec_id = _next_id(Kecamatan)
        kec_rows = []
        for i in range(n_kec):
            kota = kota_rows[i // KECAMATAN_PER_KOTA]
            code = f"{kota[1]}.{i % KECAMATAN_PER_KOTA + 1:02d}"
            kec_rows.append((kec_id + i, code, f"Kecamatan Sintetis {code}", kota[0]))
        insert_rows(Kecamatan, ("id", "code", "name", "kota_id"), kec_rows)
        kel_id = _next_id(Kelurahan)
        kel_rows = []
        for i in range(needed):
            kec = kec_rows[i // KELURAHAN_PER_KECAMATAN]
            code = f"{kec[1]}.{2001 + i % KELURAHAN_PER_KECAMATAN:04d}"
            kind = "desa" if self.rng.random() < 0.9 else "kelurahan"
            kel_rows.append((kel_id + i, code, f"Desa Sintetis {code}", kind, kec[0]))
        insert_rows(Kelurahan, ("id", "code", "name", "kind", "kecamatan_id"), kel_rows)
        self.summary.kota, self.summary.kecamatan = n_kota, n_kec
        self.summary.kelurahan = needed
        self.log(f"  regions: {n_kota} kota, {n_kec} kecamatan, {needed} kelurahan")
        return free + [r[0] for r in kel_rows]

    # ----------------------------------------------------------------------------------
    def sites(self, kelurahan_ids) -> list[dict]:
        rng = self.rng
        first_id = _next_id(KampungKB)
        latest = self.today - datetime.timedelta(days=60)
        rows, sites = [], []
        for i, kel_id in enumerate(kelurahan_ids):
            # Most sites were declared in 2017-2019 (the programme's push), some later.
            year = rng.choices(range(2016, latest.year + 1), k=1)[0]
            if rng.random() < 0.6:
                year = rng.choice((2017, 2018, 2019))
            declared = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
            declared = min(max(declared, datetime.date(2016, 1, 14)), latest)
            site = {
                "id": first_id + i,
                "declared": declared,
                "strength": min(1.0, max(0.05, rng.betavariate(2.2, 2.0))),
                "trend": rng.uniform(-0.08, 0.1),
                # Some sites fade after their first year (the case DESIGN §8 watches).
                "fades": rng.random() < 0.15,
                "activity_rate": rng.uniform(0.6, 1.6),
                "base": rng.randint(2500, 26000),
            }
            sites.append(site)
            rows.append(
                (
                    site["id"],
                    f"Kampung KB Sintetis {first_id + i}",
                    kel_id,
                    "kelurahan",
                    "",
                    declared,
                    "Data sintetis untuk uji beban; bukan data resmi.",
                    "",
                    "",
                    True,
                    site["strength"] > 0.9,
                    True,
                    self.now,
                    self.now,
                )
            )
        insert_rows(
            KampungKB,
            (
                "id",
                "name",
                "kelurahan_id",
                "coverage",
                "rw_text",
                "declared_on",
                "description",
                "photo",
                "org_chart",
                "is_active",
                "is_model_site",
                "is_demo",
                "created_at",
                "updated_at",
            ),
            rows,
        )
        self.summary.sites = len(sites)
        return sites

    # ----------------------------------------------------------------------------------
    def _level(self, site, month):
        years = month_diff(month, site["declared"].replace(day=1)) / 12
        return min(
            1.0, max(0.0, site["strength"] + site["trend"] * years + self.rng.uniform(-0.04, 0.04))
        )

    def snapshots_and_members(self, sites):
        profile_cols = _columns(ProfileSnapshot)
        population_cols = _columns(PopulationSnapshot)
        kkbpk_cols = _columns(KKBPKSnapshot)
        member_cols = (
            "site_id",
            "user_id",
            "name",
            "position",
            "phone",
            "active_from",
            "active_until",
        )

        def generate():
            profiles, populations, figures, members = [], [], [], []
            for site in sites:
                start = max(self.window_start, site["declared"].replace(day=1))
                p_off, pop_off, k_off = (
                    self.rng.randrange(4),
                    self.rng.randrange(6),
                    self.rng.randrange(3),
                )
                population = None
                for i, month in enumerate(months(start, self.current_month)):
                    level = self._level(site, month)
                    if i == 0 or (i + pop_off) % 6 == 0:
                        population = self._population(site, month, i)
                        populations.append(tuple(population[c] for c in population_cols))
                    if i == 0 or (i + k_off) % 3 == 0:
                        row = self._figures(site, month, population, level)
                        figures.append(tuple(row[c] for c in kkbpk_cols))
                    if i == 0 or (i + p_off) % 4 == 0:
                        row = self._profile(site, month, level)
                        profiles.append(tuple(row[c] for c in profile_cols))
                positions = ["ketua", "sekretaris", "bendahara", "seksi_reproduksi", "anggota"]
                if self.rng.random() < 0.05:
                    positions.remove("ketua")  # freshness: a board without a ketua
                for position in positions:
                    members.append(
                        (
                            site["id"],
                            None,
                            f"Anggota Sintetis {site['id']}-{position}",
                            position,
                            "",
                            site["declared"],
                            None,
                        )
                    )
                if len(figures) >= 20_000:
                    yield profiles, populations, figures, members
                    profiles, populations, figures, members = [], [], [], []
            yield profiles, populations, figures, members

        for profiles, populations, figures, members in generate():
            self.summary.profiles += insert_rows(ProfileSnapshot, profile_cols, profiles)
            self.summary.populations += insert_rows(
                PopulationSnapshot, population_cols, populations
            )
            self.summary.figures += insert_rows(KKBPKSnapshot, kkbpk_cols, figures)
            self.summary.members += insert_rows(PokjaMember, member_cols, members)
        self.log(
            f"  snapshots: {self.summary.profiles} profile, {self.summary.populations} population, "
            f"{self.summary.figures} KKBPK; {self.summary.members} Pokja members"
        )

    def _profile(self, site, month, level):
        rng = self.rng
        members = int(6 + 22 * level)
        has_pokja = level > 0.12

        def chance(p):
            return rng.random() < p

        def freq(threshold):
            return rng.choice(("monthly", "quarterly", "semester")) if level > threshold else ""

        valid_until = datetime.date(site["declared"].year + rng.choice((3, 5, 10)), 12, 31)
        return {
            "site_id": site["id"],
            "period": month,
            "created_at": self.now,
            "updated_at": self.now,
            "recorded_by_id": None,
            "pokja_exists": has_pokja,
            "sk_issuer": "lurah" if has_pokja else "",
            "sk_number": f"400/{site['id']}/SK" if has_pokja else "",
            "sk_date": site["declared"] if has_pokja else None,
            "sk_valid_until": valid_until if has_pokja else None,
            "sk_file": "",
            "members_count": members if has_pokja else 0,
            "trained_members_count": int(members * max(0.0, level - 0.15)) if has_pokja else 0,
            "companion": "plkb" if chance(0.2 + 0.6 * level) else "kader",
            "companion_name": "",
            "companion_nip": "",
            "companion_contact": "",
            "has_sk_walikota": level > 0.8,
            "has_sk_camat": level > 0.55,
            "has_sk_lurah": level > 0.25,
            "has_bkb": level > 0.1,
            "has_bkr": level > 0.3,
            "has_bkl": level > 0.45,
            "has_uppka": level > 0.55,
            "has_pikr": level > 0.7,
            "has_sekretariat": level > 0.35,
            "has_rumah_dataku": level > 0.6,
            "fund_apbn": level > 0.85,
            "fund_apbd": level > 0.15,
            "fund_dana_kelurahan": level > 0.35,
            "fund_community": chance(level - 0.2),
            "fund_csr": level > 0.7,
            "fund_swadaya": level > 0.25,
            "has_rkm": level > 0.5,
            "ds_pendataan_keluarga": level > 0.1,
            "ds_bkkbn_routine": level > 0.4,
            "ds_potensi_desa": level > 0.6,
            "ds_sectoral": level > 0.75,
            "ds_other": chance(0.05),
            "mech_planning": freq(0.3),
            "mech_coordination": freq(0.5),
            "mech_socialisation": freq(0.2),
            "mech_monev": freq(0.6),
            "mech_reporting": freq(0.4),
        }

    def _population(self, site, month, i):
        total = int(site["base"] * (1 + 0.002 * i))
        families = total // 4
        return {
            "site_id": site["id"],
            "period": month,
            "created_at": self.now,
            "updated_at": self.now,
            "recorded_by_id": None,
            "residents": {},
            "total_residents": total,
            "families": families,
            "pus": int(families * 0.62),
            "adolescents": int(total * 0.22),
            "families_with_toddlers": int(families * 0.28),
            "families_with_adolescents": int(families * 0.35),
            "families_with_elderly": int(families * 0.18),
        }

    def _figures(self, site, month, population, level):
        rng = self.rng
        pus = population["pus"]
        users = int(pus * min(0.8, max(0.2, 0.3 + 0.35 * level + rng.uniform(-0.05, 0.05))))
        long_acting = int(users * min(0.5, max(0.05, 0.1 + 0.2 * level + rng.uniform(-0.03, 0.03))))
        iud, implant = long_acting // 3, long_acting // 3
        mop = long_acting // 10
        mow = long_acting - iud - implant - mop
        short = users - long_acting
        injection, pill = int(short * 0.6), int(short * 0.3)
        condom = short - injection - pill
        non_users = pus - users
        unmet = min(non_users, int(pus * min(0.2, max(0.02, 0.18 - 0.14 * level))))
        later = unmet // 2
        pregnant = (non_users - unmet) // 3

        def share(target, p):
            return min(target, max(0, int(target * (p + rng.uniform(-0.03, 0.03)))))

        return {
            "site_id": site["id"],
            "period": month,
            "created_at": self.now,
            "updated_at": self.now,
            "recorded_by_id": None,
            "participants_bkb": share(population["families_with_toddlers"], 0.05 + 0.35 * level),
            "participants_bkr": share(population["families_with_adolescents"], 0.03 + 0.3 * level),
            "participants_bkl": share(population["families_with_elderly"], 0.05 + 0.3 * level),
            "participants_uppka": share(population["families"], 0.01 + 0.12 * level),
            "participants_pikr": share(population["adolescents"], 0.02 + 0.2 * level),
            "kb_iud": iud,
            "kb_mow": mow,
            "kb_mop": mop,
            "kb_condom": condom,
            "kb_implant": implant,
            "kb_injection": injection,
            "kb_pill": pill,
            "nonuser_pregnant": pregnant,
            "nonuser_want_child_soon": non_users - unmet - pregnant,
            "nonuser_want_child_later": later,
            "nonuser_want_no_more": unmet - later,
        }

    # ----------------------------------------------------------------------------------
    def activities(self, sites):
        rng = self.rng
        agencies = list(OPD.objects.values_list("pk", "is_kb_agency"))
        kb_agencies = [pk for pk, kb in agencies if kb] or [pk for pk, _kb in agencies]
        partners = [pk for pk, kb in agencies if not kb]
        cols = _columns(Activity)
        template = dict.fromkeys(cols)
        template.update(
            start_time=None,
            description="",
            opd_program_id=None,
            recorded_by_opd_id=None,
            created_by_id=None,
            client_token=None,
            version=1,
            is_demo=True,
        )
        next_id = _next_id(Activity)
        link_id = _next_id(Activity.agencies.through)
        tz = timezone.get_current_timezone()

        def generate():
            nonlocal next_id, link_id
            batch, links = [], []
            for site in sites:
                start = max(self.window_start, site["declared"].replace(day=1))
                first_year_end = add_months(site["declared"].replace(day=1), 12)
                for month in months(start, self.current_month):
                    level = self._level(site, month)
                    rate = site["activity_rate"] * (0.7 + 0.8 * level)
                    if site["fades"] and month >= first_year_end:
                        rate *= 0.1
                    n = _poisson(rng, rate)
                    last_day = (add_months(month, 1) - datetime.timedelta(days=1)).day
                    recent = month_diff(self.current_month, month)
                    for _ in range(n):
                        day = month.replace(day=rng.randint(1, last_day))
                        if day > self.today:
                            day = self.today
                        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
                        status = _status(rng, recent)
                        when = datetime.datetime.combine(day, datetime.time(rng.randint(7, 20)), tz)
                        delay = rng.choice((1, 2, 3, 5, 8, 12, 20, 35))
                        submitted = (
                            when + datetime.timedelta(days=delay) if status != "draft" else None
                        )
                        if submitted and submitted > self.now:
                            submitted = self.now
                        verified = (
                            submitted + datetime.timedelta(days=rng.randint(1, 10))
                            if status == "verified"
                            else None
                        )
                        if verified and verified > self.now:
                            verified = self.now
                        row = dict(template)
                        row.update(
                            site_id=site["id"],
                            title=rng.choice(TITLES[category]),
                            date=day,
                            place=f"Balai warga RW {rng.randint(1, 12):02d}",
                            category=category,
                            target_groups=rng.sample(TARGETS, rng.randint(1, 2)),
                            poktan=rng.choice(POKTAN) if category == "pendidikan" else "",
                            participants_male=rng.randint(0, 40),
                            participants_female=rng.randint(5, 60),
                            funding_source=rng.choice(FUNDING),
                            origin="opd" if rng.random() < 0.2 else "pokja",
                            status=status,
                            created_at=when,
                            updated_at=verified or submitted or when,
                            submitted_at=submitted,
                            verified_at=verified,
                        )
                        batch.append((next_id,) + tuple(row[c] for c in cols))
                        # Agencies: the KB agency often, partners on a share of activities.
                        chosen = set()
                        if rng.random() < 0.5:
                            chosen.add(rng.choice(kb_agencies))
                        if partners and rng.random() < 0.25 + 0.4 * level:
                            chosen.update(rng.sample(partners, rng.choice((1, 1, 1, 2, 3))))
                        for opd_id in chosen:
                            links.append((link_id, next_id, opd_id))
                            link_id += 1
                        next_id += 1
                if len(batch) >= 50_000:
                    yield batch, links
                    batch, links = [], []
            yield batch, links

        for batch, links in generate():
            self.summary.activities += insert_rows(Activity, ["id", *cols], batch)
            self.summary.agency_links += insert_rows(
                Activity.agencies.through, ("id", "activity_id", "opd_id"), links
            )
            self.log(f"  activities: {self.summary.activities}")


def _poisson(rng, lam):
    # Knuth's method: small rates only (about one activity a month).
    threshold, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _status(rng, months_ago):
    """Older activities are almost all verified; the last months still have some in
    the workflow."""
    r = rng.random()
    if months_ago >= 3:
        return "verified" if r < 0.95 else ("returned" if r < 0.97 else "draft")
    return (
        "verified"
        if r < 0.6
        else ("submitted" if r < 0.8 else ("returned" if r < 0.88 else "draft"))
    )


GENERATED_MODELS = (
    Kota,
    Kecamatan,
    Kelurahan,
    KampungKB,
    ProfileSnapshot,
    PopulationSnapshot,
    KKBPKSnapshot,
    PokjaMember,
    Activity,
    Activity.agencies.through,
)


def vacuum_analyze(models) -> None:
    """PostgreSQL: ``VACUUM (ANALYZE)`` the tables just filled, outside any transaction.
    The ``ANALYZE`` at the end of the generation ran before the quality rows existed
    (their table had no statistics: the planner guessed a sixth of the month's rows),
    and without a vacuum no page is marked all-visible, so the index-only scans the
    report indexes are built for still read every heap page. Autovacuum would get there
    eventually; a benchmark run right after the generation should not depend on it."""
    if connection.vendor != "postgresql":
        return
    # VACUUM cannot run in a transaction block (e.g. a test case): ANALYZE alone there.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def generate(sites: int, years: int, seed: int, stdout=None) -> Summary:
    return Generator(sites, years, seed, stdout).run()
