"""Keep the monthly quality rows current when their inputs change.

* A snapshot saved or deleted: only the months where it is (or was) the current one,
  from its month up to the month before the next snapshot of the same kind.
* An activity verified, reopened, moved, submitted or deleted (or its agencies changed
  while verified): its site from the activity's month on (the activity counts in the
  12-month cross-sector window and in the fading rule of every later month).
* A site's declaration date, kelurahan or active flag changed: its whole history (a
  deactivated site keeps its past rows and has none from the current month on).

Recomputes run once per site after the transaction commits (``on_commit``), so a request
that saves several things recomputes each site once. Work left pending by a rolled-back
transaction is dropped by the next transaction that schedules any (a recompute only ever
rebuilds rows from what is in the database, so it would be harmless but wasted).
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.utils import timezone

from activities.models import Activity
from kampungkb import derived
from villages.models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot

from .sustainability import add_months, first_reporting_month, month_start

SNAPSHOT_MODELS = (ProfileSnapshot, PopulationSnapshot, KKBPKSnapshot)
ACTIVITY_STATE = ("site_id", "date", "status", "category", "submitted_at")
PENDING_ATTR = "_reports_pending_recompute"


# --------------------------------------------------------------------------------------
# Pending work, flushed once after commit
# --------------------------------------------------------------------------------------
def schedule(site_id: int, first: datetime.date, last: datetime.date | None = None) -> None:
    """Recompute ``site_id``'s months ``first``..``last`` (``None``: up to the current
    month) after the current transaction commits. Every call registers a flush; the first
    flush after a commit does all the pending work, later ones find nothing left."""
    if derived.is_paused():
        return
    first = month_start(first)
    if not connection.in_atomic_block:
        _run(site_id, [(first, last)])
        return
    pending = getattr(connection, PENDING_ATTR, None)
    if pending is None or not _flush_registered():
        # Nothing will flush it: what is pending belonged to a transaction that was rolled
        # back (its on_commit callbacks are gone), and its changes with it.
        pending = {}
        setattr(connection, PENDING_ATTR, pending)
    pending.setdefault(site_id, []).append((first, last))
    transaction.on_commit(_flush)


def _flush_registered() -> bool:
    return any(entry[1] is _flush for entry in connection.run_on_commit)


def _flush():
    pending = getattr(connection, PENDING_ATTR, None) or {}
    setattr(connection, PENDING_ATTR, None)
    for site_id, ranges in pending.items():
        _run(site_id, ranges)


def _run(site_id, ranges):
    from .recompute import recompute

    current = timezone.localdate().replace(day=1)
    # Merge the ranges: an open range (None) reaches the current month.
    first = min(r[0] for r in ranges)
    last = max((r[1] or current) for r in ranges)
    recompute(first, min(last, current), site_ids=[site_id])


# --------------------------------------------------------------------------------------
# Snapshots
# --------------------------------------------------------------------------------------
def _loaded(instance, fields):
    """The fields' values as loaded, without touching deferred fields (a query each)."""
    return tuple(instance.__dict__.get(f) for f in fields)


def _remember_period(sender, instance, **kwargs):
    instance._reports_old_period = instance.__dict__.get("period")


def _snapshot_changed(sender, instance, **kwargs):
    periods = {
        month_start(p)
        for p in (instance.period, getattr(instance, "_reports_old_period", None))
        if p
    }
    if not periods or not instance.site_id:
        return
    first = min(periods)
    following = (
        sender.objects.filter(site_id=instance.site_id, period__gt=max(periods))
        .order_by("period")
        .values_list("period", flat=True)
        .first()
    )
    schedule(instance.site_id, first, add_months(following, -1) if following else None)
    instance._reports_old_period = instance.period


# --------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------
def _remember_activity(sender, instance, **kwargs):
    instance._reports_state = _loaded(instance, ACTIVITY_STATE)


def _counts(state) -> bool:
    """Whether an activity in this state shows in the rows (verified, or submitted:
    the report cadence)."""
    site_id, day, status, _category, submitted_at = state
    return bool(site_id and day) and (
        status == Activity.Status.VERIFIED or submitted_at is not None
    )


def _activity_saved(sender, instance, created=False, **kwargs):
    old = getattr(instance, "_reports_state", None)
    new = tuple(getattr(instance, f) for f in ACTIVITY_STATE)
    instance._reports_state = new
    if not created and old == new:
        return
    for state in {old, new}:
        if state and _counts(state):
            schedule(state[0], state[1])


def _activity_deleted(sender, instance, **kwargs):
    state = tuple(getattr(instance, f) for f in ACTIVITY_STATE)
    if _counts(state):
        schedule(state[0], state[1])


def _agencies_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        if instance.status == Activity.Status.VERIFIED:
            schedule(instance.site_id, instance.date)
        return
    activities = Activity.objects.filter(status=Activity.Status.VERIFIED)
    if pk_set is not None:
        activities = activities.filter(pk__in=pk_set)
    else:
        activities = activities.filter(agencies=instance)
    for site_id, day in activities.values_list("site_id", "date"):
        schedule(site_id, day)


# --------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------
SITE_STATE = ("declared_on", "is_active", "kelurahan_id")


def _remember_site(sender, instance, **kwargs):
    instance._reports_state = _loaded(instance, SITE_STATE)


def _site_saved(sender, instance, created=False, **kwargs):
    if derived.is_paused():
        return
    old = getattr(instance, "_reports_state", None)
    new = tuple(getattr(instance, f) for f in SITE_STATE)
    instance._reports_state = new
    if created or old == new or not instance.declared_on:
        return
    from .models import QualityScore

    start = first_reporting_month(instance.declared_on)
    QualityScore.objects.filter(site=instance, period__lt=start).delete()
    if instance.is_active:
        schedule(instance.pk, start)
    else:
        # Inactive: its history stays as it was; it has no row from this month on.
        current = timezone.localdate().replace(day=1)
        QualityScore.objects.filter(site=instance, period__gte=current).delete()


def connect():
    for model in SNAPSHOT_MODELS:
        uid = f"reports-{model.__name__}"
        post_init.connect(_remember_period, sender=model, dispatch_uid=f"{uid}-init")
        post_save.connect(_snapshot_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_snapshot_changed, sender=model, dispatch_uid=f"{uid}-delete")
    post_init.connect(_remember_activity, sender=Activity, dispatch_uid="reports-activity-init")
    post_save.connect(_activity_saved, sender=Activity, dispatch_uid="reports-activity-save")
    post_delete.connect(_activity_deleted, sender=Activity, dispatch_uid="reports-activity-del")
    m2m_changed.connect(
        _agencies_changed, sender=Activity.agencies.through, dispatch_uid="reports-agencies"
    )
    post_init.connect(_remember_site, sender=KampungKB, dispatch_uid="reports-site-init")
    post_save.connect(_site_saved, sender=KampungKB, dispatch_uid="reports-site-save")
