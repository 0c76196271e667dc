"""Cache-Control per class of response (kampungkb.middleware.CacheControlMiddleware):
nothing a logged-in user saw stays in a shared office computer's browser or a proxy."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.cache import has_vary_header

from activities.models import Activity

from . import factories as f

pytestmark = pytest.mark.django_db

NO_STORE = {"private", "no-store"}


def directives(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize(
    "url",
    [
        reverse("dashboard"),
        reverse("villages:site-list"),
        reverse("landing"),  # a public page, but rendered for this user (their menu)
        reverse("activities:list"),
    ],
)
def test_a_logged_in_users_pages_are_never_stored(client_for, dinas, url):
    response = client_for(dinas).get(url)
    assert response.status_code == 200
    assert directives(response) == NO_STORE


def test_a_logged_in_users_error_pages_and_redirects_are_never_stored(client_for, pokja_a):
    client = client_for(pokja_a)
    assert directives(client.get("/tidak-ada/")) == NO_STORE
    response = client.get(reverse("login"))  # redirected to the dashboard (never_cache)
    assert response.status_code == 302
    assert directives(response) >= NO_STORE


def test_the_page_answering_a_login_is_never_stored(dinas):
    dinas.set_password("kata-sandi-uji-9")
    dinas.save()
    response = Client().post(
        reverse("login"), {"username": dinas.username, "password": "kata-sandi-uji-9"}
    )
    assert response.status_code == 302
    assert directives(response) >= NO_STORE


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads_are_never_stored(client_for, dinas, site_a, fmt):
    response = client_for(dinas).get(reverse("reports:sites-export", args=[fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert directives(response) == NO_STORE


def test_a_scoped_photo_is_revalidated_on_every_view_and_answers_304_when_unchanged(
    client_for, pokja_a, site_a, pokja_b
):
    photo = f.ActivityPhotoFactory(activity__site=site_a)
    url = reverse("activities:photo", args=[photo.pk])
    response = client_for(pokja_a).get(url)
    assert response.status_code == 200
    assert directives(response) == {"private", "no-cache"}  # no proxy, ask before reuse
    etag = response["ETag"]
    again = client_for(pokja_a).get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert directives(again) == {"private", "no-cache"}
    # The scope is checked before the ETag: a user of another site gets no 304.
    assert client_for(pokja_b).get(url, headers={"if-none-match": etag}).status_code == 404
    thumb = client_for(pokja_a).get(reverse("activities:photo-thumb", args=[photo.pk]))
    assert thumb["ETag"] != etag  # another file, another version


def test_a_public_photo_may_be_cached_by_anyone(site_a):
    photo = f.ActivityPhotoFactory(
        activity__site=site_a, activity__status=Activity.Status.VERIFIED, is_public=True
    )
    response = Client().get(reverse("activities:public-photo", args=[photo.pk]))
    assert response.status_code == 200
    assert directives(response) == {"public", "max-age=3600"}


def test_an_anonymous_page_with_the_csrf_cookie_is_kept_by_no_shared_cache():
    response = Client().get(reverse("landing"))
    assert response.status_code == 200
    assert "csrftoken" in response.cookies  # the language switch's token
    assert directives(response) == {"private", "no-cache"}


def test_the_login_page_is_never_stored():
    response = Client().get(reverse("login"))  # Django's never_cache, kept
    assert response.status_code == 200
    assert directives(response) >= NO_STORE


def test_an_anonymous_public_site_page_is_kept_by_no_shared_cache(site_a):
    response = Client().get(reverse("public:site-detail", args=[site_a.pk]))
    assert response.status_code == 200
    assert "public" not in directives(response)
    assert "private" in directives(response)


def test_a_cookie_free_public_response_is_cached_briefly_per_language():
    response = Client().get(reverse("javascript-catalog"))
    assert response.status_code == 200
    assert not response.cookies
    assert directives(response) == {"public", "max-age=60"}
    # The language comes from a cookie: a proxy must not give one language to everyone.
    assert has_vary_header(response, "Cookie")


def test_a_logged_in_users_copy_of_a_public_response_is_not_stored(client_for, dinas):
    response = client_for(dinas).get(reverse("javascript-catalog"))
    assert directives(response) == NO_STORE


def test_the_admin_keeps_its_own_never_cache(client_for, dinas):
    response = client_for(dinas).get(reverse("admin:index"))
    assert response.status_code == 200
    assert {"no-store", "private", "no-cache"} <= directives(response)
