"""The activity workflow in real Chromium at 360 px: the Pokja logs an activity with a
large phone photo (downscaled in the browser) and submits; the Dinas returns it with a
reason from the queue (htmx); the Pokja sees the reason, fixes and resubmits; the Dinas
verifies; the public site page shows it. Also: a draft survives a failed send."""

import io
import random
import re
import time

import pytest
from django.utils import timezone
from PIL import ExifTags, Image, ImageChops, ImageDraw
from playwright.sync_api import expect

from activities.models import Activity, ActivityPhoto
from villages.models import KampungKB

from .conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SITE = "Kampung KB Kacang Timur Berseri"
LIMIT = 500 * 1024


@pytest.fixture(autouse=True)
def _patient_expectations():
    # CI machines run several suites at once: give the browser time (downscaling a 12 Mpx
    # photo, htmx swaps) instead of failing on a busy moment.
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def phone_photo(path, taken):
    """A 4000 × 3000 JPEG of about 6 MB with camera-like noise, a capture time and a GPS
    position in its EXIF: what a phone camera hands the browser."""
    width, height = 4000, 3000
    rng = random.Random(7)
    base = Image.linear_gradient("L").resize((width, height))
    img = Image.merge("RGB", (base, base.rotate(90).resize((width, height)), base.rotate(180)))
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rng.randint(0, width), rng.randint(0, height)
        w, h = rng.randint(100, 900), rng.randint(100, 700)
        draw.ellipse([x, y, x + w, y + h], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    noise = Image.effect_noise((width, height), 16)
    img = Image.merge("RGB", [ImageChops.add(c, noise, 1, -128) for c in img.split()])
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime(
        "%Y:%m:%d %H:%M:%S"
    )
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 16.0, 40.0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=94, exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def log_out(page):
    # Let the page's own requests (photos) finish first: with SESSION_SAVE_EVERY_REQUEST a
    # late response would set the previous user's session cookie again.
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    page.context.clear_cookies()


def switch_user(page, login, username):
    log_out(page)
    return login(username)


def test_log_return_fix_verify_publish(login, demo, tmp_path, capsys):
    today = timezone.localdate()
    taken = timezone.localtime().replace(hour=8, minute=15, second=0, microsecond=0)
    photo = phone_photo(tmp_path / "IMG_20240510_081500.jpg", taken)
    original_size = photo.stat().st_size
    assert original_size > 5.5 * 1024 * 1024  # a 6 MB phone photo (the server takes 5 MB)
    title = f"Kelas BKB tumbuh kembang balita {today:%d%m}"
    site = KampungKB.objects.get(name=SITE)

    # 1. The Pokja logs the activity with a photo and submits it, on a phone.
    page = login("pokja")
    started = time.monotonic()
    page.get_by_role("link", name="Catat kegiatan").last.click()
    page.wait_for_url(re.compile(r"/kegiatan/baru/$"))
    expect(page.get_by_text(SITE).first).to_be_visible()  # own site pre-filled
    assert page.locator("#id_date").input_value() == today.isoformat()  # today pre-filled
    page.get_by_label("Judul").fill(title)
    page.locator("label[for=id_category_4]").click()  # Reproduksi: a large button
    expect(page.locator("#id_category_4")).to_be_checked()
    page.get_by_label("Laki-laki").fill("4")
    page.get_by_label("Perempuan").fill("0")
    file_input = page.locator("#id_photo-0-image")
    assert file_input.get_attribute("accept") == "image/*"
    file_input.set_input_files(str(photo))
    expect(page.locator("[data-photo-info]").first).to_contain_text("Siap dikirim", timeout=60_000)
    sent = file_input.evaluate("el => el.files[0].size")
    counted = int(file_input.get_attribute("data-original-size"))
    assert counted == original_size
    assert sent < LIMIT, f"{sent} bytes sent"
    page.locator("#id_photo-0-is_public").check()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Simpan dan ajukan").click()
    page.wait_for_url(re.compile(r"/kegiatan/\d+/$"))
    elapsed = time.monotonic() - started
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".badge", has_text="Diajukan").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    activity = Activity.objects.get(title=title)
    stored = ActivityPhoto.objects.get(activity=activity)
    assert stored.width == 1600 and stored.is_public
    # The capture time came from the photo's EXIF, read in the browser before re-encoding.
    assert timezone.localtime(stored.taken_at).strftime("%H:%M") == "08:15"
    with capsys.disabled():
        print(
            f"\n  photo: {original_size / 1024 / 1024:.2f} MB on the phone -> "
            f"{sent / 1024:.0f} KB sent; logged in {elapsed:.1f} s",
            end="",
        )
    # The draft kept on the phone is gone once the server confirmed.
    drafts = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kkb-activity:'))")
    assert drafts == []

    # 2. The Dinas returns it with a reason, inline in the queue (htmx).
    page = switch_user(page, login, "dinas")
    page.goto(f"{demo.url}/kegiatan/antrean/?site={site.pk}")
    item = page.locator(f"#queue-item-{activity.pk}")
    reason = "Jumlah peserta perempuan masih 0; mohon diisi sesuai daftar hadir."
    item.get_by_label("Alasan, jika dikembalikan").fill(reason)
    item.get_by_role("button", name="Kembalikan ke Pokja").click()
    expect(page.locator(f"#queue-item-{activity.pk}")).to_contain_text(
        "sudah dikembalikan ke Pokja"
    )
    assert page.url.endswith(f"?site={site.pk}")  # stayed on the queue: an htmx swap
    assert_no_horizontal_scroll(page)

    # 3. The Pokja sees the reason first on the dashboard, fixes it and resubmits.
    page = switch_user(page, login, "pokja")
    returned = page.locator("section", has_text="dikembalikan oleh Dinas").first
    expect(returned).to_contain_text(reason)
    returned.locator("li", has_text=title).get_by_role("link", name="Perbaiki").click()
    page.wait_for_url(re.compile(rf"/kegiatan/{activity.pk}/ubah/$"))
    expect(page.get_by_role("status").first).to_contain_text(reason)
    page.get_by_label("Perempuan").fill("21")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Simpan dan ajukan").click()
    page.wait_for_url(re.compile(rf"/kegiatan/{activity.pk}/$"))
    expect(page.locator(".badge", has_text="Diajukan").first).to_be_visible()

    # 4. The Dinas verifies.
    page = switch_user(page, login, "dinas")
    page.goto(f"{demo.url}/kegiatan/antrean/?site={site.pk}")
    page.locator(f"#queue-item-{activity.pk}").get_by_role("button", name="Verifikasi").click()
    expect(page.locator(f"#queue-item-{activity.pk}")).to_contain_text("sudah diverifikasi")
    activity.refresh_from_db()
    assert activity.status == Activity.Status.VERIFIED
    assert activity.participants_female == 21

    # 5. The public site page shows it, with its public photo, to anyone.
    log_out(page)
    page.goto(f"{demo.url}/publik/kampung/{site.pk}/")
    card = page.locator("article", has_text=title)
    expect(card).to_be_visible()
    image = card.get_by_role("img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "Siti" not in page.content()  # the ketua's name is never public
    assert_no_horizontal_scroll(page)


def test_a_dropped_connection_loses_nothing_typed(login, demo):
    page = login("pokja2")
    page.goto(f"{demo.url}/kegiatan/baru/")
    page.get_by_label("Judul").fill("Pertemuan BKR remaja sehat")
    page.locator("label[for=id_category_5]").click()
    page.get_by_label("Perempuan").fill("17")
    token = page.locator("input[name=client_token]").input_value()
    page.wait_for_timeout(500)  # the draft is saved shortly after typing
    page.context.set_offline(True)
    page.get_by_role("button", name="Simpan sebagai draf").click()
    page.wait_for_timeout(500)
    page.context.set_offline(False)
    # Back on the form (a reload), everything typed is still there, same token.
    page.goto(f"{demo.url}/kegiatan/baru/")
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.get_by_label("Judul")).to_have_value("Pertemuan BKR remaja sehat")
    expect(page.locator("#id_category_5")).to_be_checked()
    expect(page.get_by_label("Perempuan")).to_have_value("17")
    assert page.locator("input[name=client_token]").input_value() == token
    # Sending it now, twice over (a double tap), creates one activity.
    page.get_by_role("button", name="Simpan sebagai draf").dblclick()
    page.wait_for_url(re.compile(r"/kegiatan/\d+/$"))
    assert Activity.objects.filter(title="Pertemuan BKR remaja sehat").count() == 1
    assert_no_horizontal_scroll(page)
