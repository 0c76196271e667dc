import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from . import factories as f
from .queries import count_queries

pytestmark = pytest.mark.django_db


def test_dinas_dashboard_lists_kecamatan_without_a_site(client_for, dinas):
    serpong = f.KelurahanFactory._meta.model.objects.get(code="36.74.01.1008")
    f.KampungKBFactory(kelurahan=serpong)
    body = client_for(dinas).get(reverse("dashboard")).content.decode()
    assert "Kecamatan yang belum memiliki Kampung KB aktif" in body
    # Every Tangsel kecamatan but Serpong is listed as still without a site.
    warning = body.split("Kecamatan yang belum memiliki Kampung KB aktif")[1].split("</div>")[0]
    assert "Setu" in warning and "Pamulang" in warning and "Serpong," not in warning


def test_pokja_dashboard_shows_what_is_missing(client_for, pokja_a, site_a):
    body = client_for(pokja_a).get(reverse("dashboard")).content.decode()
    assert "Kampung KB A" in body
    assert "Belum ada profil yang dicatat." in body
    assert "Perbarui profil" in body  # the ketua manages the site


def test_plain_member_sees_the_gaps_but_no_edit_buttons(client_for, member_a, site_a):
    body = client_for(member_a).get(reverse("dashboard")).content.decode()
    assert "Kampung KB A" in body
    assert "Perbarui profil" not in body


def test_viewer_dashboard_lists_only_their_kecamatan(client_for, viewer_b, site_a, site_c):
    body = client_for(viewer_b).get(reverse("dashboard")).content.decode()
    assert "Kampung KB C" in body
    assert "Kampung KB A" not in body


PAGES = {
    "dashboard": lambda sites: reverse("dashboard"),
    "site-list": lambda sites: reverse("villages:site-list"),
    "site-list-filtered": lambda sites: (
        reverse("villages:site-list") + f"?kecamatan={sites[0].kelurahan.kecamatan_id}"
    ),
    "site-detail": lambda sites: reverse("villages:site-detail", args=[sites[0].pk]),
    "landing": lambda sites: reverse("landing"),
}


@pytest.mark.parametrize("page_name", PAGES)
def test_query_counts_do_not_grow_with_the_number_of_sites(
    page_name, client_for, dinas, kec_a, django_assert_max_num_queries
):
    def build(n):
        sites = [f.KampungKBFactory(kelurahan__kecamatan=kec_a) for _ in range(n)]
        for site in sites:
            f.ProfileSnapshotFactory(site=site)
            f.PopulationSnapshotFactory(site=site)
            f.PokjaMemberFactory(site=site)
        return sites

    client = client_for(dinas)
    small = build(2)
    few = count_queries(client, PAGES[page_name](small))
    build(40)
    many = count_queries(client, PAGES[page_name](small))
    assert few == many, f"{page_name}: {few} queries with 2 sites, {many} with 42"
    # A fixed budget per page (the site page carries the panels of several apps, the menu
    # an unread-messages count).
    with django_assert_max_num_queries(25):
        client.get(PAGES[page_name](small))


def test_site_list_filters_and_paginates(client_for, dinas, kec_a, kec_b):
    for _ in range(30):
        f.KampungKBFactory(kelurahan__kecamatan=kec_a)
    other = f.KampungKBFactory(name="Kampung KB Lain", kelurahan__kecamatan=kec_b)
    client = client_for(dinas)
    page1 = client.get(reverse("villages:site-list")).content.decode()
    assert "31 Kampung KB" in page1
    assert "?page=2" in page1
    filtered = client.get(reverse("villages:site-list"), {"kecamatan": kec_b.pk}).content.decode()
    assert "Kampung KB Lain" in filtered and "1 Kampung KB" in filtered
    assert other.pk


def test_dinas_counts_stop_at_a_cap_and_say_so(client_for, dinas, site_a, site_b, monkeypatch):
    """At national scale the queue and the Pokja to follow up are counted up to a cap (the
    count then costs the same at 54 and at 83,000 sites); beyond it the page says "more
    than", never a wrong exact number."""
    from activities import dashboard

    for site in (site_a, site_a, site_b):
        f.ActivityFactory(site=site, status="submitted", submitted_at=timezone.now())
    client = client_for(dinas)
    text = client.get(reverse("dashboard")).content.decode()
    assert "3 kegiatan menunggu verifikasi." in text
    monkeypatch.setattr(dashboard, "COUNT_CAP", 2)
    monkeypatch.setattr(dashboard, "FOLLOW_UP_LIMIT", 1)
    text = client.get(reverse("dashboard")).content.decode()
    assert "Lebih dari 2 kegiatan menunggu verifikasi." in text
    # Sites A and B have no ketua in this test: two to follow up, one listed.
    assert "Ditampilkan 1 yang pertama dari 2." in text


def test_the_national_coverage_layout_costs_what_the_kecamatan_table_costs(
    client_for, dinas, monkeypatch
):
    """Above ``COVERAGE_TABLE_LIMIT`` kecamatan the coverage panel shows the first ones still
    without a site and a national total instead of a table: the same number of queries, so
    the dashboard's count does not change with the size of the country."""
    from villages import dashboard
    from villages.models import Kecamatan, Kelurahan

    serpong = Kelurahan.objects.filter(kecamatan__name="Serpong").order_by("code")
    f.KampungKBFactory(kelurahan=serpong[0])
    f.KampungKBFactory(kelurahan=serpong[1])
    f.KampungKBFactory(kelurahan=serpong[2], is_active=False)
    client = client_for(dinas)
    table = count_queries(client, reverse("dashboard"))

    monkeypatch.setattr(dashboard, "COVERAGE_TABLE_LIMIT", 1)
    national = count_queries(client, reverse("dashboard"))
    assert national == table
    body = client.get(reverse("dashboard")).content.decode()
    assert "Seluruhnya 2 Kampung KB aktif." in body  # the inactive one is not counted
    warning = body.split("Kecamatan yang belum memiliki Kampung KB aktif")[1].split("</div>")[0]
    assert "Setu" in warning and "Pondok Aren" in warning and "Serpong," not in warning

    # Every kecamatan has a site: nothing to list, the same queries, the right total.
    for kecamatan in Kecamatan.objects.exclude(name="Serpong"):
        f.KampungKBFactory(kelurahan=kecamatan.kelurahan_set.order_by("code").first())
    assert count_queries(client, reverse("dashboard")) == table
    body = client.get(reverse("dashboard")).content.decode()
    assert "Setiap kecamatan sudah memiliki minimal satu Kampung KB aktif." in body
    assert "Seluruhnya 8 Kampung KB aktif." in body


def test_profile_gaps_read_only_the_fields_the_dashboard_loads(site_a, django_assert_num_queries):
    """The Pokja dashboard loads only PROFILE_GAP_FIELDS of each site's profile; a field
    profile_gaps() reads beyond them would cost a query per site, silently."""
    from villages.models import ProfileSnapshot
    from villages.services import PROFILE_GAP_FIELDS, profile_gaps

    long_ago = datetime.date(2020, 1, 1)
    profiles = [
        f.ProfileSnapshotFactory(site=site_a, period=datetime.date(2024, 1, 1), pokja_exists=False),
        f.ProfileSnapshotFactory(site=site_a, period=datetime.date(2024, 2, 1), sk_number=""),
        f.ProfileSnapshotFactory(
            site=site_a,
            period=long_ago,
            sk_valid_until=datetime.date(2021, 1, 1),
            members_count=0,
            companion=ProfileSnapshot.Companion.NONE,
        ),
    ]
    for full in profiles:
        expected = profile_gaps(full, None, None)
        narrow = ProfileSnapshot.objects.only(*PROFILE_GAP_FIELDS).get(pk=full.pk)
        with django_assert_num_queries(0):
            assert profile_gaps(narrow, None, None) == expected
    assert len(profile_gaps(profiles[2], None, None)) == 6  # every branch above was taken
