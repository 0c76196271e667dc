"""The monthly report cadence (SIGA practice, DESIGN §6 and §10).

Definitions (the dashboards, the site page and reports all use these):

* **Expected months.** A site is expected to report every month from
  ``max(its declaration month, settings.REPORTING_SINCE)``: no site owes reports from before
  the portal existed. A month in which the site was *inactive* (``KampungKB.is_active`` was
  off at the end of that month, read from the site's audit history) is not expected:
  inactive sites pause the count, so they are neither punished nor hidden.
* **Due date.** A month's report is due on the 3rd of the following month, at the end of
  that day in the portal's time zone (Asia/Jakarta).
* **The month's report** is *at least one activity dated in that month, recorded by the
  site (not by an agency), and submitted* for verification. What counts is its **first**
  submission (``Activity.first_submitted_at``): a report the Dinas later returned still
  arrived on time; a draft never counts.
* **Status per site and month:** ``on_time`` (first submitted by the due date), ``late``
  (first submitted after it), ``missing`` (nothing submitted and the due date has passed),
  ``pending`` (nothing submitted yet, not yet due).

Every function runs a fixed number of queries whatever the number of sites or months.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.models import KampungKB

DUE_DAY = 3
ON_TIME, LATE, MISSING, PENDING = "on_time", "late", "missing", "pending"
STATUS_LABELS = {
    ON_TIME: _("On time"),
    LATE: _("Late"),
    MISSING: _("Missing"),
    PENDING: _("Not yet due"),
}


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def due_date(month: datetime.date) -> datetime.date:
    """The day the report of ``month`` is due: the 3rd of the next month."""
    return add_months(month.replace(day=1), 1).replace(day=DUE_DAY)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def deadline(month: datetime.date) -> datetime.datetime:
    """The first moment *after* the due date (WIB): submitted before it = on time."""
    return _start_of(due_date(month) + datetime.timedelta(days=1))


def open_report_month(today: datetime.date | None = None) -> datetime.date:
    """The month whose report is due next: up to the 3rd, last month's; after it, this
    month's."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    return add_months(month, -1) if today.day <= DUE_DAY else month


def last_due_month(today: datetime.date | None = None) -> datetime.date:
    """The newest month whose due date has passed."""
    return add_months(open_report_month(today), -1)


def first_expected_month(site) -> datetime.date:
    return max(site.declared_on.replace(day=1), settings.REPORTING_SINCE.replace(day=1))


@dataclass(frozen=True)
class MonthReport:
    site_id: int
    month: datetime.date
    status: str
    first_submitted_at: datetime.datetime | None
    activities: int

    @property
    def due(self) -> datetime.date:
        return due_date(self.month)

    @property
    def label(self):
        return STATUS_LABELS[self.status]


def _active_at(sites, moments) -> dict[int, dict[datetime.datetime, bool]]:
    """Whether each site was active at each moment, from its audit history (one query).
    A site with no history row keeps its current flag throughout."""
    HistoricalKampungKB = KampungKB.history.model
    changes = defaultdict(list)
    rows = (
        HistoricalKampungKB.objects.filter(id__in=[s.pk for s in sites])
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_date", "is_active")
    )
    for site_id, at, active in rows:
        changes[site_id].append((at, active))
    result = {}
    for site in sites:
        timeline = changes.get(site.pk)
        flags = {}
        for moment in moments:
            if not timeline:
                flags[moment] = site.is_active
                continue
            state = timeline[0][1]  # before the first row: as created
            for at, active in timeline:
                if at > moment:
                    break
                state = active
            flags[moment] = state
        result[site.pk] = flags
    return result


def month_reports(
    sites, activities, *, first=None, last=None, today=None
) -> dict[int, list[MonthReport]]:
    """``{site_id: [MonthReport, ...]}`` for each expected month between ``first`` and
    ``last`` (default: from the first expected month to the open report month).

    ``sites`` is a list of sites the user may see; ``activities`` the user's scoped
    activity queryset (``Activity.objects.visible_to(user)``). Three queries in all.
    """
    sites = list(sites)
    if not sites:
        return {}
    today = today or timezone.localdate()
    last = (last or open_report_month(today)).replace(day=1)
    starts = {s.pk: first_expected_month(s) for s in sites}
    if first is not None:
        starts = {pk: max(start, first.replace(day=1)) for pk, start in starts.items()}
    window_start = min(starts.values())
    if window_start > last:
        return {s.pk: [] for s in sites}

    rows = (
        activities.filter(
            site_id__in=list(starts),
            date__gte=window_start,
            date__lt=add_months(last, 1),
            recorded_by_opd__isnull=True,
            first_submitted_at__isnull=False,
        )
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("site_id", "month")
        .annotate(first=Min("first_submitted_at"), n=Count("pk"))
    )
    found = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):  # some backends give a datetime
            month = month.date()
        found[(row["site_id"], month)] = (row["first"], row["n"])

    now = timezone.now()
    months = []
    m = window_start
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    # A month is expected when the site was active at its end (or now, for this month).
    month_end = {m: min(now, _start_of(add_months(m, 1))) for m in months}
    active = _active_at(sites, sorted(set(month_end.values())))

    result = {}
    for site in sites:
        reports = []
        for m in months:
            if m < starts[site.pk] or not active[site.pk][month_end[m]]:
                continue
            first_at, n = found.get((site.pk, m), (None, 0))
            if first_at is not None:
                status = ON_TIME if first_at < deadline(m) else LATE
            elif now >= deadline(m):
                status = MISSING
            else:
                status = PENDING
            reports.append(MonthReport(site.pk, m, status, first_at, n))
        result[site.pk] = reports
    return result


def summary(reports: list[MonthReport]) -> dict[str, int]:
    counts = {ON_TIME: 0, LATE: 0, MISSING: 0, PENDING: 0}
    for report in reports:
        counts[report.status] += 1
    return counts
