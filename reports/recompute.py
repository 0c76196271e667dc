"""Rebuild the monthly :class:`~reports.models.QualityScore` rows.

One entry point, :func:`recompute`, for a month range and (optionally) some sites. It
gathers what the classification reads with a fixed number of set-based queries (no query
per site or per month): the snapshots current in the first month and those recorded
within the range, the verified activities per site and month, the distinct cross-sector
agencies, and the previous month's row (the activity mask and the first-year count are
carried forward month by month). Each site-month is then scored by the pure functions of
:mod:`reports.quality` and :mod:`reports.sustainability`, and the rows of the range are
replaced (``COPY`` on PostgreSQL).

The cross-sector indicator counts the distinct agencies (KB agencies excluded) over the
verified activities of the **12 months ending with the scored month** (not reaching back
before the site's first reporting month), so an agency that came once years ago does not
count forever. Each row keeps those agencies with the month each was last seen
(``recent_agencies``), so a month's recompute reads only that month's activities and the
previous month's row, not a year of activities.
"""

from __future__ import annotations

import bisect
import datetime
import time
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Case, Count, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth
from django.utils import timezone

from activities.models import Activity, FamilyFunction
from villages.models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot

from . import quality, summary, sustainability
from .bulk import insert_rows
from .models import QualityScore
from .sustainability import add_months, first_reporting_month, month_diff, month_end, months

WINDOW_MONTHS = 12
SUBMITTED_STATUSES = (
    Activity.Status.SUBMITTED,
    Activity.Status.RETURNED,
    Activity.Status.VERIFIED,
)

PROFILE_FIELDS = (
    "pokja_exists",
    "members_count",
    "trained_members_count",
    "companion",
    "sk_valid_until",
)


def _ticked(fields):
    """How many of the boolean ``fields`` are true, counted by the database."""
    return sum((Case(When(**{f: True}, then=Value(1)), default=Value(0)) for f in fields), Value(0))


def _done(fields):
    """How many of the frequency ``fields`` are filled in (blank = not done)."""
    return sum((Case(When(**{f: ""}, then=Value(0)), default=Value(1)) for f in fields), Value(0))


# The counts the classification reads, computed in the same query as the snapshot.
PROFILE_COUNTS = {
    "funding_count": lambda: _ticked(ProfileSnapshot.FUNDING_FIELDS),
    "poktan_count": lambda: _ticked(ProfileSnapshot.POKTAN_FIELDS),
    "facility_count": lambda: _ticked(ProfileSnapshot.FACILITY_FIELDS),
    "regulation_count": lambda: _ticked(ProfileSnapshot.REGULATION_FIELDS),
    "data_source_count": lambda: _ticked(ProfileSnapshot.DATA_SOURCE_FIELDS),
    "mechanism_count": lambda: _done(ProfileSnapshot.MECHANISM_FIELDS),
}
POPULATION_FIELDS = (
    "pus",
    "families",
    "adolescents",
    "families_with_toddlers",
    "families_with_adolescents",
    "families_with_elderly",
)
KKBPK_FIELDS = (
    tuple(KKBPKSnapshot.PARTICIPANT_FIELDS.values())
    + KKBPKSnapshot.METHOD_FIELDS
    + ("nonuser_want_child_later", "nonuser_want_no_more")
)

COLUMNS = (
    ("site_id", "kecamatan_id", "period", "month_index")
    + QualityScore.SCORE_FIELDS
    + (
        "pokja_exists",
        "pokja_members",
        "pokja_trained",
        "funding_count",
        "poktan_count",
        "facility_count",
        "has_plkb",
        "has_regulation",
        "data_source_count",
        "mechanism_count",
        "agency_count",
        "participation_pct",
        "cpr_pct",
        "long_acting_pct",
        "unmet_need_pct",
        "input_index",
        "process_index",
        "output_index",
        "quality_class",
        "profile_period",
        "population_period",
        "kkbpk_period",
        "sk_valid_until",
        "activity_count",
        "function_count",
        "month_agency_count",
        "recent_agencies",
        "report_submitted_at",
        "active_mask",
        "active_months_12",
        "first_year_active_months",
        "is_fading",
        "computed_at",
    )
)


def eligible_sites(last: datetime.date, site_ids=None):
    """Active sites declared by the end of ``last`` (inactive sites pause: their earlier
    rows stay, no new ones are made)."""
    qs = KampungKB.objects.filter(is_active=True, declared_on__lte=month_end(last))
    if site_ids is not None:
        qs = qs.filter(pk__in=list(site_ids))
    return qs


def recompute(first: datetime.date, last: datetime.date | None = None, site_ids=None) -> int:
    """Recompute the rows of months ``first``..``last`` (default: the current month) for
    the given sites (default: every eligible site). Returns the number of rows written."""
    first = first.replace(day=1)
    last = (last or timezone.localdate()).replace(day=1)
    if last < first:
        return 0
    with transaction.atomic():
        return _recompute(first, last, site_ids)


def _recompute(first, last, site_ids) -> int:
    sites_qs = eligible_sites(last, site_ids)
    site_first, site_area = {}, {}
    for pk, declared, kecamatan_id in sites_qs.values_list(
        "pk", "declared_on", "kelurahan__kecamatan_id"
    ):
        site_first[pk] = first_reporting_month(declared)
        site_area[pk] = kecamatan_id
    site_first = {pk: f for pk, f in site_first.items() if f <= last}
    written = 0

    # Sites that started before ``first`` continue from their previous month's row; a site
    # without it (history never computed) is rebuilt from its own first month.
    continuing = [pk for pk, f in site_first.items() if f < first]
    previous = {}
    if continuing:
        previous = {
            row["site_id"]: row
            for row in QualityScore.objects.filter(
                site__in=sites_qs, period=add_months(first, -1)
            ).values("site_id", "active_mask", "first_year_active_months", "recent_agencies")
        }
        missing = [pk for pk in continuing if pk not in previous]
        if missing:
            written += _recompute(min(site_first[pk] for pk in missing), last, missing)
            for pk in missing:
                del site_first[pk]
    if not site_first:
        return written

    if site_ids is None and len(site_first) == sites_qs.count():
        scope = sites_qs  # every eligible site: filter by subquery, not a huge id list
    else:
        scope = KampungKB.objects.filter(pk__in=list(site_first))

    profiles = _snapshots(
        ProfileSnapshot,
        PROFILE_FIELDS,
        scope,
        first,
        last,
        annotations={name: build() for name, build in PROFILE_COUNTS.items()},
    )
    populations = _snapshots(PopulationSnapshot, POPULATION_FIELDS, scope, first, last)
    figures = _snapshots(KKBPKSnapshot, KKBPK_FIELDS, scope, first, last)
    stats = _month_stats(scope, first, last)
    agencies = _month_agencies(scope, first, last)

    now = timezone.now()

    def rows():
        for pk, site_start in site_first.items():
            prev = previous.get(pk, {})
            mask = prev.get("active_mask", 0)
            fya = prev.get("first_year_active_months", 0)
            seen = parse_recent_agencies(prev.get("recent_agencies", ""))
            for month in months(max(first, site_start), last):
                index = month_diff(month, site_start)
                if index == 0:
                    mask, fya, seen = 0, 0, {}
                count, functions, submitted = stats.get((pk, month), (0, 0, None))
                mask = sustainability.next_mask(mask, count > 0, index)
                fya = sustainability.first_year_active(fya, mask, index)
                this_month = agencies.get((pk, month), ())
                seen = advance_agencies(seen, this_month, index)
                yield _row(
                    pk,
                    site_area[pk],
                    month,
                    index,
                    _current(profiles.get(pk), month),
                    _current(populations.get(pk), month),
                    _current(figures.get(pk), month),
                    seen,
                    (count, functions, len(this_month), submitted),
                    mask,
                    fya,
                    now,
                )

    replaced = QualityScore.objects.filter(site__in=scope, period__gte=first, period__lte=last)
    # The cities whose summary changes: every city for a whole month, else the cities of
    # the sites' rows before (a site that moved leaves its old city) and after.
    kota_ids = None
    if scope is not sites_qs:
        kota_ids = summary.kotas_of_kecamatan(
            {
                *replaced.order_by().values_list("kecamatan_id", flat=True).distinct(),
                *site_area.values(),
            }
        )
    replaced.delete()
    written += insert_rows(QualityScore, COLUMNS, rows())
    summary.rebuild(summary.affected_periods(first, last), kota_ids)
    return written


# --------------------------------------------------------------------------------------
# Gathering (set-based)
# --------------------------------------------------------------------------------------
def _snapshots(model, fields, sites, first, last, annotations=None):
    """``{site_id: ([period, ...], [values, ...])}``: the snapshot current in ``first`` and
    every snapshot recorded after it up to ``last``, oldest first."""
    values = ("site_id", "period", *fields)
    annotations = annotations or {}
    rows = list(_current_rows(model, values, annotations, sites, first))
    if last > first:
        rows += list(
            model.objects.filter(site__in=sites, period__gt=first, period__lte=last).values(
                *values, **annotations
            )
        )
    rows.sort(key=lambda r: (r["site_id"], r["period"]))
    result: dict[int, tuple[list, list]] = {}
    for row in rows:
        periods, found = result.setdefault(row["site_id"], ([], []))
        periods.append(row["period"])
        found.append(row)
    return result


def _current_rows(model, values, annotations, sites, month):
    """The snapshot current in ``month`` for each site: the newest at or before it."""
    if connection.vendor != "postgresql":
        current = (
            model.objects.filter(site=OuterRef("pk"), period__lte=month)
            .order_by("-period")
            .values("pk")[:1]
        )
        return model.objects.filter(
            pk__in=sites.annotate(snap=Subquery(current)).values("snap")
        ).values(*values, **annotations)
    # PostgreSQL: one backward index probe per site (LATERAL … LIMIT 1). The portable
    # form above evaluates its correlated subquery several times per row there.
    inner_sql, inner_params = _current_inner_sql(model, values, annotations, month)
    sites_sql, sites_params = sites.order_by().values_list("pk").query.sql_with_params()
    # Both parts are compiled by the ORM; every value is a parameter.
    sql = (
        f'SELECT "kkb_current".* FROM ({sites_sql}) AS "kkb_site" ("id") '  # noqa: S608
        f'CROSS JOIN LATERAL ({inner_sql}) AS "kkb_current"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*sites_params, *inner_params))
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# A date no snapshot has: compiled into the cached SQL in place of the month.
_MONTH_PLACEHOLDER = datetime.date(1, 1, 1)
_INNER_SQL: dict[tuple, tuple[str, tuple]] = {}


def _current_inner_sql(model, values, annotations, month):
    """The SQL (and parameters) of the LATERAL part of ``_current_rows``: the newest
    snapshot of ``"kkb_site"."id"`` at or before ``month``. The ORM builds and compiles it
    once per model (with the annotations, that costs more than running it, and the quality
    rows are recomputed after every submission); each call only puts its month in."""
    key = (model, values, tuple(annotations))
    compiled = _INNER_SQL.get(key)
    if compiled is None:
        inner = (
            model.objects.filter(
                site_id=RawSQL('"kkb_site"."id"', []), period__lte=_MONTH_PLACEHOLDER
            )
            .order_by("-period")
            .values(*values, **annotations)[:1]
        )
        compiled = inner.query.sql_with_params()
        if sum(1 for p in compiled[1] if p == _MONTH_PLACEHOLDER) != 1:
            raise AssertionError("the month must be exactly one parameter")
        _INNER_SQL[key] = compiled
    sql, params = compiled
    return sql, tuple(month if p == _MONTH_PLACEHOLDER else p for p in params)


def _current(snapshots, month):
    if not snapshots:
        return None
    periods, values = snapshots
    i = bisect.bisect_right(periods, month)
    return values[i - 1] if i else None


def _month_stats(sites, first, last):
    """``{(site_id, month): (verified activities, family functions, first submission)}``."""
    verified = Q(status=Activity.Status.VERIFIED)
    rows = (
        Activity.objects.filter(
            site__in=sites,
            # Not drafts; an IN list (not "!= draft") lets the (status, date) index serve.
            status__in=SUBMITTED_STATUSES,
            date__gte=first,
            date__lte=month_end(last),
        )
        .annotate(month=TruncMonth("date"))
        .values("site_id", "month")
        .annotate(
            n=Count("pk", filter=verified),
            functions=Count(
                "category", distinct=True, filter=verified & ~Q(category=FamilyFunction.OTHER)
            ),
            # The month's report as activities/cadence.py defines it: the first submission
            # of an activity the site itself recorded (not an agency's).
            submitted=Min("first_submitted_at", filter=Q(recorded_by_opd__isnull=True)),
        )
        .order_by()
    )
    return {
        (r["site_id"], _as_date(r["month"])): (r["n"], r["functions"], r["submitted"]) for r in rows
    }


def _month_agencies(sites, first, last):
    """``{(site_id, month): {opd_id, ...}}``: the cross-sector agencies (KB agencies
    excluded) of each month's verified activities."""
    through = Activity.agencies.through
    found: dict[tuple, set] = defaultdict(set)
    for site_id, month, opd_id in (
        through.objects.filter(
            activity__site__in=sites,
            activity__status=Activity.Status.VERIFIED,
            activity__date__gte=first,
            activity__date__lte=month_end(last),
            opd__is_kb_agency=False,
        )
        .annotate(month=TruncMonth("activity__date"))
        .values_list("activity__site_id", "month", "opd_id")
        .distinct()
        .order_by()
    ):
        found[(site_id, _as_date(month))].add(opd_id)
    return found


def parse_recent_agencies(text: str) -> dict[int, int]:
    """``"12:30,7:29"`` → ``{12: 30, 7: 29}``: agency id → month number it was last seen."""
    if not text:
        return {}
    return {int(o): int(i) for o, i in (pair.split(":") for pair in text.split(","))}


def format_recent_agencies(seen: dict[int, int]) -> str:
    return ",".join(f"{o}:{i}" for o, i in sorted(seen.items()))


def advance_agencies(seen: dict[int, int], month_agencies, index: int) -> dict[int, int]:
    """Add this month's agencies and drop those last seen 12 or more months ago: what
    is left are the distinct agencies of the window (the 12 months ending with this
    one, not before the first reporting month)."""
    seen = {o: i for o, i in seen.items() if i > index - WINDOW_MONTHS}
    for opd_id in month_agencies:
        seen[opd_id] = index
    return seen


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


# --------------------------------------------------------------------------------------
# One row
# --------------------------------------------------------------------------------------
def figures_from(profile, population, kkbpk, agency_count) -> quality.Figures:
    """The classification's figures from the current snapshots (dicts with the counts of
    ``PROFILE_COUNTS``, or ``None``)."""
    if profile is None:
        return quality.Figures(
            agency_count=agency_count, **quality.output_percentages(population, kkbpk)
        )
    return quality.Figures(
        pokja_exists=profile["pokja_exists"],
        pokja_members=profile["members_count"],
        pokja_trained=profile["trained_members_count"],
        funding_count=profile["funding_count"],
        poktan_count=profile["poktan_count"],
        facility_count=profile["facility_count"],
        has_plkb=profile["companion"] == ProfileSnapshot.Companion.PLKB,
        has_regulation=profile["regulation_count"] > 0,
        data_source_count=profile["data_source_count"],
        mechanism_count=profile["mechanism_count"],
        agency_count=agency_count,
        **quality.output_percentages(population, kkbpk),
    )


def _row(pk, area, month, index, profile, population, kkbpk, seen, month_stats, mask, fya, now):
    figures = figures_from(profile, population, kkbpk, len(seen))
    result = quality.score(figures)
    count, functions, month_agencies, submitted = month_stats
    return (
        (pk, area, month, index)
        + tuple(result.scores[i.key] for i in quality.INDICATORS)
        + (
            figures.pokja_exists,
            figures.pokja_members,
            figures.pokja_trained,
            figures.funding_count,
            figures.poktan_count,
            figures.facility_count,
            figures.has_plkb,
            figures.has_regulation,
            figures.data_source_count,
            figures.mechanism_count,
            figures.agency_count,
            figures.participation_pct,
            figures.cpr_pct,
            figures.long_acting_pct,
            figures.unmet_need_pct,
            result.indices[quality.INPUT],
            result.indices[quality.PROCESS],
            result.indices[quality.OUTPUT],
            int(result.quality_class),
            profile["period"] if profile else None,
            population["period"] if population else None,
            kkbpk["period"] if kkbpk else None,
            profile["sk_valid_until"] if profile else None,
            count,
            functions,
            month_agencies,
            format_recent_agencies(seen),
            submitted,
            mask,
            mask.bit_count(),
            fya,
            sustainability.is_fading(index, fya, mask),
            now,
        )
    )


def figures_of(row: QualityScore) -> quality.Figures:
    """The figures stored on a row, for explaining it (next-class advice)."""
    return quality.Figures(**{f: getattr(row, f) for f in quality.Figures.__dataclass_fields__})


def recompute_all(stdout=None, first=None, last=None, site_ids=None) -> int:
    """Every month from the earliest first reporting month to ``last``, in order (each
    month continues from the previous month's row)."""
    last = (last or timezone.localdate()).replace(day=1)
    if first is None:
        declared = (
            eligible_sites(last, site_ids)
            .order_by("declared_on")
            .values_list("declared_on", flat=True)
            .first()
        )
        if declared is None:
            return 0
        first = first_reporting_month(declared)
    total = 0
    for month in months(first, last):
        started = time.monotonic()
        n = recompute(month, month, site_ids)
        total += n
        if stdout:
            stdout.write(f"{month:%Y-%m}: {n} rows in {time.monotonic() - started:.1f} s")
    return total


def recompute_month(month: datetime.date, site_ids=None) -> tuple[int, float | None]:
    """One month's rows (and, for every site, the month's summary of every city): the
    daily run. Returns the rows written and, when the planner's statistics were
    refreshed, the seconds it took (else ``None``)."""
    month = month.replace(day=1)
    new_month = not QualityScore.objects.filter(period=month).exists()
    rows = recompute(month, month, site_ids=site_ids)
    if not new_month:
        return rows, None
    # Fresh statistics: a new month is outside the planner's histogram until the next
    # ANALYZE (autovacuum may be off or late), and the dashboard's plans for it would
    # assume one row. A month that already had rows is in the histogram with about the
    # same count, so the daily recompute of the current month skips it: ANALYZE samples
    # 30,000 rows, about a second when the table is cached but 36-83 s at 83,000 sites x
    # 5 years on a VM whose page cache did not hold it.
    return rows, refresh_statistics()


def refresh_statistics() -> float | None:
    """ANALYZE the quality rows on PostgreSQL; the seconds it took (``None`` elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(QualityScore._meta.db_table)}")
    return time.monotonic() - started
