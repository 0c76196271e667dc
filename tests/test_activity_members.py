"""Pokja member management and the Dinas's Pokja follow-up list."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import PokjaMember

from . import factories as f

pytestmark = pytest.mark.django_db


def test_the_ketua_manages_the_member_list(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    url = reverse("activities:member-create", args=[site_a.pk])
    data = {
        "name": "Ibu Wulan Sari",
        "position": "seksi_ekonomi",
        "phone": "081298765432",
        "active_from": "01/02/2024",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    member = PokjaMember.objects.get(name="Ibu Wulan Sari")
    assert member.site == site_a and member.active_from == datetime.date(2024, 2, 1)
    listing = client.get(reverse("activities:members", args=[site_a.pk])).content.decode()
    assert "Ibu Wulan Sari" in listing and "Seksi ekonomi" in listing
    edit = reverse("activities:member-update", args=[site_a.pk, member.pk])
    client.post(edit, {**data, "active_until": "31/12/2025"})
    member.refresh_from_db()
    assert member.active_until == datetime.date(2025, 12, 31)
    assert member.history.count() == 2  # audited
    client.post(reverse("activities:member-delete", args=[site_a.pk, member.pk]))
    assert not PokjaMember.objects.filter(pk=member.pk).exists()


def test_the_dinas_manages_any_member_list(client_for, dinas, site_c):
    url = reverse("activities:member-create", args=[site_c.pk])
    assert client_for(dinas).post(url, {"name": "Pak Dodi", "position": "ketua"}).status_code == 302
    assert PokjaMember.objects.filter(site=site_c, position="ketua").exists()


def test_one_ketua_at_a_time(client_for, pokja_a, dinas, site_a):
    url = reverse("activities:member-create", args=[site_a.pk])
    response = client_for(pokja_a).post(url, {"name": "Ketua Kedua", "position": "ketua"})
    assert response.status_code == 200
    assert "sudah menjadi ketua pada periode tersebut" in response.content.decode()
    assert not PokjaMember.objects.filter(name="Ketua Kedua").exists()
    # After the current ketua's term ends, the next one can start.
    PokjaMember.objects.filter(site=site_a, position="ketua").update(
        active_until=datetime.date(2024, 6, 30)
    )
    data = {"name": "Ketua Kedua", "position": "ketua", "active_from": "01/07/2024"}
    assert client_for(dinas).post(url, data).status_code == 302


def test_a_period_that_ends_before_it_starts(client_for, pokja_a, site_a):
    url = reverse("activities:member-create", args=[site_a.pk])
    data = {
        "name": "Ibu Ani",
        "position": "bendahara",
        "active_from": "01/07/2024",
        "active_until": "01/06/2024",
    }
    response = client_for(pokja_a).post(url, data)
    assert response.status_code == 200
    assert "“Aktif sampai” tidak boleh sebelum “aktif sejak”." in response.content.decode()
    assert not PokjaMember.objects.filter(name="Ibu Ani").exists()


def test_member_list_warns_when_there_is_no_ketua(client_for, dinas, site_c):
    f.PokjaMemberFactory(site=site_c, position="sekretaris")
    body = client_for(dinas).get(reverse("activities:members", args=[site_c.pk])).content
    assert "Pokja belum memiliki ketua yang aktif." in body.decode()


def test_dinas_dashboard_flags_no_ketua_and_expired_sk(client_for, dinas, kec_a):
    today = timezone.localdate()
    fine = f.KampungKBFactory(name="KB Lengkap", kelurahan__kecamatan=kec_a)
    f.PokjaMemberFactory(site=fine, position="ketua")
    f.ProfileSnapshotFactory(site=fine, sk_valid_until=today + datetime.timedelta(days=90))
    no_ketua = f.KampungKBFactory(name="KB Tanpa Ketua", kelurahan__kecamatan=kec_a)
    f.PokjaMemberFactory(site=no_ketua, position="ketua", active_until=datetime.date(2023, 1, 1))
    expired = f.KampungKBFactory(name="KB SK Habis", kelurahan__kecamatan=kec_a)
    f.PokjaMemberFactory(site=expired, position="ketua")
    f.ProfileSnapshotFactory(site=expired, sk_valid_until=datetime.date(2024, 12, 31))
    body = client_for(dinas).get(reverse("dashboard")).content.decode()
    section = body.split("Pokja yang perlu ditindaklanjuti")[1].split("</section>")[0]
    assert "KB Tanpa Ketua" in section and "tanpa ketua" in section
    assert "KB SK Habis" in section and "SK habis 31/12/2024" in section
    assert "KB Lengkap" not in section
