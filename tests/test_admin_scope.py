"""The admin goes through the same scope as the pages (kampungkb.admin.ScopedAdminMixin)."""

import pytest
from django.urls import reverse

from . import factories as f

pytestmark = pytest.mark.django_db


def test_opd_coordinator_reads_sites_but_cannot_change_them(client_for, opd_x, site_a):
    client = client_for(opd_x)
    changelist = client.get(reverse("admin:villages_kampungkb_changelist"))
    assert changelist.status_code == 200
    assert "Kampung KB A" in changelist.content.decode()
    change = client.get(reverse("admin:villages_kampungkb_change", args=[site_a.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()  # read-only view
    response = client.post(
        reverse("admin:villages_kampungkb_change", args=[site_a.pk]), {"name": "Diubah"}
    )
    assert response.status_code == 403
    site_a.refresh_from_db()
    assert site_a.name == "Kampung KB A"
    assert client.get(reverse("admin:kampungkb_user_changelist")).status_code == 403


def test_dinas_manages_sites_in_the_admin(client_for, dinas, site_a):
    response = client_for(dinas).get(reverse("admin:villages_kampungkb_change", args=[site_a.pk]))
    assert response.status_code == 200
    assert 'name="_save"' in response.content.decode()


def test_admin_is_in_indonesian_with_the_portal_title(client_for, dinas):
    body = client_for(dinas).get(reverse("admin:index")).content.decode()
    assert "Portal Kampung KB" in body
    assert "Administrasi" in body


def test_site_autocomplete_in_the_admin_is_scoped(client_for, dinas, site_a, site_b, site_c):
    url = reverse("admin:autocomplete")
    params = {
        "app_label": "villages",
        "model_name": "populationsnapshot",
        "field_name": "site",
        "term": "Kampung KB",
    }
    results = client_for(dinas).get(url, params).json()["results"]
    assert {r["text"] for r in results} >= {"Kampung KB A", "Kampung KB B", "Kampung KB C"}
    # A staff user scoped to one site (a Pokja ketua given admin access) finds only it.
    from django.contrib.auth.models import Permission

    ketua = f.UserFactory(is_staff=True)
    f.PokjaMemberFactory(site=site_a, user=ketua, position="ketua")
    ketua.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_kampungkb", "view_populationsnapshot", "add_populationsnapshot"]
        )
    )
    results = client_for(ketua).get(url, params).json()["results"]
    assert [r["text"] for r in results] == ["Kampung KB A"]
