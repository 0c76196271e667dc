"""Demo data for the coordination with agencies: coordinators of several OPD (``opd`` is the
health office's), their programs at several sites, activities they recorded, and usulan in
every status both ways (one overdue). Idempotent: a second run adds nothing.

Usulan and their steps go through :mod:`activities.usulan_services` (so the trail and the
inbox notifications are real), without e-mail, then are dated back to look lived-in.
"""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from villages.demo import DEMO_PASSWORD
from villages.models import KampungKB

from . import usulan_services as services
from .coordination import grant_coordinator_access
from .models import OPD, Activity, ActivityTransition, OPDProgram, Usulan, UsulanTransition

S = Usulan.Status

# username: (first name, last name, agency short name)
COORDINATORS = {
    "opd": ("dr. Ratna", "Wijaya", "Dinkes"),
    "dinsos": ("Yusuf", "Maulana", "Dinsos"),
    "dindikbud": ("Fitri", "Handayani", "Dindikbud"),
    "dlh": ("Hendra", "Permana", "DLH"),
}

KACANG = "Kampung KB Kacang Timur Berseri"
JURANG = "Kampung KB Jurangmangu Sehati"
MUNCUL = "Kampung KB Muncul Berdaya"
CILENGGANG = "Kampung KB Cilenggang Sejahtera"
JAGUNG = "Kampung KB Jagung Lestari"
SERUA = "Kampung KB Serua Mandiri"
RENGAS = "Kampung KB Rengas Harmoni"
BAMBU = "Kampung KB Bambu Apus Asri"
KEDAUNG = "Kampung KB Kedaung Ceria"

# agency, title, sites, start (months ago), end (months ago or None), status, description
PROGRAMS = [
    (
        "Dinkes",
        "Posyandu Remaja dan pemeriksaan kesehatan reproduksi",
        [KACANG, JURANG, MUNCUL],
        14,
        None,
        "running",
        "Pemeriksaan kesehatan remaja, konseling kesehatan reproduksi dan gizi bersama "
        "Puskesmas setempat.",
    ),
    (
        "Dinkes",
        "Pelayanan KB metode jangka panjang (MKJP) keliling",
        [SERUA, RENGAS, BAMBU, MUNCUL],
        18,
        6,
        "done",
        "Pelayanan IUD dan implan gratis bagi PUS, bekerja sama dengan BKKBN Banten.",
    ),
    (
        "Dinsos",
        "Pendampingan keluarga penerima PKH",
        [CILENGGANG, JAGUNG, KACANG],
        10,
        None,
        "running",
        "Pendampingan rutin keluarga penerima manfaat oleh pendamping PKH.",
    ),
    (
        "Dindikbud",
        "Sekolah Orang Tua Hebat (parenting BKB)",
        [MUNCUL, SERUA],
        -1,
        None,
        "planned",
        "Kelas pengasuhan untuk orang tua balita anggota BKB.",
    ),
    (
        "DLH",
        "Bank sampah dan kebun gizi keluarga",
        [KEDAUNG, BAMBU, JAGUNG],
        8,
        None,
        "running",
        "Pembentukan bank sampah RW dan pelatihan kebun gizi pekarangan.",
    ),
]

# agency, site, title, days ago, category, men, women
AGENCY_ACTIVITIES = [
    ("Dinkes", KACANG, "Pemeriksaan kesehatan remaja di Posyandu Remaja", 40, "reproduksi", 18, 26),
    ("Dinkes", MUNCUL, "Konseling kesehatan reproduksi calon pengantin", 75, "reproduksi", 12, 14),
    ("DLH", BAMBU, "Pelatihan pengelolaan bank sampah", 25, "lingkungan", 9, 31),
    ("Dinsos", CILENGGANG, "Pertemuan kelompok keluarga PKH", 55, "perlindungan", 4, 38),
]

# key, direction, site, agency, kind, title, days ago, final status, reason/program link
USULAN = [
    (
        "up-overdue",
        "up",
        KACANG,
        "Dinkes",
        "training",
        "Pelatihan kader Posyandu Remaja",
        20,
        S.SUBMITTED,
        "",
    ),
    (
        "up-fresh",
        "up",
        KACANG,
        "Dinkes",
        "service",
        "Penyuluhan gizi balita di BKB",
        3,
        S.SUBMITTED,
        "",
    ),
    (
        "up-review",
        "up",
        JURANG,
        "Dinsos",
        "equipment",
        "Bantuan alat tulis dan proyektor PIK-R",
        9,
        S.UNDER_REVIEW,
        "",
    ),
    (
        "up-accepted",
        "up",
        KACANG,
        "DPMP3AKB",
        "training",
        "Pelatihan pencatatan data Rumah DataKu",
        12,
        S.ACCEPTED,
        "",
    ),
    (
        "up-rejected",
        "up",
        CILENGGANG,
        "DLH",
        "equipment",
        "Tong komposter untuk RW 03",
        30,
        S.REJECTED,
        "Anggaran tahun ini sudah habis; silakan ajukan kembali pada Januari.",
    ),
    (
        "up-done",
        "up",
        MUNCUL,
        "Dinkes",
        "service",
        "Layanan pemeriksaan IVA untuk PUS",
        60,
        S.CARRIED_OUT,
        "Pelayanan KB metode jangka panjang (MKJP) keliling",
    ),
    (
        "down-offer",
        "down",
        KACANG,
        "Dinkes",
        "program",
        "Skrining kesehatan lansia gratis",
        4,
        S.SUBMITTED,
        "",
    ),
    (
        "down-offer",
        "down",
        SERUA,
        "Dinkes",
        "program",
        "Skrining kesehatan lansia gratis",
        4,
        S.SUBMITTED,
        "",
    ),
    (
        "down-review",
        "down",
        RENGAS,
        "Dinkes",
        "program",
        "Posbindu penyakit tidak menular",
        10,
        S.UNDER_REVIEW,
        "",
    ),
    (
        "down-accepted",
        "down",
        JAGUNG,
        "Dinsos",
        "training",
        "Pelatihan usaha ekonomi keluarga (UPPKA)",
        15,
        S.ACCEPTED,
        "",
    ),
    (
        "down-rejected",
        "down",
        KACANG,
        "Dindikbud",
        "program",
        "Kelas parenting BKB hari kerja",
        18,
        S.REJECTED,
        "Sebagian besar orang tua bekerja; kami mohon jadwal akhir pekan.",
    ),
    (
        "down-done",
        "down",
        BAMBU,
        "DLH",
        "program",
        "Pembentukan bank sampah RW",
        45,
        S.CARRIED_OUT,
        "Bank sampah dan kebun gizi keluarga",
    ),
]


def _months_ago(today, months):
    month = today.month - months
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1)


def _coordinators():
    User = get_user_model()
    users = {}
    for username, (first, last, short) in COORDINATORS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.kampungkb.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        OPD.objects.get(short_name=short).coordinators.add(user)
        users[short] = user
    grant_coordinator_access(users.values())
    return users


@transaction.atomic
def seed(stdout=None):
    today = timezone.localdate()
    User = get_user_model()
    coordinators = _coordinators()
    dinas = User.objects.get(username="dinas")
    pokja = User.objects.get(username="pokja")
    sites = {s.name: s for s in KampungKB.objects.filter(is_demo=True)}
    agencies = {o.short_name: o for o in OPD.objects.all()}

    programs = {}
    for short, title, site_names, start, end, status, description in PROGRAMS:
        program, created = OPDProgram.objects.get_or_create(
            opd=agencies[short],
            title=title,
            defaults={
                "starts_on": _months_ago(today, start),
                "ends_on": _months_ago(today, end) if end is not None else None,
                "status": status,
                "description": description,
                "created_by": coordinators.get(short, dinas),
            },
        )
        if created:
            program.sites.set([sites[n] for n in site_names])
        programs[title] = program

    for short, site_name, title, days, category, men, women in AGENCY_ACTIVITIES:
        site = sites[site_name]
        if Activity.objects.filter(site=site, title=title).exists():
            continue
        day = today - datetime.timedelta(days=days)
        activity = Activity(
            site=site,
            title=title,
            date=day,
            place="Balai warga",
            category=category,
            target_groups=["remaja"] if category == "reproduksi" else ["semua"],
            participants_male=men,
            participants_female=women,
            funding_source="apbd",
            origin="opd",
            recorded_by_opd=agencies[short],
            created_by=coordinators[short],
            status=Activity.Status.VERIFIED,
            submitted_at=timezone.now() - datetime.timedelta(days=days - 1),
            first_submitted_at=timezone.now() - datetime.timedelta(days=days - 1),
            verified_at=timezone.now() - datetime.timedelta(days=days - 3),
            is_demo=True,
        )
        activity.full_clean()
        activity.save()
        activity.agencies.add(agencies[short], agencies["Puskesmas"])
        for frm, to, who in (
            ("", "draft", coordinators[short]),
            ("draft", "submitted", coordinators[short]),
            ("submitted", "verified", dinas),
        ):
            ActivityTransition.objects.create(
                activity=activity,
                from_status=frm,
                to_status=to,
                user=who,
                at=activity.verified_at if to == "verified" else activity.submitted_at,
            )

    created = 0
    groups = {}
    for key, direction, site_name, short, kind, title, days, final, extra in USULAN:
        site, opd = sites[site_name], agencies[short]
        if Usulan.objects.filter(site=site, opd=opd, title=title).exists():
            continue
        if direction == "up":
            sender = pokja if site_name == KACANG else dinas
            answerer = coordinators.get(short, dinas)
        else:
            sender = coordinators.get(short, dinas)
            answerer = pokja if site_name == KACANG else dinas
        usulan = services.submit(
            user=sender,
            direction=direction,
            site=site,
            opd=opd,
            kind=kind,
            title=title,
            description=f"[DEMO] {title}.",
            offer_group=groups.setdefault(key, uuid.uuid4()) if direction == "down" else None,
            email=False,
        )
        steps = {
            S.SUBMITTED: [],
            S.UNDER_REVIEW: [S.UNDER_REVIEW],
            S.ACCEPTED: [S.UNDER_REVIEW, S.ACCEPTED],
            S.REJECTED: [S.REJECTED],
            S.CARRIED_OUT: [S.ACCEPTED, S.CARRIED_OUT],
        }[final]
        for step in steps:
            services.transition(
                usulan,
                step,
                user=answerer,
                reason=extra if step == S.REJECTED else "",
                program=programs.get(extra) if step == S.CARRIED_OUT else None,
                email=False,
            )
        sent = timezone.now() - datetime.timedelta(days=days)
        Usulan.objects.filter(pk=usulan.pk).update(
            created_at=sent, due_on=services.due_date(sent.date()), is_demo=True
        )
        for i, step in enumerate(usulan.transitions.order_by("pk")):
            UsulanTransition.objects.filter(pk=step.pk).update(
                at=sent + datetime.timedelta(days=min(i * 2, days))
            )
        created += 1

    if stdout:
        stdout.write(
            f"Coordination demo: {len(coordinators)} coordinators, "
            f"{OPDProgram.objects.filter(opd__coordinators__isnull=False).distinct().count()} "
            f"programs, {created} new usulan "
            f"({Usulan.objects.filter(is_demo=True).count()} in all). "
            "Coordinator logins: "
            + ", ".join(f"{u} ({s})" for u, (_f, _l, s) in COORDINATORS.items())
        )
