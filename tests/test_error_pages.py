"""Custom error pages in Indonesian: no stack trace, no settings, with DEBUG off."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LEAKS = (
    "Traceback",
    "SECRET_KEY",
    "DATABASES",
    "settings.py",
    "urlpatterns",
    "kampungkb.urls",
    "RuntimeError",
    "django.",
    "/work/",
    "site-packages",
)


def assert_clean(response, status, heading):
    assert settings.DEBUG is False
    assert response.status_code == status
    body = response.content.decode()
    assert heading in body
    assert 'lang="id"' in body
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} in the {status} page"
    assert settings.SECRET_KEY not in body
    return body


def test_404_page(client_for, pokja_a):
    for user in (None, pokja_a):
        body = assert_clean(
            client_for(user).get("/tidak-ada/halaman/"), 404, "Halaman tidak ditemukan"
        )
        assert "Kode galat: 404" in body


def test_404_for_a_site_outside_the_scope_looks_the_same(client_for, pokja_a, site_c):
    response = client_for(pokja_a).get(reverse("villages:site-detail", args=[site_c.pk]))
    assert_clean(response, 404, "Halaman tidak ditemukan")
    assert site_c.name not in response.content.decode()


def test_403_page(client_for, member_a, site_a):
    response = client_for(member_a).get(reverse("villages:site-update", args=[site_a.pk]))
    body = assert_clean(response, 403, "Akses ditolak")
    assert "admin DPMP3AKB" in body


def test_403_csrf_page(pokja_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pokja_a)
    body = assert_clean(client.post(reverse("logout")), 403, "Formulir sudah kedaluwarsa")
    assert "muat ulang" in body


def test_400_page_for_a_forged_host_header():
    response = Client(HTTP_HOST="penipu.example").get("/")
    assert_clean(response, 400, "Permintaan tidak valid")


@pytest.mark.urls("tests.urls_boom")
def test_500_page(client_for, pokja_a):
    client = client_for(pokja_a)
    client.raise_request_exception = False
    body = assert_clean(client.get("/uji/gagal/"), 500, "Terjadi kesalahan")
    assert "tidak ada data yang tersimpan" in body
    assert "kegagalan uji" not in body
