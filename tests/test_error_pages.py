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


# A request over the upload limits: Django refuses it when the form is first read (the
# CSRF check, as in production) and the 400 page says why, with the limit.
def post_as_browser(data, **extra):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))  # the CSRF cookie, as a browser has it
    return client.post(reverse("login"), data, **extra)


def test_400_for_a_body_over_the_limit_names_the_limit():
    response = post_as_browser({"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    body = assert_clean(response, 400, "Berkas atau isian terlalu besar")
    assert "Formulir mengirim lebih dari 10 MB sekaligus. Tidak ada yang disimpan." in body
    assert "Periksa alamatnya" not in body


def test_400_for_too_many_fields_names_the_limit():
    data = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    body = assert_clean(post_as_browser(data), 400, "Berkas atau isian terlalu besar")
    assert "Formulir mengirim lebih dari 2.000 isian sekaligus." in body


def test_400_for_too_many_files_names_the_limit():
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {f"f{i}": SimpleUploadedFile(f"{i}.jpg", b"x") for i in range(101)}
    body = assert_clean(post_as_browser(files), 400, "Berkas atau isian terlalu besar")
    assert "Formulir mengirim lebih dari 100 berkas sekaligus." in body


def test_other_400s_keep_the_generic_page():
    body = assert_clean(Client(HTTP_HOST="penipu.example").get("/"), 400, "Periksa alamatnya")
    assert "terlalu besar" not in body
