"""Demo activities for ``manage.py seed_demo``: 2–3 years of activities across the nine
demo sites, every family function, several agencies, drafts, submitted activities waiting
in the Dinas queue, returned ones with reasons, verified ones, small generated photos (no
faces, so most are public), one reused photo (flagged to the Dinas) and one photo taken
long before its activity.

* "Kampung KB Kedaung Ceria" (declared 03/2024) is busy in its first year, then fades.
* "Kampung KB Muncul Berdaya" reports steadily, every month, on time.

Idempotent: when demo activities exist, nothing is added. Fast: bulk inserts only.
"""

import datetime
import hashlib
import io
import random
import uuid

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from kampungkb.storage import private_storage
from villages.demo import SITES
from villages.models import KampungKB

from .cadence import add_months
from .models import OPD, Activity, ActivityPhoto, ActivityTransition

S = Activity.Status

# category: [(title, poktan, target groups), ...]
TITLES = {
    "keagamaan": [
        ("Pengajian rutin keluarga", "", ["semua"]),
        ("Kajian keluarga sakinah bagi pasangan muda", "", ["pus"]),
        ("Peringatan hari besar keagamaan bersama warga", "", ["semua"]),
    ],
    "sosial_budaya": [
        ("Kerja bakti dan gotong royong RW", "", ["semua"]),
        ("Lomba kreasi budaya anak dan remaja", "", ["remaja", "balita"]),
        ("Pentas seni remaja Kampung KB", "", ["remaja"]),
    ],
    "cinta_kasih": [
        ("Kelas pengasuhan balita (parenting)", "bkb", ["keluarga_balita"]),
        ("Kunjungan dan senam lansia", "bkl", ["lansia", "keluarga_lansia"]),
        ("Sosialisasi pola asuh remaja", "bkr", ["keluarga_remaja"]),
    ],
    "perlindungan": [
        ("Sosialisasi pencegahan kekerasan dalam rumah tangga", "", ["semua"]),
        ("Sosialisasi pencegahan perkawinan anak", "", ["remaja", "keluarga_remaja"]),
        ("Penguatan satgas perlindungan anak kelurahan", "", ["semua"]),
    ],
    "reproduksi": [
        ("Pelayanan KB gratis (MKJP)", "", ["pus"]),
        ("Posyandu dan pemantauan tumbuh kembang balita", "bkb", ["balita"]),
        ("Penyuluhan kesehatan reproduksi remaja", "pikr", ["remaja"]),
    ],
    "pendidikan": [
        ("Pertemuan rutin BKB", "bkb", ["keluarga_balita"]),
        ("Pertemuan rutin BKR", "bkr", ["keluarga_remaja"]),
        ("Penyuluhan 1000 HPK dan pencegahan stunting", "", ["pus", "keluarga_balita"]),
        ("Sosialisasi PIK-R di sekolah", "pikr", ["remaja"]),
    ],
    "ekonomi": [
        ("Pertemuan UPPKA dan pelatihan usaha", "uppka", ["pus"]),
        ("Pelatihan olahan pangan lokal", "uppka", ["semua"]),
        ("Bazar produk usaha keluarga", "uppka", ["semua"]),
    ],
    "lingkungan": [
        ("Bank sampah dan pemilahan sampah rumah tangga", "", ["semua"]),
        ("Penanaman tanaman obat keluarga (TOGA)", "", ["semua"]),
        ("Pembersihan saluran air lingkungan", "", ["semua"]),
    ],
}
CATEGORIES = list(TITLES)
AGENCIES = {
    "keagamaan": ["Kemenag", "TP PKK"],
    "sosial_budaya": ["Karang Taruna", "Dispora", "Dindikbud"],
    "cinta_kasih": ["DPMP3AKB", "TP PKK", "Dinsos"],
    "perlindungan": ["DPMP3AKB", "Dinsos", "Kemenag"],
    "reproduksi": ["Dinkes", "Puskesmas", "BKKBN", "DPMP3AKB"],
    "pendidikan": ["DPMP3AKB", "Dindikbud", "Puskesmas"],
    "ekonomi": ["Diskop UKM", "DKP3", "CSR"],
    "lingkungan": ["DLH", "Karang Taruna", "Disperkimta"],
}
PLACES = ["Balai warga RW 03", "Posyandu Melati", "Aula kantor kelurahan", "Masjid Al-Ikhlas"]
PLACES += ["Sekretariat Kampung KB", "Lapangan RW 05", "Rumah DataKu", "SMP Negeri setempat"]
FUNDING = ["apbd", "dana_kelurahan", "swadaya", "swadaya_masyarakat", "csr", "tanpa_biaya"]
RETURN_REASONS = [
    "Foto kegiatan belum dilampirkan; mohon tambahkan minimal satu foto.",
    "Jumlah peserta laki-laki dan perempuan belum diisi.",
    "Tanggal kegiatan tidak sesuai dengan undangan; mohon diperiksa kembali.",
    "Instansi yang terlibat belum dicantumkan.",
    "Uraian kegiatan terlalu singkat; jelaskan hasil kegiatan.",
    "Foto tidak menunjukkan kegiatan yang dilaporkan.",
]
FADING_SITE = "Kampung KB Kedaung Ceria"
STEADY_SITE = "Kampung KB Muncul Berdaya"


def _per_month(name, strength, trend, index, rng):
    """How many activities a site held in its ``index``-th month of the demo period."""
    if name == STEADY_SITE:
        return 3 + (index % 2)
    if name == FADING_SITE:
        if index < 12:
            return 4 + rng.randint(0, 2)  # the first year: busy
        if index < 20:
            return 1 if index % 2 == 0 else 0  # then sporadic
        return 0  # and silent
    level = max(0.0, strength + trend * index / 12 + rng.uniform(-0.15, 0.15))
    if rng.random() > 0.55 + level:
        return 0  # weaker sites skip months
    return max(0, round(level * 4 + rng.uniform(-1, 1)))


def _aware(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _demo_image(rng):
    """A small abstract picture (no people), its thumbnail and hash."""
    width, height = 480, 360
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    top = tuple(rng.randint(60, 200) for _ in range(3))
    bottom = tuple(rng.randint(40, 160) for _ in range(3))
    for y in range(0, height, 4):
        t = y / height
        color = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.rectangle([0, y, width, y + 4], fill=color)
    for _ in range(rng.randint(4, 9)):
        x, y = rng.randint(0, width - 60), rng.randint(height // 3, height - 40)
        w, h = rng.randint(30, 140), rng.randint(20, 90)
        fill = tuple(rng.randint(0, 255) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.4 else draw.rectangle
        shape([x, y, x + w, y + h], fill=fill)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=78)
    content = buf.getvalue()
    img.thumbnail((240, 240))
    thumb = io.BytesIO()
    img.save(thumb, format="JPEG", quality=70)
    return content, thumb.getvalue(), hashlib.sha256(content).hexdigest(), img.size


def _store(content: bytes, suffix="") -> str:
    name = f"activities/demo/{uuid.uuid4().hex}{suffix}.jpg"
    return private_storage().save(name, ContentFile(content))


@transaction.atomic
def seed(stdout=None):
    if Activity.objects.filter(is_demo=True).exists():
        return
    rng = random.Random(3103)
    now = timezone.now()
    today = timezone.localdate()
    start = add_months(today.replace(day=1), -34)  # about three years
    User = get_user_model()
    dinas = User.objects.filter(username="dinas").first()
    pokja_users = {
        "Kampung KB Kacang Timur Berseri": User.objects.filter(username="pokja").first(),
        "Kampung KB Jurangmangu Sehati": User.objects.filter(username="pokja2").first(),
    }
    agencies = {o.short_name: o for o in OPD.objects.all()}
    sites = {s.name: s for s in KampungKB.objects.filter(is_demo=True)}

    activities, plans = [], []
    for _code, name, _declared, strength, trend in SITES:
        site = sites.get(name)
        if site is None:
            continue
        first = max(start, site.declared_on.replace(day=1))
        month, index = first, 0
        while month <= today:
            for _ in range(_per_month(name, strength, trend, index, rng)):
                last_day = (add_months(month, 1) - datetime.timedelta(days=1)).day
                day = month.replace(day=rng.randint(1, last_day))
                if day > today or day < site.declared_on:
                    continue
                category = CATEGORIES[(index + rng.randint(0, 7)) % 8]
                title, poktan, groups = rng.choice(TITLES[category])
                activity = Activity(
                    site=site,
                    title=title,
                    date=day,
                    start_time=datetime.time(rng.choice([8, 9, 10, 13, 15, 19]), 0),
                    place=rng.choice(PLACES),
                    description=(
                        f"[DEMO] {title} di {site.name}. Kegiatan diikuti warga dan "
                        "didampingi kader; hasilnya dicatat untuk laporan bulanan."
                    ),
                    category=category,
                    target_groups=groups,
                    poktan=poktan,
                    participants_male=rng.randint(3, 25),
                    participants_female=rng.randint(8, 60),
                    funding_source=rng.choice(FUNDING),
                    origin="pokja" if rng.random() < 0.8 else "opd",
                    created_by=pokja_users.get(name),
                    client_token=uuid.UUID(int=rng.getrandbits(128)),
                    is_demo=True,
                )
                activities.append(activity)
                plans.append(_plan(activity, strength, name, today, now, rng))
            month, index = add_months(month, 1), index + 1

    for activity, plan in zip(activities, plans, strict=True):
        activity.status = plan["status"]
        activity.first_submitted_at = plan["first_submitted_at"]
        activity.submitted_at = plan["submitted_at"]
        activity.verified_at = plan["verified_at"]
        activity.version = len(plan["steps"]) + 1
    Activity.objects.bulk_create(activities, batch_size=500)
    # created_at/updated_at are automatic; set them to when it really happened.
    for activity, plan in zip(activities, plans, strict=True):
        activity.created_at = plan["created_at"]
        activity.updated_at = plan["steps"][-1][0] if plan["steps"] else plan["created_at"]
    Activity.objects.bulk_update(activities, ["created_at", "updated_at"], batch_size=500)

    through, transitions = [], []
    for activity, plan in zip(activities, plans, strict=True):
        for short in rng.sample(AGENCIES[activity.category], k=rng.randint(0, 2)):
            if short in agencies:
                through.append(
                    Activity.agencies.through(activity_id=activity.pk, opd_id=agencies[short].pk)
                )
        pokja_user = activity.created_by
        transitions.append(
            ActivityTransition(
                activity=activity,
                from_status="",
                to_status=S.DRAFT,
                user=pokja_user,
                at=plan["created_at"],
            )
        )
        previous = S.DRAFT
        for at, target, reason in plan["steps"]:
            by = pokja_user if target == S.SUBMITTED else dinas
            transitions.append(
                ActivityTransition(
                    activity=activity,
                    from_status=previous,
                    to_status=target,
                    user=by,
                    at=at,
                    reason=reason,
                )
            )
            previous = target
    Activity.agencies.through.objects.bulk_create(through, batch_size=1000)
    ActivityTransition.objects.bulk_create(transitions, batch_size=1000)

    photos = _photos(activities, today, rng)
    ActivityPhoto.objects.bulk_create(photos, batch_size=500)
    _showcase(sites.get("Kampung KB Kacang Timur Berseri"), pokja_users, dinas, today, now)
    if stdout:
        counts = {s: sum(1 for a in activities if a.status == s) for s in S.values}
        stdout.write(
            f"Demo: {len(activities)} activities ({counts['verified']} verified, "
            f"{counts['submitted']} submitted, {counts['returned']} returned, "
            f"{counts['draft']} drafts), {len(photos)} photos."
        )


def _showcase(site, pokja_users, dinas, today, now):
    """What the ``pokja`` demo login sees first: an activity the Dinas just returned with a
    reason, and a draft of the month whose report is due next."""
    if site is None:
        return
    user = pokja_users.get(site.name)
    returned_on = today - datetime.timedelta(days=6)
    returned = Activity.objects.create(
        site=site,
        title="Penyuluhan stunting bagi keluarga balita",
        date=returned_on,
        place="Posyandu Melati",
        category="pendidikan",
        target_groups=["keluarga_balita"],
        poktan="bkb",
        participants_male=2,
        participants_female=0,
        status=S.RETURNED,
        created_by=user,
        first_submitted_at=now - datetime.timedelta(days=5),
        submitted_at=now - datetime.timedelta(days=5),
        version=3,
        is_demo=True,
    )
    ActivityTransition.objects.bulk_create(
        [
            ActivityTransition(
                activity=returned,
                to_status=S.DRAFT,
                user=user,
                at=now - datetime.timedelta(days=6),
            ),
            ActivityTransition(
                activity=returned,
                from_status=S.DRAFT,
                to_status=S.SUBMITTED,
                user=user,
                at=now - datetime.timedelta(days=5),
            ),
            ActivityTransition(
                activity=returned,
                from_status=S.SUBMITTED,
                to_status=S.RETURNED,
                user=dinas,
                at=now - datetime.timedelta(days=2),
                reason="Peserta perempuan tertulis 0, padahal foto menunjukkan ibu-ibu "
                "peserta. Mohon diisi sesuai daftar hadir.",
            ),
        ]
    )
    # A draft dated in the month whose report is due next (see activities.cadence).
    draft_day = (
        today - datetime.timedelta(days=1)
        if today.day > 3
        else today.replace(day=1) - datetime.timedelta(days=1)
    )
    draft = Activity.objects.create(
        site=site,
        title="Rapat persiapan PIK-R",
        date=draft_day,
        place="Sekretariat Kampung KB",
        category="pendidikan",
        target_groups=["remaja"],
        poktan="pikr",
        participants_male=6,
        participants_female=9,
        created_by=user,
        is_demo=True,
    )
    ActivityTransition.objects.create(activity=draft, to_status=S.DRAFT, user=user)


def _plan(activity, strength, name, today, now, rng):
    """When the activity was recorded, submitted, returned, verified; its final status."""
    age = (today - activity.date).days
    created = min(now, _aware(activity.date, 20, rng.randint(0, 59)))
    if name == STEADY_SITE:
        delay = rng.randint(0, 3)
    elif strength >= 0.6:
        delay = rng.choice([0, 1, 2, 3, 5, 8])
    else:
        delay = rng.choice([1, 3, 7, 12, 20, 30, 45])  # weaker sites often report late
    r = rng.random()
    if age <= 3:
        outcome = "draft" if r < 0.7 else "submitted"
    elif age <= 40:
        outcome = (
            "draft"
            if r < 0.15
            else "submitted"
            if r < 0.45
            else "returned"
            if r < 0.58
            else "verified"
        )
    else:
        outcome = (
            "verified" if r < 0.88 else "fixed" if r < 0.94 else "returned" if r < 0.97 else "draft"
        )
    if outcome == "verified" and rng.random() < 0.12:
        outcome = "fixed"  # verified after one return
    plan = {
        "created_at": created,
        "steps": [],
        "status": S.DRAFT,
        "first_submitted_at": None,
        "submitted_at": None,
        "verified_at": None,
    }
    if outcome == "draft":
        return plan
    submitted = _aware(activity.date + datetime.timedelta(days=delay), 19, rng.randint(0, 59))
    if submitted >= now:
        return plan  # would be in the future: still a draft
    submitted = max(submitted, created)
    plan.update(first_submitted_at=submitted, submitted_at=submitted, status=S.SUBMITTED)
    plan["steps"].append((submitted, S.SUBMITTED, ""))
    if outcome == "submitted":
        return plan
    checked = submitted + datetime.timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 5))
    if checked >= now:
        return plan
    if outcome in ("returned", "fixed"):
        plan["steps"].append((checked, S.RETURNED, rng.choice(RETURN_REASONS)))
        plan["status"] = S.RETURNED
        if outcome == "returned":
            return plan
        again = checked + datetime.timedelta(days=rng.randint(1, 5))
        if again >= now:
            return plan
        plan["steps"].append((again, S.SUBMITTED, ""))
        plan.update(status=S.SUBMITTED, submitted_at=again)
        checked = again + datetime.timedelta(days=rng.randint(1, 4))
        if checked >= now:
            return plan
    plan["steps"].append((checked, S.VERIFIED, ""))
    plan.update(status=S.VERIFIED, verified_at=checked)
    return plan


def _photos(activities, today, rng):
    """One photo for recent activities and for some older verified ones; one reused photo
    and one taken far from its activity date, for the Dinas to notice."""
    recent = add_months(today.replace(day=1), -6)
    photos, first_of_site = [], {}
    for activity in activities:
        if activity.date < recent and (activity.status != S.VERIFIED or rng.random() > 0.2):
            continue
        if rng.random() > 0.85:
            continue  # some activities have no photo
        content, thumb, sha, (w, h) = _demo_image(rng)
        photo = ActivityPhoto(
            activity=activity,
            image=_store(content),
            thumbnail=_store(thumb, "_t"),
            kind=rng.choice(["activity", "activity", "activity", "before", "after"]),
            is_public=rng.random() < 0.8,
            sha256=sha,
            taken_at=_aware(activity.date, rng.choice([9, 10, 14, 16]), rng.randint(0, 59)),
            width=w,
            height=h,
        )
        photos.append(photo)
        first_of_site.setdefault(activity.site_id, (photo, content, thumb))
    # A photo reused from an earlier activity of the same site, on one waiting in the queue.
    waiting = [a for a in activities if a.status == S.SUBMITTED]
    for activity in waiting:
        earlier, content, thumb = first_of_site.get(activity.site_id, (None, None, None))
        if earlier is not None and earlier.activity_id != activity.pk:
            photos.append(
                ActivityPhoto(
                    activity=activity,
                    image=_store(content),  # same bytes, its own file
                    thumbnail=_store(thumb, "_t"),
                    kind="activity",
                    sha256=earlier.sha256,
                    taken_at=earlier.taken_at,
                    width=earlier.width,
                    height=earlier.height,
                )
            )
            break
    # A photo taken three weeks before the activity it documents.
    for activity in reversed(waiting):
        content, thumb, sha, (w, h) = _demo_image(rng)
        photos.append(
            ActivityPhoto(
                activity=activity,
                image=_store(content),
                thumbnail=_store(thumb, "_t"),
                kind="activity",
                sha256=sha,
                taken_at=_aware(activity.date - datetime.timedelta(days=21), 10, 0),
                width=w,
                height=h,
            )
        )
        break
    return photos
