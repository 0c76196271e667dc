"""Dashboard panels of the quality reports (the city dashboard for the Dinas; area
viewers and OPD coordinators see the same panels over the sites they may read; a Pokja
sees its own site's class).

Every figure comes from the monthly :class:`~reports.models.QualityScore` rows of one
month, read through ``QualityScore.objects.visible_to(user)``: a fixed number of
aggregate queries, whatever the number of sites. A user who reads every site takes the
class changes and, when the sites span several cities, the counts per kota from the
per-city monthly summary (:mod:`reports.summary`) instead of aggregating every site's
row.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from activities import cadence
from kampungkb.panels import Panel
from villages.models import KampungKB, Kecamatan, Kota

from . import summary
from .charts import chart
from .models import MonthSummary, QualityScore
from .periods import latest_scored_month, month_param
from .quality import QualityClass
from .sustainability import add_months, report_due_date

LIST_LIMIT = 10
RECORD_MONTHS = 12  # the record shown beside a late or missing report
# The class badges' colours (Bootstrap secondary, info, primary, success).
CLASS_COLORS = ["#6c757d", "#0dcaf0", "#0d6efd", "#198754"]
CHART_MAX_AREAS = 40


def due_deadline(month: datetime.date) -> datetime.datetime:
    """End of the report's due day (Asia/Jakarta), as an aware datetime."""
    return cadence.deadline(month)


def month_rows(user, month):
    """The visible sites' rows of ``month`` (a site deactivated before that month has no
    row for it)."""
    return QualityScore.objects.visible_to(user).filter(period=month)


FLAG_NAMES = ("fading", "missing", "late", "sk_expired", "no_profile", "stale_profile")


def month_summary(scope, month):
    """The month's per-city summary rows (:mod:`reports.summary`) when the user reads
    every site; ``None`` for a scoped user (their rows are few, counted directly) or a
    month without a summary."""
    if not scope.reads_all_sites:
        return None
    rows = list(
        MonthSummary.objects.filter(period=month)
        .order_by()
        .values_list("kota_id", "quality_class", "previous_class", *summary.COUNTS)
    )
    return rows or None


def class_by_area(user, month, summary_rows=None):
    """Sites per class per kecamatan (per kota when the visible sites span several
    cities) and the month's flag counts: ``(level, rows, totals, flags)``.

    With the per-city summary (a user who reads every site): several cities are counted
    from it, a single city by kecamatan from its rows (a city's rows are few). Otherwise
    grouped in the database by kota first, then by kecamatan when a single city is
    visible. The same number of queries either way."""
    rows = month_rows(user, month)
    flags = dict.fromkeys(("sites", *FLAG_NAMES), 0)
    aggregates = {**flag_aggregates(month), **dated_flag_aggregates()}

    def by(field, with_flags=True):
        names = FLAG_NAMES if with_flags else ()
        grouped = list(
            rows.values(field, "quality_class")
            .annotate(n=Count("pk"), **(aggregates if with_flags else {}))
            .values_list(field, "quality_class", "n", *names)
            .order_by()
        )
        for row in grouped:
            flags["sites"] += row[2] if with_flags else 0
            for i, name in enumerate(names):
                flags[name] += row[3 + i]
        return [row[:3] for row in grouped]

    if summary_rows is not None:
        several = len({row[0] for row in summary_rows}) > 1
        if several:
            grouped = [(kota, klass, n) for kota, klass, _before, n, *_rest in summary_rows]
            for row in summary_rows:
                for name, n in zip(summary.COUNTS, row[3:], strict=True):
                    flags[name] += n
            # The flags that depend on today's date are counted from the month's rows (an
            # index-only scan of the month).
            flags.update(rows.aggregate(**dated_flag_aggregates()))
        else:
            grouped = by("kecamatan_id")
    else:
        grouped = by("kecamatan__kota_id")
        several = len({row[0] for row in grouped}) > 1
        if not several:
            grouped = by("kecamatan_id", with_flags=False)  # flags counted by kota above
    model = Kota if several else Kecamatan
    counts: dict[int, dict[int, int]] = {}
    for area_id, klass, n in grouped:
        per_area = counts.setdefault(area_id, {})
        per_area[klass] = per_area.get(klass, 0) + n
    areas = model.objects.filter(pk__in=list(counts)).order_by("code").values_list("pk", "name")
    table = []
    for pk, name in areas:
        per_class = [counts[pk].get(c, 0) for c in QualityClass.values]
        table.append({"pk": pk, "name": name, "counts": per_class, "total": sum(per_class)})
    totals = [sum(r["counts"][i] for r in table) for i in range(len(QualityClass.values))]
    return ("kota" if several else "kecamatan"), table, totals, flags


def class_changes(user, month, summary_rows=None):
    """Class 12 months before vs now: a 4×4 matrix (plus sites without a row a year ago)
    and how many rose, stayed, fell. From the per-city summary when given, else the
    month's visible rows joined to the same sites' rows a year earlier (an index-only
    self-join; kecamatan is part of the key because a site that moved has its whole
    history recomputed)."""
    year_ago = add_months(month, -12)
    if summary_rows is not None:
        rows = [(before, now, n) for _kota, now, before, n, *_rest in summary_rows]
    else:
        rows = _class_change_rows(user, month, year_ago)
    classes = QualityClass.values
    matrix = {b: dict.fromkeys(classes, 0) for b in [*classes, None]}
    up = same = down = new = 0
    for before, now, n in rows:
        matrix[before][now] += n
        if before is None:
            new += n
        elif now > before:
            up += n
        elif now < before:
            down += n
        else:
            same += n
    return {
        "year_ago": year_ago,
        "matrix": [
            {
                "before": b,
                "label": QualityClass(b).label if b else None,
                "counts": list(matrix[b].values()),
            }
            for b in [*classes, None]
        ],
        "up": up,
        "same": same,
        "down": down,
        "new": new,
    }


def _class_change_rows(user, month, year_ago):
    current_sql, params = (
        month_rows(user, month)
        .order_by()
        .values_list("site_id", "kecamatan_id", "quality_class")
        .query.sql_with_params()
    )
    table = connection.ops.quote_name(QualityScore._meta.db_table)
    sql = (
        'SELECT "before"."quality_class", "now"."quality_class", COUNT(*) '  # noqa: S608
        f'FROM ({current_sql}) "now" LEFT JOIN {table} "before" '
        'ON "before"."site_id" = "now"."site_id" '
        'AND "before"."kecamatan_id" = "now"."kecamatan_id" AND "before"."period" = %s '
        'GROUP BY "before"."quality_class", "now"."quality_class"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, year_ago))
        return cursor.fetchall()


def stale_before():
    """A profile recorded for a month before this one is more than a year old."""
    return add_months(timezone.localdate().replace(day=1), -12)


def flag_aggregates(month):
    """Fading sites, late/missing reports of ``month`` and sites without a profile (the
    counts the per-city summary keeps), as aggregates."""
    return {
        "fading": Count("pk", filter=Q(is_fading=True)),
        "missing": Count("pk", filter=Q(report_submitted_at__isnull=True)),
        "late": Count("pk", filter=Q(report_submitted_at__gte=due_deadline(month))),
        "no_profile": Count("pk", filter=Q(profile_period__isnull=True)),
    }


def dated_flag_aggregates():
    """Expired SKs and profiles older than a year: counted against today's date."""
    return {
        "sk_expired": Count("pk", filter=Q(sk_valid_until__lt=timezone.localdate())),
        "stale_profile": Count("pk", filter=Q(profile_period__lt=stale_before())),
    }


def _listed(qs, limit=LIST_LIMIT):
    """The first rows in area order (the index order of a month's rows, so the scan stops
    after ``limit`` matches), then their sites in one query."""
    rows = list(qs.order_by("kecamatan_id", "site_id")[:limit])
    sites = KampungKB.objects.select_related("kelurahan__kecamatan").in_bulk(
        [r.site_id for r in rows]
    )
    for row in rows:
        row.site = sites[row.site_id]
    return rows


def fading_sites(user, month, limit=LIST_LIMIT):
    return _listed(month_rows(user, month).filter(is_fading=True), limit=limit)


def report_problems(user, month, limit=LIST_LIMIT):
    """The first sites late or missing with ``month``'s report, each with its record over
    the last 12 months (``row.record``: missing, late, expected), in two queries."""
    # Missing reports first, then late ones: two scans of the month's index that each stop
    # after ``limit`` rows (always both, so the query count does not depend on the data).
    rows = month_rows(user, month).order_by("kecamatan_id", "site_id")
    missing = list(rows.filter(report_submitted_at__isnull=True)[:limit])
    late = list(rows.filter(report_submitted_at__gte=due_deadline(month))[:limit])
    rows = (missing + late)[:limit]
    sites = KampungKB.objects.select_related("kelurahan__kecamatan").in_bulk(
        [r.site_id for r in rows]
    )
    for row in rows:
        row.site = sites[row.site_id]
    first = add_months(month, -(RECORD_MONTHS - 1))
    history = QualityScore.objects.filter(
        site_id__in=[r.site_id for r in rows], period__gte=first, period__lte=month
    ).values_list("site_id", "period", "report_submitted_at")
    deadlines = {}
    records = {r.site_id: {"missing": 0, "late": 0, "expected": 0} for r in rows}
    for site_id, period, submitted in history:
        record = records[site_id]
        record["expected"] += 1
        if submitted is None:
            record["missing"] += 1
        else:
            deadline = deadlines.setdefault(period, due_deadline(period))
            record["late"] += submitted >= deadline
    for row in rows:
        row.record = records[row.site_id]
    return rows


def stale_sites(user, month, limit=LIST_LIMIT):
    return _listed(
        month_rows(user, month).filter(
            Q(profile_period__isnull=True) | Q(profile_period__lt=stale_before())
        ),
        limit=limit,
    )


def panels(request, scope, **kwargs):
    user = request.user
    if not (scope.reads_all_sites or scope.is_viewer or scope.is_pokja):
        return []
    month = latest_scored_month()
    if scope.is_pokja and not (scope.reads_all_sites or scope.is_viewer):
        return [_pokja_panel(user, month)]
    if month is None:
        return [Panel("reports/panels/no_data.html", {}, order=15)]
    summary_rows = month_summary(scope, month)
    level, areas, totals, flags = class_by_area(user, month, summary_rows)
    flags["on_time"] = flags["sites"] - flags["missing"] - flags["late"]
    labels = [str(label) for label in QualityClass.labels]
    if len(areas) <= CHART_MAX_AREAS:
        class_chart = chart(
            "bar",
            [a["name"] for a in areas],
            [
                {"label": labels[i], "data": [a["counts"][i] for a in areas]}
                for i in range(len(labels))
            ],
            stacked=True,
        )
    else:
        class_chart = chart("bar", labels, [{"label": "", "data": totals}])
    common = {"month": month, "month_param": month_param(month)}
    link = reverse("reports:classification")
    area_field = "kota" if level == "kota" else "kecamatan"
    areas_html = format_html_join(
        "\n",
        '<tr><th scope="row" class="fw-normal"><a href="{}?{}={}&amp;bulan={}">{}</a></th>{}'
        '<td class="text-end">{}</td></tr>',
        (
            (
                link,
                area_field,
                a["pk"],
                month_param(month),
                a["name"],
                format_html_join("", '<td class="text-end">{}</td>', ((n,) for n in a["counts"])),
                a["total"],
            )
            for a in areas
        ),
    )
    # The Pokja without a ketua or with an expired SK are the activities app's panel
    # (activities/dashboard.py); the stale profiles are listed here, each problem once.
    return [
        # DESIGN §8: the city dashboard lists fading sites first.
        Panel(
            "reports/panels/fading.html",
            {
                **common,
                "count": flags["fading"],
                "rows": fading_sites(user, month),
                "limit": LIST_LIMIT,
            },
            order=5,
        ),
        Panel(
            "reports/panels/classes.html",
            {
                **common,
                "level": level,
                "areas": areas,
                "areas_html": areas_html,
                "totals": totals,
                "total": sum(totals),
                "labels": labels,
                "chart": class_chart,
                "changes": class_changes(user, month, summary_rows),
            },
            order=15,
        ),
        # The monthly report cadence (activities/cadence.py) read from the monthly rows, so
        # the panel costs the same at 54 and at 83,000 sites.
        Panel(
            "reports/panels/reports_due.html",
            {
                **common,
                "flags": flags,
                "due": report_due_date(month),
                "rows": report_problems(user, month),
                "limit": LIST_LIMIT,
                "record_months": RECORD_MONTHS,
            },
            order=12,
        ),
        Panel(
            "reports/panels/freshness.html",
            {
                **common,
                "flags": flags,
                # Counted above: none to list means no scan of the month for them.
                "rows": (
                    stale_sites(user, month) if flags["no_profile"] + flags["stale_profile"] else []
                ),
                "limit": LIST_LIMIT,
                "today": timezone.localdate(),
                "stale_before": stale_before(),
            },
            order=17,
        ),
    ]


def _pokja_panel(user, month):
    rows = (
        list(
            QualityScore.objects.visible_to(user)
            .filter(period=month)
            .select_related("site")
            .only("site_id", "quality_class", "site__name")  # what the panel shows, of 50
            .order_by("site__name")
        )
        if month
        else []
    )
    return Panel(
        "reports/panels/pokja_class.html",
        {"rows": rows, "month": month, "classification_url": reverse("reports:classification")},
        order=25,
    )
