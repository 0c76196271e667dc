"""Registry rules, enforced in the model/form layer: each refused with a clear Indonesian
message and nothing saved."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from villages.forms import KampungKBForm
from villages.models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot

from . import factories as f

pytestmark = pytest.mark.django_db


def site_form_data(kelurahan, **overrides):
    data = {
        "name": "Kampung KB Baru",
        "kelurahan": kelurahan.pk,
        "coverage": "kelurahan",
        "declared_on": "14/02/2020",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_site_form_accepts_day_first_and_iso_dates():
    kel = f.KelurahanFactory()
    form = KampungKBForm(data=site_form_data(kel, declared_on="25/03/2019"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["declared_on"] == datetime.date(2019, 3, 25)
    form = KampungKBForm(data=site_form_data(kel, declared_on="2019-03-25"))
    assert form.is_valid(), form.errors


def test_us_style_date_is_refused_not_misread():
    form = KampungKBForm(data=site_form_data(f.KelurahanFactory(), declared_on="03/25/2025"))
    assert not form.is_valid()
    assert form.errors["declared_on"] == ["Masukkan tanggal yang valid."]


def test_second_active_site_in_a_kelurahan_is_refused(client_for, dinas):
    existing = f.KampungKBFactory()
    response = client_for(dinas).post(
        reverse("villages:site-create"), site_form_data(existing.kelurahan)
    )
    assert response.status_code == 200
    assert "Kelurahan ini sudah memiliki Kampung KB aktif" in response.content.decode()
    assert KampungKB.objects.filter(kelurahan=existing.kelurahan).count() == 1


def test_an_inactive_site_does_not_block_a_new_one():
    old = f.KampungKBFactory(is_active=False)
    form = KampungKBForm(data=site_form_data(old.kelurahan))
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    "declared_on, message",
    [
        ("13/01/2016", "tidak boleh sebelum 14/01/2016"),
        ("future", "tidak boleh di masa depan"),
    ],
)
def test_declaration_date_bounds(declared_on, message):
    if declared_on == "future":
        declared_on = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    form = KampungKBForm(data=site_form_data(f.KelurahanFactory(), declared_on=declared_on))
    assert not form.is_valid()
    assert message in form.errors["declared_on"][0]


def test_declaration_on_program_start_and_today_are_accepted():
    for day in (datetime.date(2016, 1, 14), timezone.localdate()):
        form = KampungKBForm(
            data=site_form_data(f.KelurahanFactory(), declared_on=day.strftime("%d/%m/%Y"))
        )
        assert form.is_valid(), form.errors


def test_coordinates_outside_tangsel_are_refused():
    # Monas, Jakarta: clearly outside Kota Tangerang Selatan.
    form = KampungKBForm(
        data=site_form_data(f.KelurahanFactory(), latitude="-6.175392", longitude="106.827153")
    )
    assert not form.is_valid()
    assert "di luar Kota Tangerang Selatan" in form.errors["latitude"][0]


def test_coordinates_inside_tangsel_are_accepted():
    # Kantor Walikota Tangerang Selatan, Ciputat.
    form = KampungKBForm(
        data=site_form_data(f.KelurahanFactory(), latitude="-6.2917", longitude="106.7101")
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["latitude"] == Decimal("-6.2917")


def test_only_one_coordinate_is_refused():
    form = KampungKBForm(data=site_form_data(f.KelurahanFactory(), latitude="-6.29"))
    assert not form.is_valid()
    assert "isi keduanya" in form.errors["longitude"][0].lower()


def test_non_image_photo_is_refused():
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("foto.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    form = KampungKBForm(data=site_form_data(f.KelurahanFactory()), files={"photo": fake})
    assert not form.is_valid()
    assert "photo" in form.errors


def test_oversized_photo_is_refused(settings):
    settings.MAX_IMAGE_BYTES = 1024  # keep the test small: the rule, not the number
    big = f.image_file(size=(600, 600), fmt="PNG")
    form = KampungKBForm(data=site_form_data(f.KelurahanFactory()), files={"photo": big})
    assert not form.is_valid()
    assert "batasnya 0 MB" in form.errors["photo"][0] or "MB" in form.errors["photo"][0]


def test_kkbpk_must_add_up_to_pus_and_the_message_shows_both_numbers():
    pop = f.PopulationSnapshotFactory(pus=1000)
    snap = f.KKBPKSnapshotFactory.build(site=pop.site, period=pop.period, kb_pill=130)
    with pytest.raises(ValidationError) as excinfo:
        snap.full_clean()
    message = " ".join(excinfo.value.messages)
    assert "1010" in message and "1000" in message


def test_kkbpk_that_adds_up_is_valid():
    pop = f.PopulationSnapshotFactory(pus=1000)
    f.KKBPKSnapshotFactory.build(site=pop.site, period=pop.period).full_clean()


def test_kkbpk_needs_population_data_first():
    snap = f.KKBPKSnapshotFactory.build(site=f.KampungKBFactory())
    with pytest.raises(ValidationError) as excinfo:
        snap.full_clean()
    assert "data kependudukan" in " ".join(excinfo.value.messages)


def test_poktan_participants_cannot_exceed_their_target_group():
    pop = f.PopulationSnapshotFactory(families_with_toddlers=90)
    snap = f.KKBPKSnapshotFactory.build(site=pop.site, period=pop.period, participants_bkb=100)
    with pytest.raises(ValidationError) as excinfo:
        snap.full_clean()
    assert "participants_bkb" in excinfo.value.message_dict
    assert "100" in excinfo.value.message_dict["participants_bkb"][0]


def test_negative_counts_are_refused_by_the_form(client_for, pokja_a, site_a):
    f.PopulationSnapshotFactory(site=site_a, period=datetime.date(2024, 1, 1))
    url = reverse("villages:population-create", args=[site_a.pk])
    data = {
        "period": "2024-02",
        "families": "-5",
        "pus": "10",
        "adolescents": "0",
        "families_with_toddlers": "0",
        "families_with_adolescents": "0",
        "families_with_elderly": "0",
    }
    response = client_for(pokja_a).post(url, data)
    assert response.status_code == 200
    assert "lebih besar dari atau sama dengan 0" in response.content.decode()
    assert PopulationSnapshot.objects.filter(site=site_a).count() == 1


def test_posting_kkbpk_that_does_not_add_up_shows_both_numbers(client_for, pokja_a, site_a):
    f.PopulationSnapshotFactory(site=site_a, period=datetime.date(2024, 1, 1), pus=1000)
    fields = (
        KKBPKSnapshot.METHOD_FIELDS
        + KKBPKSnapshot.NONUSER_FIELDS
        + tuple(KKBPKSnapshot.PARTICIPANT_FIELDS.values())
    )
    data = dict.fromkeys(fields, 0)
    data.update(period="2024-01", kb_pill=500, nonuser_pregnant=100)
    response = client_for(pokja_a).post(reverse("villages:kkbpk-create", args=[site_a.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "(500)" in body and "(100)" in body and "1000" in body
    assert not KKBPKSnapshot.objects.exists()


def test_saving_the_same_month_corrects_it_and_keeps_history(client_for, pokja_a, site_a):
    url = reverse("villages:profile-create", args=[site_a.pk])
    data = {
        "period": "2024-03",
        "companion": "none",
        "members_count": 10,
        "trained_members_count": 2,
        "pokja_exists": "on",
    }
    assert client_for(pokja_a).post(url, data).status_code == 302
    data["members_count"] = 14
    assert client_for(pokja_a).post(url, data).status_code == 302
    profile = ProfileSnapshot.objects.get(site=site_a)
    assert profile.members_count == 14
    assert profile.period == datetime.date(2024, 3, 1)
    assert [h.members_count for h in profile.history.order_by("history_date")] == [10, 14]
    assert profile.recorded_by == pokja_a


def test_snapshot_month_before_declaration_is_refused(client_for, pokja_a, site_a):
    url = reverse("villages:profile-create", args=[site_a.pk])
    data = {
        "period": "2017-01",
        "companion": "none",
        "members_count": 1,
        "trained_members_count": 0,
    }
    response = client_for(pokja_a).post(url, data)
    assert response.status_code == 200
    assert "sebelum Kampung KB dicanangkan" in response.content.decode()
    assert not ProfileSnapshot.objects.exists()


def test_site_history_is_recorded(client_for, dinas):
    site = f.KampungKBFactory()
    data = site_form_data(site.kelurahan, name="Nama Baru", declared_on="01/03/2018")
    response = client_for(dinas).post(reverse("villages:site-update", args=[site.pk]), data)
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.name == "Nama Baru"
    assert site.history.count() == 2
    assert site.history.first().history_user == dinas


def test_the_site_pages_data_history_is_shown_on_request(client_for, pokja_a, site_a):
    for month in (1, 2, 3):
        f.PopulationSnapshotFactory(site=site_a, period=datetime.date(2025, month, 1))
    url = reverse("villages:site-detail", args=[site_a.pk])
    client = client_for(pokja_a)
    page = client.get(url).content.decode()
    # The earlier months wait behind a link; the page reads only the current snapshot.
    assert "01/2025" not in page and "02/2025" not in page
    assert 'href="?riwayat=1#history-h"' in page
    assert "Tampilkan data 24 bulan terakhir" in page
    history = client.get(url, {"riwayat": "1"}).content.decode()
    assert all(f"0{m}/2025" in history for m in (1, 2, 3))
    assert "<details open>" in history and "(3 bulan)" in history


@pytest.mark.parametrize(
    ("month", "error"),
    [("13/2024", "Masukkan bulan dengan format BB/TTTT."), ("", "Bidang ini tidak boleh kosong.")],
)
def test_a_bad_kkbpk_month_shows_only_the_month_error(month, error, client_for, pokja_a, site_a):
    f.PopulationSnapshotFactory(site=site_a, period=datetime.date(2024, 1, 1), pus=1000)
    data = dict.fromkeys(
        KKBPKSnapshot.METHOD_FIELDS
        + KKBPKSnapshot.NONUSER_FIELDS
        + tuple(KKBPKSnapshot.PARTICIPANT_FIELDS.values()),
        0,
    )
    data.update(period=month, kb_pill=900, nonuser_pregnant=100)
    response = client_for(pokja_a).post(reverse("villages:kkbpk-create", args=[site_a.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert error in body
    # Not the false "no population data" (there is some), and no non-field alert at all.
    assert "Belum ada data kependudukan" not in body
    assert "alert-danger" not in body
    assert not KKBPKSnapshot.objects.exists()


def test_a_kkbpk_month_before_any_population_still_says_so(client_for, pokja_a, site_a):
    f.PopulationSnapshotFactory(site=site_a, period=datetime.date(2024, 6, 1), pus=1000)
    data = dict.fromkeys(
        KKBPKSnapshot.METHOD_FIELDS
        + KKBPKSnapshot.NONUSER_FIELDS
        + tuple(KKBPKSnapshot.PARTICIPANT_FIELDS.values()),
        0,
    )
    data.update(period="2024-01")
    response = client_for(pokja_a).post(reverse("villages:kkbpk-create", args=[site_a.pk]), data)
    body = response.content.decode()
    # Shown once, not twice (the page and crispy both rendered the form's own errors).
    assert body.count("Belum ada data kependudukan Kampung KB ini") == 1
