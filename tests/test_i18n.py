from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_portal_speaks_indonesian_by_default(client_for):
    body = client_for(None).get(reverse("login")).content.decode()
    assert '<html lang="id">' in body
    assert "Masuk" in body and "Nama pengguna" in body


def test_english_can_be_chosen(client_for):
    client = client_for(None)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in body
    assert "Log in" in body


def test_dates_are_shown_day_first(client_for, dinas, site_a):
    body = client_for(dinas).get(reverse("villages:site-detail", args=[site_a.pk])).content.decode()
    assert "01/03/2018" in body  # the factory's declaration date


@pytest.mark.parametrize("lang", ["id", "en"])
def test_catalogs_are_complete(lang):
    """Every string in the code has an Indonesian translation (the English catalog may
    leave the English msgid as it is); nothing is fuzzy."""
    for po_path in (Path(settings.BASE_DIR) / "locale" / lang / "LC_MESSAGES").glob("*.po"):
        catalog = polib.pofile(str(po_path))
        assert not catalog.fuzzy_entries(), [e.msgid for e in catalog.fuzzy_entries()][:10]
        if lang == "id":
            missing = [e.msgid for e in catalog.untranslated_entries()]
            assert not missing, missing[:20]


def test_an_english_browser_still_gets_indonesian(client_for):
    body = client_for(None).get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="id">' in body.content.decode()


def test_a_failed_login_reads_correctly_in_indonesian(client_for, pokja_a):
    # Django's own Indonesian repeats the field name ("nama pengguna nama pengguna"); the
    # portal's catalog (LOCALE_PATHS) overrides it.
    response = client_for(None).post(
        reverse("login"), {"username": pokja_a.username, "password": "salah-sekali"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Kata sandi atau nama pengguna salah. Perhatikan huruf besar dan kecil." in body
    assert "nama pengguna nama pengguna" not in body


def test_a_failed_admin_login_reads_correctly_in_indonesian(client_for):
    response = client_for(None).post(
        reverse("admin:login"), {"username": "tidak-ada", "password": "salah-sekali"}
    )
    body = response.content.decode()
    assert (
        "Kata sandi atau nama pengguna akun staf salah. Perhatikan huruf besar dan kecil." in body
    )
