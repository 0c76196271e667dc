"""The per-city monthly summary behind the national dashboard: it always equals the
quality rows counted afresh, after a full recompute and after every kind of change that
rewrites or removes rows; and the dashboard shows the same figures from it as from the
rows."""

import datetime
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from activities import cadence
from activities.models import Activity
from kampungkb.scopes import get_scope
from reports import dashboard
from reports.models import MonthSummary, QualityScore
from reports.periods import latest_scored_month
from reports.recompute import recompute_all
from reports.summary import rebuild
from reports.sustainability import add_months
from villages.models import Kecamatan

from . import factories as f
from .test_reports_pages import seed_site

pytestmark = pytest.mark.django_db

D = datetime.date


def counted_from_rows():
    """The summary computed in Python from every quality row (an independent path)."""
    kota_of = dict(Kecamatan.objects.values_list("pk", "kota_id"))
    rows = {(r.site_id, r.kecamatan_id, r.period): r for r in QualityScore.objects.all()}
    result = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (site, kecamatan, period), row in rows.items():
        before = rows.get((site, kecamatan, add_months(period, -12)))
        key = (period, kota_of[kecamatan], row.quality_class, before and before.quality_class)
        submitted = row.report_submitted_at
        for i, flag in enumerate(
            (
                True,
                row.is_fading,
                submitted is None,
                submitted is not None and submitted >= cadence.deadline(period),
                row.profile_period is None,
            )
        ):
            result[key][i] += flag
    return dict(result)


def stored():
    result = {}
    for s in MonthSummary.objects.all():
        key = (s.period, s.kota_id, s.quality_class, s.previous_class)
        assert key not in result, f"two summary rows for {key}"
        result[key] = [s.sites, s.fading, s.missing, s.late, s.no_profile]
    return result


@pytest.fixture
def other_city():
    kota = f.KotaFactory(code="36.71", name="Kota Tangerang")
    return f.KecamatanFactory(kota=kota, code="36.71.01", name="Tangerang")


@pytest.fixture
def cities(site_a, site_b, site_c, other_city):
    """Sites in two cities with histories that change class over the years."""
    far = f.KampungKBFactory(name="Kampung KB Kota", kelurahan__kecamatan=other_city)
    seed_site(site_a, 1.0)
    seed_site(site_b, 0.3, months_active=12)
    seed_site(site_c, 0.8, months_active=20)
    seed_site(far, 0.6)
    recompute_all()
    return far


def test_the_summary_counts_every_months_rows_per_city_and_class(cities, site_a):
    summary = stored()
    assert summary == counted_from_rows()
    month = latest_scored_month()
    this_month = {k: v for k, v in summary.items() if k[0] == month}
    assert {k[1] for k in this_month} == {
        site_a.kelurahan.kecamatan.kota_id,
        cities.kelurahan.kecamatan.kota_id,
    }
    assert (
        sum(v[0] for v in this_month.values()) == QualityScore.objects.filter(period=month).count()
    )
    # The year-before class is filled in wherever the site had a row then.
    assert any(k[3] is not None for k in this_month)


def test_the_summary_follows_every_change_to_the_rows(
    cities, site_a, site_b, site_c, other_city, django_capture_on_commit_callbacks
):
    def changed(action):
        with django_capture_on_commit_callbacks(execute=True):
            action()
        assert stored() == counted_from_rows()

    # An activity verified: the signal's recompute of one site.
    changed(
        lambda: f.ActivityFactory(
            site=site_b,
            date=D(2024, 6, 10),
            status="verified",
            submitted_at=timezone.now(),
            verified_at=timezone.now(),
        )
    )

    # A site moved to a kelurahan of the other city: both cities' months change.
    def move():
        site_a.kelurahan = f.KelurahanFactory(kecamatan=other_city)
        site_a.save()

    before = stored()
    changed(move)
    assert stored() != before

    # A site deactivated (no rows from this month on), a site re-dated (no rows before
    # its new first month), a site deleted (its rows cascade).
    def deactivate():
        site_b.is_active = False
        site_b.save()

    changed(deactivate)

    def redate():
        site_c.declared_on = D(2025, 1, 15)
        site_c.save()

    changed(redate)
    assert not QualityScore.objects.filter(site=site_c, period__lt=D(2025, 1, 1)).exists()

    def delete():
        # A site's activities protect it: they go first (each recomputes its site).
        Activity.objects.filter(site=cities).delete()
        cities.delete()

    month = latest_scored_month()
    sites_before = sum(v[0] for k, v in stored().items() if k[0] == month)
    changed(delete)
    assert sum(v[0] for k, v in stored().items() if k[0] == month) == sites_before - 1

    # A kecamatan handed to another city.
    def hand_over():
        kec = site_c.kelurahan.kecamatan
        kec.kota = other_city.kota
        kec.save()

    changed(hand_over)
    assert stored()


def test_rebuild_of_some_cities_leaves_the_others_alone(cities, site_a):
    kota = site_a.kelurahan.kecamatan.kota_id
    others = {k: v for k, v in stored().items() if k[1] != kota}
    MonthSummary.objects.filter(kota_id=kota).delete()
    assert rebuild(kota_ids=[kota]) > 0
    assert stored() == counted_from_rows()
    assert {k: v for k, v in stored().items() if k[1] != kota} == others


def test_the_dashboard_shows_the_same_figures_from_the_summary_as_from_the_rows(
    cities, dinas, client_for
):
    month = latest_scored_month()
    scope = get_scope(dinas)
    summary_rows = dashboard.month_summary(scope, month)
    assert summary_rows is not None  # two cities: the summary is used
    assert dashboard.class_by_area(dinas, month, summary_rows) == dashboard.class_by_area(
        dinas, month
    )
    assert dashboard.class_changes(dinas, month, summary_rows) == dashboard.class_changes(
        dinas, month
    )
    page = client_for(dinas).get("/dasbor/").content.decode()
    assert ">Kota Tangerang</a>" in page and ">Kota Tangerang Selatan</a>" in page


def test_one_city_is_shown_by_kecamatan_with_the_same_figures(data_one_city, dinas, viewer_b):
    month = latest_scored_month()
    summary_rows = dashboard.month_summary(get_scope(dinas), month)
    assert summary_rows is not None
    with_summary = dashboard.class_by_area(dinas, month, summary_rows)
    assert with_summary[0] == "kecamatan"
    assert with_summary == dashboard.class_by_area(dinas, month)
    assert dashboard.class_changes(dinas, month, summary_rows) == dashboard.class_changes(
        dinas, month
    )
    # A user scoped to a kecamatan never reads the city-wide summary.
    assert dashboard.month_summary(get_scope(viewer_b), month) is None


@pytest.fixture
def data_one_city(site_a, site_c):
    seed_site(site_a, 1.0)
    seed_site(site_c, 0.5)
    recompute_all()
    assert MonthSummary.objects.exists()


def test_recompute_quality_summary_rebuilds_a_lost_summary(cities, capsys):
    expected = stored()
    MonthSummary.objects.all().delete()
    call_command("recompute_quality", "--summary")
    assert f"{len(expected)} summary rows rebuilt" in capsys.readouterr().out
    assert stored() == expected == counted_from_rows()
    with pytest.raises(CommandError, match="alone"):
        call_command("recompute_quality", "--summary", "--month", "2025-01")
