"""Page timings for ``manage.py benchmark`` (a script that prints figures, not a test).

Each page is requested through Django's test client as a Dinas user (middleware, session,
queries, template rendering: the server's whole work), several times; the median is
reported with the number of SQL queries and the time of a first view with the cache
empty. The three report pages are also compared with the one raw SQL statement that
computes the same figures (``RAW_SQL``), so the ratio shows what the ORM, Python and
templates add on top of the database's own work.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from kampungkb.scopes import DINAS_GROUP
from villages.boundaries import payload
from villages.models import KampungKB

from .dashboard import due_deadline, stale_before
from .models import QualityScore
from .periods import latest_scored_month
from .sustainability import add_months, month_end

BENCH_USER = "benchmark_dinas"


@dataclass
class Result:
    name: str
    url: str
    median_ms: float
    queries: int
    first_ms: float = 0.0  # the first view, before any cache (the site page caches a panel)
    raw_ms: float | None = None
    bytes: int = 0

    @property
    def ratio(self):
        return self.median_ms / self.raw_ms if self.raw_ms else None


def bench_user():
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"first_name": "Benchmark"})
    user.groups.add(Group.objects.get_or_create(name=DINAS_GROUP)[0])
    return user


def _consume(response):
    if getattr(response, "streaming", False):
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


class QueryCounter:
    """Counts the statements sent to the database (with DEBUG off too, unlike
    ``connection.queries``)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def time_page(client, name, url, runs, *, warm_up=True) -> Result:
    """``first_ms``: a view with the cache empty (the site page's quality panel is cached,
    reports/site_panels.py), after one view that compiled the templates; its queries are
    the ones counted. ``median_ms``: the views after it, as a user opening the page again."""
    counter = QueryCounter()
    if warm_up:
        _consume(client.get(url))
    cache.clear()
    # The maps' boundaries are built once per installation, not per page view.
    payload()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        response = client.get(url)
        size = _consume(response)
    first_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{name}: {url} answered {response.status_code}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _consume(client.get(url))
        times.append((time.perf_counter() - started) * 1000)
    return Result(name, url, statistics.median(times), counter.count, first_ms, bytes=size)


def time_sql(sql, params, runs) -> float:
    times = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # warm up
        cursor.fetchall()
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def pick_sites(month, n=6):
    """``n`` active sites with a row in ``month``, spread over the table."""
    ids = list(
        QualityScore.objects.filter(period=month, site__is_active=True)
        .order_by("site_id")
        .values_list("site_id", flat=True)
    )
    if len(ids) < n:
        return ids
    step = len(ids) // n
    return [ids[i * step] for i in range(n)]


def pages(month, site_ids):
    compare = "&".join(f"kampung={pk}" for pk in site_ids)
    start = add_months(month, -11)
    return {
        "dashboard": reverse("dashboard"),
        "classification": reverse("reports:classification"),
        "classification_xlsx": reverse("reports:classification-export", args=["xlsx"]),
        "comparison_6": reverse("reports:comparison")
        + f"?{compare}&dari={start:%Y-%m}&sampai={month:%Y-%m}",
        "site_page": reverse("villages:site-detail", args=[site_ids[0]]),
        "activity_list": reverse("reports:activities"),
        # The map's values (Tangsel's kelurahan only: no national boundaries are loaded).
        "map_values": reverse("maps:values") + f"?bulan={month:%Y-%m}",
    }


# --------------------------------------------------------------------------------------
# The one SQL statement behind each report page's figures (PostgreSQL and SQLite)
# --------------------------------------------------------------------------------------
Q = '"reports_qualityscore"'


def raw_dashboard(month):
    """Sites per class per kota, the class-change matrix, and the counts of fading sites,
    late/missing reports, stale data and boards without a ketua."""
    year_ago = add_months(month, -12)
    today = timezone.localdate()
    sql = f"""
    WITH cur AS (SELECT * FROM {Q} WHERE period = %s)
    SELECT 'area' AS kind, k.kota_id AS a, cur.quality_class AS b, COUNT(*) AS n,
           SUM(CASE WHEN is_fading THEN 1 ELSE 0 END) AS fading,
           SUM(CASE WHEN report_submitted_at IS NULL THEN 1 ELSE 0 END) AS missing,
           SUM(CASE WHEN report_submitted_at >= %s THEN 1 ELSE 0 END) AS late,
           SUM(CASE WHEN sk_valid_until < %s THEN 1 ELSE 0 END) AS sk_expired,
           SUM(CASE WHEN profile_period IS NULL THEN 1 ELSE 0 END) AS no_profile,
           SUM(CASE WHEN profile_period < %s THEN 1 ELSE 0 END) AS stale
      FROM cur JOIN villages_kecamatan k ON k.id = cur.kecamatan_id
      GROUP BY k.kota_id, cur.quality_class
    UNION ALL
    SELECT 'change', p.quality_class, cur.quality_class, COUNT(*), 0, 0, 0, 0, 0, 0
      FROM cur LEFT JOIN {Q} p ON p.site_id = cur.site_id
        AND p.kecamatan_id = cur.kecamatan_id AND p.period = %s
      GROUP BY p.quality_class, cur.quality_class
    UNION ALL
    SELECT 'no_ketua', COUNT(*), NULL, NULL, 0, 0, 0, 0, 0, 0 FROM villages_kampungkb s
      WHERE s.is_active AND NOT EXISTS (
        SELECT 1 FROM activities_pokjamember m WHERE m.site_id = s.id AND m.position = 'ketua'
          AND (m.active_from IS NULL OR m.active_from <= %s)
          AND (m.active_until IS NULL OR m.active_until >= %s))
    """  # noqa: S608 - table names are constants, values are parameters
    return sql, [month, due_deadline(month), today, stale_before(), year_ago, today, today]


def raw_classification(month):
    """The first page of the classification table (50 rows in area order, with the
    names shown) and the number of rows."""
    sql = f"""
    SELECT q.*, s.name, l.name, k.name,
           (SELECT COUNT(*) FROM {Q} c WHERE c.period = %s) AS total
    FROM (SELECT * FROM {Q} WHERE period = %s ORDER BY kecamatan_id, site_id LIMIT 50) q
    JOIN villages_kampungkb s ON s.id = q.site_id
    JOIN villages_kelurahan l ON l.id = s.kelurahan_id
    JOIN villages_kecamatan k ON k.id = l.kecamatan_id
    ORDER BY q.kecamatan_id, q.site_id
    """  # noqa: S608 - table names are constants, values are parameters
    return sql, [month, month]


def raw_comparison(month, site_ids):
    """Six sites over 12 months: class and CPR per month, every sub-score at the end,
    verified activities per family function and poktan, agencies involved."""
    start = add_months(month, -11)
    marks = ", ".join(["%s"] * len(site_ids))
    sql = f"""
    SELECT 'month' AS kind, site_id, period::text AS k, AVG(quality_class) AS a, AVG(cpr_pct) AS b,
           NULL AS c
      FROM {Q} WHERE site_id IN ({marks}) AND period BETWEEN %s AND %s
      GROUP BY site_id, period
    UNION ALL
    SELECT 'end', site_id, NULL, AVG(input_index), AVG(process_index),
           AVG(s_pokja + s_funding + s_poktan + s_facilities + s_companion + s_data_sources
               + s_mechanisms + s_cross_sector + s_participation + s_cpr + s_long_acting
               + s_unmet_need + participation_pct + long_acting_pct + unmet_need_pct)
      FROM {Q} WHERE site_id IN ({marks}) AND period = %s GROUP BY site_id
    UNION ALL
    SELECT 'activities', a.site_id, a.category || '/' || a.poktan, COUNT(*), NULL, NULL
      FROM activities_activity a
      WHERE a.site_id IN ({marks}) AND a.status = 'verified' AND a.date BETWEEN %s AND %s
      GROUP BY a.site_id, a.category, a.poktan
    UNION ALL
    SELECT 'agencies', a.site_id, o.name, COUNT(*), NULL, NULL
      FROM activities_activity a
      JOIN activities_activity_agencies aa ON aa.activity_id = a.id
      JOIN activities_opd o ON o.id = aa.opd_id
      WHERE a.site_id IN ({marks}) AND a.status = 'verified' AND a.date BETWEEN %s AND %s
      GROUP BY a.site_id, o.name
    """  # noqa: S608 - table names are constants, values are parameters
    end = month_end(month)
    params = (
        [*site_ids, start, month]
        + [*site_ids, month]
        + [*site_ids, start, end]
        + [*site_ids, start, end]
    )
    return sql, params


def run(runs=5, stdout=None, explain=False):
    def say(text=""):
        if stdout:
            stdout.write(text)

    month = latest_scored_month()
    if month is None:
        raise RuntimeError("No quality rows: run generate_synthetic or recompute_quality first.")
    site_ids = pick_sites(month)
    client = Client()
    client.force_login(bench_user())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    say(
        f"database={connection.vendor} sites={KampungKB.objects.count()} "
        f"activities={Activity.objects.count()} quality_rows={QualityScore.objects.count()} "
        f"month={month:%Y-%m} runs={runs} load_average={load} debug={settings.DEBUG}"
    )
    urls = pages(month, site_ids)
    # A full export of every site takes seconds to minutes: timed once, not ``runs`` times.
    results = {
        name: time_page(
            client,
            name,
            url,
            1 if name.endswith("xlsx") else runs,
            warm_up=not name.endswith("xlsx"),
        )
        for name, url in urls.items()
    }
    raw = {
        "dashboard": raw_dashboard(month),
        "classification": raw_classification(month),
        "comparison_6": raw_comparison(month, site_ids),
    }
    if connection.vendor != "postgresql":
        # SQLite has no ::text cast.
        raw["comparison_6"] = (
            raw["comparison_6"][0].replace("period::text", "period"),
            raw["comparison_6"][1],
        )
    for name, (sql, params) in raw.items():
        results[name].raw_ms = time_sql(sql, params, runs)
    say(
        f"{'page':<22}{'median ms':>11}{'first ms':>10}{'queries':>9}{'raw SQL ms':>12}"
        f"{'ratio':>8}{'bytes':>12}"
    )
    for r in results.values():
        say(
            f"{r.name:<22}{r.median_ms:>11.1f}{r.first_ms:>10.1f}{r.queries:>9}"
            f"{(f'{r.raw_ms:.1f}' if r.raw_ms else '-'):>12}"
            f"{(f'{r.ratio:.2f}' if r.ratio else '-'):>8}{r.bytes:>12}"
        )
    if explain and connection.vendor == "postgresql":
        slowest = max(raw, key=lambda n: results[n].median_ms)
        sql, params = raw[slowest]
        say(f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest report page's figures ({slowest}):")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            for (line,) in cursor.fetchall():
                say(line)
    ratios = [r.ratio for r in results.values() if r.ratio]
    max_ratio = max(ratios)
    max_queries = max(r.queries for r in results.values())
    say(f"max_ratio={max_ratio:.2f} max_queries={max_queries}")
    return results
