"""The phone form and its bad input: every case answers with a clear Indonesian message and
saves nothing (no 500). Also the double submit and the stale edit."""

import datetime
import io
import struct
import uuid
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities import workflow
from activities.forms import ActivityForm
from activities.models import Activity, ActivityPhoto, ActivityTransition

from . import factories as f

pytestmark = pytest.mark.django_db
S = Activity.Status
CREATE = reverse("activities:create")


def form_data(site, photos=(), existing=(), **overrides):
    """POST data of the phone form: the activity fields, and photo slots (new uploads
    after the ``existing`` photo ids)."""
    data = {
        "site": site.pk,
        "title": "Penyuluhan KB di balai warga",
        "date": "2024-05-10",
        "category": "reproduksi",
        "participants_male": 4,
        "participants_female": 12,
        "origin": "pokja",
        "client_token": str(uuid.uuid4()),
    }
    slots = list(existing) + list(photos)
    data.update(
        {
            "photo-TOTAL_FORMS": len(slots),
            "photo-INITIAL_FORMS": len(existing),
            "photo-MIN_NUM_FORMS": 0,
            "photo-MAX_NUM_FORMS": 5,
        }
    )
    for i, item in enumerate(slots):
        data[f"photo-{i}-kind"] = "activity"
        if i < len(existing):
            data[f"photo-{i}-id"] = item
        else:
            data[f"photo-{i}-image"] = item
    data.update(overrides)
    return data


def post_new(client, site, photos=(), **overrides):
    return client.post(CREATE, form_data(site, photos, **overrides))


def errors_of(response):
    return response.content.decode()


# --------------------------------------------------------------------------------------
# The form as the phone sees it
# --------------------------------------------------------------------------------------
def test_new_form_is_prefilled_for_the_phone(client_for, pokja_a, site_a):
    body = client_for(pokja_a).get(CREATE).content.decode()
    today = timezone.localdate().isoformat()
    assert f'value="{today}"' in body  # today's date
    assert "Kampung KB A" in body and f'name="site" value="{site_a.pk}"' in body  # own site
    assert 'accept="image/*"' in body  # the camera opens from the photo field
    assert 'name="client_token"' in body
    assert 'class="btn-check"' in body  # choices as large buttons
    assert "<script>" not in body.replace('<script src="', "")  # no inline script
    assert " onclick=" not in body and " style=" not in body


def test_logging_an_activity_with_a_photo_and_submitting(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, photos=[f.image_file()], action="submit")
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == activity.get_absolute_url()
    assert activity.site == site_a
    assert activity.status == S.SUBMITTED
    assert activity.created_by == pokja_a
    assert activity.photos.count() == 1
    assert list(activity.transitions.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "submitted"),
    ]


def test_saving_as_draft(client_for, member_a, site_a):
    post_new(client_for(member_a), site_a, action="draft")
    activity = Activity.objects.get()
    assert activity.status == S.DRAFT and activity.submitted_at is None


def test_a_double_submit_creates_one_activity(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    data = form_data(site_a, action="submit")
    first = client.post(CREATE, data)
    second = client.post(CREATE, data)  # a double tap, or a retry after a dropped line
    assert Activity.objects.count() == 1
    assert first["Location"] == second["Location"] == Activity.objects.get().get_absolute_url()
    assert ActivityTransition.objects.filter(to_status=S.SUBMITTED).count() == 1


def test_a_token_of_an_invisible_activity_reveals_nothing(client_for, pokja_b, site_a, site_b):
    other = f.ActivityFactory(site=site_a, client_token=uuid.uuid4())
    response = client_for(pokja_b).post(
        CREATE, form_data(site_b, client_token=str(other.client_token))
    )
    assert response.status_code == 404
    assert Activity.objects.count() == 1


def test_the_form_is_the_one_validation_path_for_imports(pokja_a, site_a):
    form = ActivityForm(
        data=form_data(site_a, target_groups=["pus", "remaja"], agencies=[]), user=pokja_a
    )
    assert form.is_valid(), form.errors
    activity = form.save()
    assert activity.created_by == pokja_a and activity.target_groups == ["pus", "remaja"]
    bad = ActivityForm(data=form_data(site_a, date="2099-01-01"), user=pokja_a)
    assert not bad.is_valid() and "date" in bad.errors


def test_an_agency_coordinator_records_for_their_agency(client_for, opd_x, opd_x_agency, site_a):
    post_new(client_for(opd_x), site_a)
    activity = Activity.objects.get()
    assert activity.recorded_by_opd == opd_x_agency
    edit = reverse("activities:update", args=[activity.pk])
    assert client_for(opd_x).get(edit).status_code == 200


# --------------------------------------------------------------------------------------
# Bad input: clear message, nothing saved
# --------------------------------------------------------------------------------------
def assert_refused(response, message):
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body, body[body.find("invalid-feedback") - 200 :][:1500]
    assert "Belum ada yang disimpan" in body
    assert not Activity.objects.exists()
    assert not ActivityPhoto.objects.exists()


def test_future_date(client_for, pokja_a, site_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = post_new(client_for(pokja_a), site_a, date=tomorrow.isoformat())
    assert_refused(response, "Tanggal kegiatan tidak boleh di masa depan.")


def test_date_before_the_site_was_declared(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, date="2018-02-28")
    assert_refused(
        response, "Tanggal kegiatan tidak boleh sebelum Kampung KB dicanangkan (01/03/2018)."
    )


def test_negative_participants(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, participants_male=-5)
    assert_refused(response, "Pastikan nilai ini lebih besar dari atau sama dengan 0.")


def test_participants_above_the_kelurahan_population(client_for, pokja_a, site_a):
    f.PopulationSnapshotFactory(site=site_a)  # 8,000 residents
    response = post_new(
        client_for(pokja_a), site_a, participants_male=5000, participants_female=4000
    )
    assert_refused(response, "9000 peserta melebihi jumlah penduduk kelurahan (8000 jiwa).")


def test_absurd_participants_without_population_data(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, participants_female=10_000_000)
    assert_refused(response, "Pastikan nilai ini lebih kecil dari atau sama dengan 50000.")


def test_a_pdf_renamed_jpg(client_for, pokja_a, site_a):
    pdf = SimpleUploadedFile("foto.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", "image/jpeg")
    response = post_new(client_for(pokja_a), site_a, photos=[pdf])
    assert_refused(response, "Berkas ini bukan gambar yang sah. Unggah foto (JPEG, PNG, WebP).")


def test_a_30_mb_image(client_for, pokja_a, site_a):
    real = f.image_file().read()
    big = SimpleUploadedFile("besar.jpg", real + b"\0" * (30 * 1024 * 1024), "image/jpeg")
    response = post_new(client_for(pokja_a), site_a, photos=[big])
    assert_refused(response, "Ukuran gambar 30.0 MB; batasnya 5 MB.")


def _png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a pixel bomb)."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def test_an_image_bomb(client_for, pokja_a, site_a):
    bomb = SimpleUploadedFile("bom.png", _png_claiming(9_000, 9_000), "image/png")
    response = post_new(client_for(pokja_a), site_a, photos=[bomb])
    assert_refused(response, "Dimensi gambar terlalu besar (9000 × 9000 piksel).")


def test_an_image_bomb_pillow_refuses_to_open(client_for, pokja_a, site_a):
    bomb = SimpleUploadedFile("bom.png", _png_claiming(50_000, 50_000), "image/png")
    response = post_new(client_for(pokja_a), site_a, photos=[bomb])
    assert_refused(response, "Gambar ini memiliki terlalu banyak piksel untuk sebuah foto.")


@pytest.mark.parametrize("token", ["bukan-uuid", "a" * 5000])
def test_a_broken_client_token_is_named(token, client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, client_token=token)
    assert_refused(response, "Token formulir rusak; muat ulang halaman lalu kirim lagi.")


@pytest.mark.parametrize("version", ["", "x", "0"])
def test_a_broken_version_on_an_edit_is_named(version, client_for, pokja_a, site_a):
    activity = f.ActivityFactory(site=site_a, title="Judul lama")
    url = reverse("activities:update", args=[activity.pk])
    response = client_for(pokja_a).post(url, form_data(site_a, title="Baru", version=version))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nomor versi formulir hilang atau rusak; muat ulang halaman lalu coba lagi." in body
    activity.refresh_from_db()
    assert activity.title == "Judul lama"


def test_six_photos_at_once(client_for, pokja_a, site_a):
    photos = [f.image_file(color=(i * 40, 90, 90)) for i in range(6)]
    response = post_new(client_for(pokja_a), site_a, photos=photos)
    assert_refused(response, "Satu kegiatan paling banyak 5 foto; isian ini menjadi 6.")


def test_a_sixth_photo_on_an_activity_that_has_five(client_for, pokja_a, site_a):
    activity = f.ActivityFactory(site=site_a)
    existing = [f.ActivityPhotoFactory(activity=activity).pk for _ in range(5)]
    url = reverse("activities:update", args=[activity.pk])
    data = form_data(site_a, photos=[f.image_file()], existing=existing, version=1)
    response = client_for(pokja_a).post(url, data)
    assert response.status_code == 200
    assert "Satu kegiatan paling banyak 5 foto; isian ini menjadi 6." in response.content.decode()
    assert activity.photos.count() == 5
    activity.refresh_from_db()
    assert activity.version == 1


def test_deleting_one_photo_makes_room_for_another(client_for, pokja_a, site_a):
    activity = f.ActivityFactory(site=site_a)
    existing = [f.ActivityPhotoFactory(activity=activity).pk for _ in range(5)]
    data = form_data(site_a, photos=[f.image_file()], existing=existing, version=1)
    data["photo-0-DELETE"] = "on"
    response = client_for(pokja_a).post(reverse("activities:update", args=[activity.pk]), data)
    assert response.status_code == 302
    assert activity.photos.count() == 5
    assert not ActivityPhoto.objects.filter(pk=existing[0]).exists()


def test_script_is_stored_as_typed_and_shown_escaped(client_for, pokja_a, dinas, site_a):
    title = '<script>alert("x")</script> Posyandu'
    post_new(client_for(pokja_a), site_a, title=title, description="<b>tebal</b>")
    activity = Activity.objects.get()
    assert activity.title == title
    for user in (pokja_a, dinas):
        for url in (activity.get_absolute_url(), reverse("activities:list")):
            body = client_for(user).get(url).content.decode()
            assert '<script>alert("x")</script>' not in body
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    body = client_for(pokja_a).get(activity.get_absolute_url()).content.decode()
    assert "&lt;b&gt;tebal&lt;/b&gt;" in body


def test_a_stale_edit_after_the_dinas_verified_saves_nothing(client_for, pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, title="Judul lama")
    url = reverse("activities:update", args=[activity.pk])
    client = client_for(pokja_a)
    assert client.get(url).status_code == 200  # the form is opened at version 1...
    workflow.submit(activity, pokja_a)
    workflow.verify(activity, dinas)  # ...and verified meanwhile
    response = client.post(url, form_data(site_a, title="Judul baru", version=1))
    assert response.status_code == 409
    assert (
        "Dinas telah memverifikasi kegiatan ini setelah Anda membukanya, sehingga tidak ada "
        "yang disimpan." in response.content.decode()
    )
    activity.refresh_from_db()
    assert activity.title == "Judul lama" and activity.status == S.VERIFIED


def test_a_stale_edit_after_another_member_saved(client_for, pokja_a, member_a, site_a):
    activity = f.ActivityFactory(site=site_a, title="Judul awal")
    url = reverse("activities:update", args=[activity.pk])
    ok = client_for(member_a).post(url, form_data(site_a, title="Versi anggota", version=1))
    assert ok.status_code == 302
    response = client_for(pokja_a).post(url, form_data(site_a, title="Versi ketua", version=1))
    assert response.status_code == 409
    assert "Orang lain mengubah kegiatan ini" in response.content.decode()
    activity.refresh_from_db()
    assert activity.title == "Versi anggota" and activity.version == 2


def test_an_edit_cannot_move_the_activity_to_another_site(client_for, pokja_a, site_a, site_b):
    activity = f.ActivityFactory(site=site_a)
    url = reverse("activities:update", args=[activity.pk])
    response = client_for(pokja_a).post(url, form_data(site_b, version=1))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.site == site_a  # the site field is disabled: the posted value is ignored


def test_a_returned_activity_can_be_fixed_and_resubmitted(client_for, pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a)
    workflow.submit(activity, pokja_a)
    workflow.return_(activity, dinas, "Peserta perempuan belum diisi")
    activity.refresh_from_db()
    url = reverse("activities:update", args=[activity.pk])
    body = client_for(pokja_a).get(url).content.decode()
    assert "Peserta perempuan belum diisi" in body  # the reason, on the form
    data = form_data(site_a, participants_female=25, version=activity.version, action="submit")
    assert client_for(pokja_a).post(url, data).status_code == 302
    activity.refresh_from_db()
    assert activity.status == S.SUBMITTED and activity.participants_female == 25


def test_the_program_must_run_at_the_site(client_for, dinas, site_a, site_b):
    program = f.OPDProgramFactory(sites=[site_b])
    response = post_new(client_for(dinas), site_a, opd_program=program.pk, origin="opd")
    assert response.status_code == 200
    assert "tidak berjalan di Kampung KB A" in response.content.decode()
    assert not Activity.objects.exists()
