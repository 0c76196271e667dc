"""Months in URLs (``?bulan=2025-03``) and the month a report shows by default."""

from __future__ import annotations

import datetime

from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import QualityScore
from .sustainability import last_due_month

MONTH_FORMAT = "%Y-%m"


class MonthError(ValueError):
    pass


def parse_month(value: str | None) -> datetime.date | None:
    """``"2025-03"`` → 1 March 2025; ``None``/``""`` → ``None``; anything else raises
    :class:`MonthError` with an Indonesian message."""
    if not value:
        return None
    try:
        month = datetime.datetime.strptime(value.strip(), MONTH_FORMAT).date()
    except ValueError:
        raise MonthError(
            _("“%(value)s” is not a month. Use the form YYYY-MM, e.g. 2025-03.")
            % {"value": value[:20]}
        ) from None
    if month < datetime.date(2016, 1, 1):
        raise MonthError(_("Kampung KB data start in 2016; choose a later month."))
    if month > timezone.localdate():
        raise MonthError(_("The month cannot be in the future."))
    return month


def month_param(month: datetime.date) -> str:
    return month.strftime(MONTH_FORMAT)


def latest_scored_month(at_or_before: datetime.date | None = None) -> datetime.date | None:
    """The newest month with quality rows, at or before ``at_or_before`` (default: the
    newest month whose report deadline has passed). One index lookup."""
    limit = at_or_before or last_due_month()
    return QualityScore.objects.filter(period__lte=limit).aggregate(m=Max("period"))["m"]


def scored_range() -> tuple[datetime.date | None, datetime.date | None]:
    agg = QualityScore.objects.aggregate(first=Min("period"), last=Max("period"))
    return agg["first"], agg["last"]
