"""Role × page matrix for the registry pages: out-of-scope objects answer 404,
out-of-scope actions 403, anonymous users go to the login page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kampungkb.scopes import get_scope
from villages.models import ProfileSnapshot

from . import factories as f

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "dinas", "pokja_a", "member_a", "pokja_b", "viewer_b", "opd_x"]

# page name -> expected status per role (302 = redirect to login)
MATRIX = {
    "site-list": [302, 200, 200, 200, 200, 200, 200],
    "site-detail": [302, 200, 200, 200, 404, 404, 200],
    "site-update": [302, 200, 200, 403, 404, 404, 403],
    "profile-create": [302, 200, 200, 403, 404, 404, 403],
    "population-create": [302, 200, 200, 403, 404, 404, 403],
    "kkbpk-create": [302, 200, 200, 403, 404, 404, 403],
    "site-create": [302, 200, 403, 403, 403, 403, 403],
    "public-site": [200, 200, 200, 200, 200, 200, 200],
    "dashboard": [302, 200, 200, 200, 200, 200, 200],
    "landing": [200, 200, 200, 200, 200, 200, 200],
}


def url_for(page, site):
    return {
        "site-list": reverse("villages:site-list"),
        "site-detail": reverse("villages:site-detail", args=[site.pk]),
        "site-update": reverse("villages:site-update", args=[site.pk]),
        "profile-create": reverse("villages:profile-create", args=[site.pk]),
        "population-create": reverse("villages:population-create", args=[site.pk]),
        "kkbpk-create": reverse("villages:kkbpk-create", args=[site.pk]),
        "site-create": reverse("villages:site-create"),
        "public-site": reverse("public:site-detail", args=[site.pk]),
        "dashboard": reverse("dashboard"),
        "landing": reverse("landing"),
    }[page]


@pytest.mark.parametrize("page_name", MATRIX)
def test_role_page_matrix(page_name, cast, client_for, site_a):
    url = url_for(page_name, site_a)
    got = {role: client_for(cast[role]).get(url).status_code for role in ROLES}
    expected = dict(zip(ROLES, MATRIX[page_name], strict=True))
    assert got == expected


def test_anonymous_is_sent_to_the_login_page(client_for, site_a):
    response = client_for(None).get(reverse("villages:site-detail", args=[site_a.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_site_list_shows_only_the_users_sites(cast, client_for, site_a, site_b, site_c):
    def names(role):
        body = client_for(cast[role]).get(reverse("villages:site-list")).content.decode()
        return {s.name for s in (site_a, site_b, site_c) if s.name in body}

    assert names("pokja_a") == {"Kampung KB A"}
    assert names("pokja_b") == {"Kampung KB B"}
    assert names("viewer_b") == {"Kampung KB C"}
    assert names("dinas") == {"Kampung KB A", "Kampung KB B", "Kampung KB C"}
    assert names("opd_x") == {"Kampung KB A", "Kampung KB B", "Kampung KB C"}


def test_crafted_post_to_another_sites_snapshot_saves_nothing(cast, client_for, site_a):
    url = reverse("villages:profile-create", args=[site_a.pk])
    data = {
        "period": "2024-03",
        "companion": "none",
        "members_count": 3,
        "trained_members_count": 0,
    }
    for role in ("pokja_b", "viewer_b", "opd_x", "member_a"):
        assert client_for(cast[role]).post(url, data).status_code in (403, 404)
    assert not ProfileSnapshot.objects.exists()


def test_pokja_cannot_move_their_site_to_another_kelurahan(client_for, pokja_a, site_a):
    other = f.KelurahanFactory()
    data = {
        "name": "A",
        "kelurahan": other.pk,
        "coverage": "kelurahan",
        "declared_on": "01/01/2017",
        "is_active": "",
    }
    response = client_for(pokja_a).post(reverse("villages:site-update", args=[site_a.pk]), data)
    assert response.status_code == 302
    site_a.refresh_from_db()
    # The registry fields are the Dinas's: disabled fields keep their stored values.
    assert site_a.kelurahan != other
    assert site_a.is_active is True
    assert site_a.name == "A"


def test_member_list_is_hidden_from_opd_coordinators(cast, client_for, site_a):
    f.PokjaMemberFactory(site=site_a, name="Ibu Rahasia Telepon", position="bendahara")
    url = reverse("villages:site-detail", args=[site_a.pk])
    assert "Ibu Rahasia Telepon" in client_for(cast["pokja_a"]).get(url).content.decode()
    assert "Ibu Rahasia Telepon" in client_for(cast["dinas"]).get(url).content.decode()
    assert "Ibu Rahasia Telepon" not in client_for(cast["opd_x"]).get(url).content.decode()


def test_public_pages_show_no_personal_data(client_for, site_a, pokja_a):
    f.PokjaMemberFactory(site=site_a, name="Bapak Nama Pribadi", phone="081234567890")
    for url in (reverse("landing"), reverse("public:site-detail", args=[site_a.pk])):
        body = client_for(None).get(url).content.decode()
        assert "Kampung KB A" in body
        assert "Bapak Nama Pribadi" not in body
        assert "081234567890" not in body
        assert pokja_a.get_full_name() not in body


def test_inactive_site_is_not_public(client_for):
    site = f.KampungKBFactory(is_active=False)
    assert client_for(None).get(reverse("public:site-detail", args=[site.pk])).status_code == 404


@pytest.mark.parametrize(
    ("active_from", "active_until", "member"),
    [
        (-30, -1, False),  # the membership ended yesterday
        (1, None, False),  # it starts tomorrow
        (0, 0, True),  # today is the first and the last day
        (None, None, True),  # open-ended
    ],
)
def test_only_a_current_membership_opens_the_site(
    client_for, site_a, active_from, active_until, member
):
    today = timezone.localdate()

    def day(offset):
        return None if offset is None else today + datetime.timedelta(days=offset)

    user = f.UserFactory(username="t_dated")
    f.PokjaMemberFactory(
        site=site_a,
        user=user,
        position="ketua",
        active_from=day(active_from),
        active_until=day(active_until),
    )
    scope = get_scope(user)
    assert (site_a.pk in scope.pokja_site_ids) is member
    assert (site_a.pk in scope.managed_site_ids) is member
    response = client_for(user).get(reverse("villages:site-update", args=[site_a.pk]))
    assert response.status_code == (200 if member else 404)
