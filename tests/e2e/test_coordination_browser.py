"""The usulan round trip in real Chromium: ``pokja`` (phone) asks the health office for a
service, ``opd`` accepts it in the admin and records the program that carries it out, and
the site page shows the agency."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import OPDProgram, Usulan
from villages.models import KampungKB

from .conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
TITLE = "Pemeriksaan gigi anak anggota BKB"
PROGRAM = "Pemeriksaan gigi anak di Kacang Timur"


def test_usulan_from_pokja_to_the_health_office_and_back(login, demo, page):
    # 1. The Pokja sends the usulan from a phone.
    login("pokja")
    page.get_by_role("link", name="Kirim usulan").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kirim usulan")
    page.get_by_label("Ditujukan kepada").select_option(label="Dinas Kesehatan (Dinkes)")
    page.get_by_label("Layanan").check()
    page.get_by_label("Judul").fill(TITLE)
    page.get_by_label("Uraian").fill("Untuk 40 anak balita anggota BKB, hari Sabtu.")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Kirim", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Usulan Anda sudah dikirim kepada Dinkes")).to_be_visible()
    expect(page.locator(".badge").filter(has_text="Diajukan").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    usulan = Usulan.objects.get(title=TITLE)
    assert usulan.due_on == timezone.localdate() + timezone.timedelta(days=14)

    # 2. The health office's coordinator accepts it in the admin panel.
    page.context.clear_cookies()
    login("opd", viewport=DESKTOP)
    page.goto(f"{demo.url}/admin/")
    page.get_by_role("link", name="Usulan", exact=True).first.click()
    page.locator("#result_list").get_by_role("link", name=TITLE).click()
    page.get_by_label("Diterima").check()
    page.get_by_label("Alasan atau catatan").fill("Dijadwalkan bersama Puskesmas.")
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("berhasil")
    usulan.refresh_from_db()
    assert usulan.status == "accepted"

    # 3. ... and records the program that carries it out.
    page.locator("#result_list").get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Catat program yang melaksanakannya").click()
    page.locator("#id_title").fill(PROGRAM)
    page.locator("#id_starts_on").fill(timezone.localdate().isoformat())
    page.locator("#id_status").select_option("running")
    expect(page.locator("#id_usulan")).to_have_value(str(usulan.pk))
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("berhasil")
    program = OPDProgram.objects.get(title=PROGRAM)
    usulan.refresh_from_db()
    assert usulan.status == "carried_out" and usulan.carried_out_program == program
    site = KampungKB.objects.get(name="Kampung KB Kacang Timur Berseri")
    assert list(program.sites.all()) == [site]

    # 4. The site page shows the agency and its program, on the Pokja's phone too.
    page.context.clear_cookies()
    login("pokja")
    page.goto(f"{demo.url}/kampung/{site.pk}/")
    section = page.get_by_role("region", name="Instansi (OPD) di Kampung KB ini")
    expect(section).to_contain_text("Dinkes")
    expect(section).to_contain_text(PROGRAM)
    expect(section.get_by_role("link", name=TITLE)).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.goto(f"{demo.url}/usulan/{usulan.pk}/")
    expect(page.locator(".badge").filter(has_text="Terlaksana").first).to_be_visible()
