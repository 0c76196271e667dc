"""The scale tools run at tiny sizes (the real measurements are made by hand on
PostgreSQL; see README). They must build consistent data and print their figures."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from activities.models import Activity
from reports.benchmark import BENCH_USER, pages, pick_sites
from reports.models import QualityScore
from reports.periods import latest_scored_month
from villages.models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot

from .queries import count_queries

pytestmark = pytest.mark.django_db


def test_generate_synthetic_builds_consistent_data(capsys):
    call_command("generate_synthetic", "--sites", "60", "--years", "2", "--seed", "3")
    out = capsys.readouterr().out
    assert "60 sites" in out and "Quality rows:" in out
    sites = KampungKB.objects.all()
    assert sites.count() == 60
    # The city's own 54 kelurahan first, then synthetic regions for the rest.
    assert sites.filter(kelurahan__code__startswith="36.74.").count() == 54
    assert sites.filter(is_demo=True).count() == 60
    activities = Activity.objects.count()
    assert 60 * 2 * 6 < activities < 60 * 2 * 20  # about 12 per site-year
    assert Activity.objects.filter(status="verified").count() > activities * 0.8
    # Snapshots obey the same rules as the forms (users + non-users = PUS, …).
    for model in (ProfileSnapshot, PopulationSnapshot, KKBPKSnapshot):
        for snapshot in model.objects.select_related("site")[:40]:
            snapshot.full_clean()
    assert QualityScore.objects.filter(site__in=sites).exists()
    # Deterministic for a seed; new ids do not collide (sequences were reset).
    KampungKB.objects.create(
        name="Baru", kelurahan=sites.first().kelurahan, declared_on="2020-01-01", is_active=False
    )


def test_generate_synthetic_rejects_bad_sizes():
    with pytest.raises(CommandError):
        call_command("generate_synthetic", "--sites", "0")


def test_benchmark_prints_times_queries_and_ratios(capsys):
    call_command("generate_synthetic", "--sites", "12", "--years", "1", "--seed", "1")
    capsys.readouterr()
    call_command("benchmark", "--runs", "1")
    out = capsys.readouterr().out.strip().splitlines()
    rows = {line.split()[0]: line.split() for line in out}
    for page in ("dashboard", "classification", "comparison_6", "site_page", "activity_list"):
        assert page in rows, page
    assert out[1].split()[:5] == ["page", "median", "ms", "first", "ms"]
    # The query count is the first view's, with no cached panel: the page's worst case.
    client = Client()
    client.force_login(get_user_model().objects.get(username=BENCH_USER))
    site_url = pages(latest_scored_month(), pick_sites(latest_scored_month()))["site_page"]
    assert int(rows["site_page"][3]) == count_queries(client, site_url)
    assert re.fullmatch(r"max_ratio=\d+(\.\d+)? max_queries=\d+", out[-1])


def test_benchmark_needs_data():
    with pytest.raises(CommandError, match="No quality rows"):
        call_command("benchmark", "--runs", "1")
