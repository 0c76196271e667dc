"""Keep the monthly quality rows current when their inputs change.

* A snapshot saved or deleted: only the months where it is (or was) the current one,
  from its month up to the month before the next snapshot of the same kind.
* An activity verified, reopened, moved, submitted or deleted (or its agencies changed
  while verified): its site from the activity's month on (the activity counts in the
  12-month cross-sector window and in the fading rule of every later month).
* A site's declaration date, kelurahan or active flag changed: its whole history (a
  deactivated site keeps its past rows and has none from the current month on).
* The per-city monthly summary (:mod:`reports.summary`) follows the rows: the recompute
  rebuilds it; rows deleted here (a site deactivated, re-dated or deleted) and a
  kecamatan moved to another city rebuild their cities' summary after commit.

Recomputes are queued once per site after the transaction commits (``on_commit``), so a
request that saves several things recomputes each site once, and a worker does it
(``reports.tasks``): the request does not wait for it. With the broker down the request
does it itself, as before (slower, nothing lost). Work left pending by a rolled-back
transaction is dropped by the next transaction that schedules any (a recompute only ever
rebuilds rows from what is in the database, so it would be harmless but wasted).
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_init,
    post_save,
    pre_delete,
)
from django.utils import timezone

from activities.models import Activity
from kampungkb import derived
from kampungkb.background import enqueue_or_run
from villages.models import (
    KampungKB,
    Kecamatan,
    KKBPKSnapshot,
    PopulationSnapshot,
    ProfileSnapshot,
)

from . import summary
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
    """Queue the site's recompute (a worker runs it; without a broker it runs here)."""
    from .tasks import recompute_site

    current = timezone.localdate().replace(day=1)
    # Merge the ranges: an open range (None) reaches the current month.
    first = min(r[0] for r in ranges)
    last = max((r[1] or current) for r in ranges)
    # Up to the current month: left open, so a task run after a month's end includes it.
    enqueue_or_run(
        recompute_site, site_id, first.isoformat(), None if last >= current else last.isoformat()
    )


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
    if _report_already_in(old, new, instance):
        return
    for state in {old, new}:
        if state and _counts(state):
            schedule(state[0], state[1])


def _report_already_in(old, new, instance) -> bool:
    """A draft submitted in a month whose report is already in changes nothing in the
    rows: only verified activities are counted, and the month's report time is its
    *first* submission. The common case of a Pokja logging its activities (one indexed
    lookup instead of recomputing the site from that month on)."""
    from .models import QualityScore

    return (
        old is not None
        and not _counts(old)
        and new[2] == Activity.Status.SUBMITTED
        and instance.first_submitted_at is not None
        and QualityScore.objects.filter(
            site_id=instance.site_id,
            period=month_start(instance.date),
            report_submitted_at__lte=instance.first_submitted_at,
        ).exists()
    )


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
    _delete_rows(QualityScore.objects.filter(site=instance, period__lt=start))
    if instance.is_active:
        schedule(instance.pk, start)
    else:
        # Inactive: its history stays as it was; it has no row from this month on.
        current = timezone.localdate().replace(day=1)
        _delete_rows(QualityScore.objects.filter(site=instance, period__gte=current))


def _row_kotas(rows) -> set[int]:
    return summary.kotas_of_kecamatan(rows.order_by().values_list("kecamatan_id", flat=True))


def _delete_rows(rows) -> None:
    """Delete quality rows; their cities' summary is rebuilt after commit."""
    kotas = _row_kotas(rows)
    if kotas:
        rows.delete()
        summary.rebuild_on_commit(kotas)


def _site_deleting(sender, instance, **kwargs):
    if not derived.is_paused():
        from .models import QualityScore

        instance._reports_kotas = _row_kotas(QualityScore.objects.filter(site=instance))


def _site_deleted(sender, instance, **kwargs):
    # Its rows went with it (CASCADE).
    summary.rebuild_on_commit(getattr(instance, "_reports_kotas", ()))


def _remember_kota(sender, instance, **kwargs):
    instance._reports_kota = instance.__dict__.get("kota_id")


def _kecamatan_saved(sender, instance, created=False, **kwargs):
    old, instance._reports_kota = getattr(instance, "_reports_kota", None), instance.kota_id
    if not (created or derived.is_paused() or old == instance.kota_id):
        summary.rebuild_on_commit({old, instance.kota_id})


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
    pre_delete.connect(_site_deleting, sender=KampungKB, dispatch_uid="reports-site-deleting")
    post_delete.connect(_site_deleted, sender=KampungKB, dispatch_uid="reports-site-deleted")
    post_init.connect(_remember_kota, sender=Kecamatan, dispatch_uid="reports-kecamatan-init")
    post_save.connect(_kecamatan_saved, sender=Kecamatan, dispatch_uid="reports-kecamatan-save")
