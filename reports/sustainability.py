"""Sustainability ("anget-angetan", DESIGN §8) and the monthly report cadence, as pure
functions over months.

* A site is expected to report every month from its *first reporting month*:
  ``max(declaration month, settings.REPORTING_SINCE)`` (the portal has no activity data
  before that month, so older sites are neither punished nor excused for it).
* A month's report is due on the 3rd of the following month (SIGA practice); it counts
  as sent when the first activity of that month that the site recorded was first
  submitted (the definitions live in activities/cadence.py).
* A site is *fading* when it had activity in most months (≥ 7 of 12) of its first year but
  in fewer than half of the last six months (< 3), or in none of the last three. Its first
  year is its first 12 reporting months; the rule applies once that year is over.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from activities import cadence

FIRST_YEAR = 12
MOST_OF_FIRST_YEAR = 7  # "most months" of 12
MASK_BITS = 12
MASK_ALL = (1 << MASK_BITS) - 1
LAST_SIX = 0b111111
LAST_THREE = 0b111


# One month arithmetic for the portal (the report cadence's).
add_months = cadence.add_months


def month_diff(later: datetime.date, earlier: datetime.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def month_start(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    return add_months(month, 1) - datetime.timedelta(days=1)


def months(first: datetime.date, last: datetime.date):
    month = month_start(first)
    while month <= last:
        yield month
        month = add_months(month, 1)


def first_reporting_month(declared_on: datetime.date) -> datetime.date:
    return max(month_start(declared_on), month_start(settings.REPORTING_SINCE))


# --------------------------------------------------------------------------------------
# Monthly report cadence (kept in this one function; see the module docstring)
# --------------------------------------------------------------------------------------
def report_due_date(month: datetime.date) -> datetime.date:
    # One definition of the cadence for the whole portal: activities/cadence.py.
    return cadence.due_date(month)


def report_status(
    month: datetime.date,
    first_submitted_at: datetime.datetime | None,
    today: datetime.date | None = None,
) -> str:
    """``on_time`` / ``late`` / ``missing`` / ``not_due`` for one site's month, from when
    its first activity of that month was submitted (local date, Asia/Jakarta)."""
    due = report_due_date(month)
    if first_submitted_at is not None:
        sent = timezone.localtime(first_submitted_at).date()
        return "on_time" if sent <= due else "late"
    today = today or timezone.localdate()
    return "missing" if today > due else "not_due"


def last_due_month(today: datetime.date | None = None) -> datetime.date:
    """The newest month whose report deadline has passed."""
    return cadence.last_due_month(today)


# --------------------------------------------------------------------------------------
# Fading
# --------------------------------------------------------------------------------------
def next_mask(previous_mask: int, active: bool, month_index: int) -> int:
    """Shift the 12-month activity mask by one month; bits before the first reporting
    month are always 0."""
    mask = ((previous_mask << 1) | int(active)) & MASK_ALL
    if month_index < MASK_BITS:
        mask &= (1 << (month_index + 1)) - 1
    return mask


def first_year_active(previous: int, mask: int, month_index: int) -> int:
    """Active months in the first year: counted from the mask until the year is over,
    then carried forward unchanged."""
    if month_index < FIRST_YEAR:
        return mask.bit_count()
    return previous


def is_fading(month_index: int, first_year_active_months: int, mask: int) -> bool:
    if month_index < FIRST_YEAR:
        return False  # still in its first year: a new site is never "fading"
    if first_year_active_months < MOST_OF_FIRST_YEAR:
        return False
    return (mask & LAST_SIX).bit_count() < 3 or (mask & LAST_THREE) == 0


def continuity(active_months_12: int, month_index: int) -> int:
    """Share of the months observed (the last 12, or fewer for a new site) with a
    verified activity, in whole percent."""
    observed = min(MASK_BITS, month_index + 1)
    return (200 * active_months_12 + observed) // (2 * observed)
