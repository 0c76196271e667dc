"""Background tasks that keep the derived quality rows current.

Each task recomputes what the database says when it runs (never a delta carried in the
message), so running one twice, or late, gives the same rows; a database error (a
dropped connection, a deadlock with another recompute) is retried with backoff.
"""

import csv
import datetime
import io

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from jobs.services import JobTask

DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,  # 30 s, 60 s, 120 s ... (with jitter)
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**DB_RETRY)
def recompute_site(site_id: int, first: str, last: str | None = None) -> int:
    """Recompute one site's rows from month ``first`` to ``last`` (ISO dates; ``None``:
    up to the current month when the task runs)."""
    from .recompute import recompute

    current = timezone.localdate().replace(day=1)
    end = datetime.date.fromisoformat(last) if last else current
    return recompute(datetime.date.fromisoformat(first), min(end, current), site_ids=[site_id])


@shared_task(**DB_RETRY)
def rebuild_summary(kota_ids: list[int]) -> int:
    """Every month of these cities' summary (a site or kecamatan moved or closed)."""
    from . import summary

    return summary.rebuild(kota_ids=kota_ids)


@shared_task(**DB_RETRY)
def recompute_this_month() -> int:
    """The daily run (beat): every site's row of the current month and the month's
    summary of every city, as ``recompute_quality --month <this month>``."""
    from .recompute import recompute_month

    rows, _analyzed = recompute_month(timezone.localdate().replace(day=1))
    return rows


@shared_task(bind=True, base=JobTask)
def recompute_months_job(self, job) -> dict:
    """A Dinas job (``Job.Kind.RECOMPUTE``): every site's rows from month ``first`` to
    ``last`` (``YYYY-MM``), one month after the other, with progress per month."""
    from .recompute import recompute
    from .sustainability import months

    first = datetime.date.fromisoformat(job.params["first"] + "-01")
    last = datetime.date.fromisoformat(job.params["last"] + "-01")
    todo = list(months(first, min(last, timezone.localdate().replace(day=1))))
    written = []
    self.progress(0, len(todo), force=True)
    for done, month in enumerate(todo, start=1):
        written.append((month, recompute(month, month)))
        self.progress(done, force=True)
    # The record of what was rewritten, month by month (a CSV the Dinas can keep).
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(
        [("bulan", "baris"), *((f"{month:%Y-%m}", n) for month, n in written)]
    )
    self.save_result(
        f"hitung-ulang-{job.params['first']}-{job.params['last']}.csv", out.getvalue().encode()
    )
    return {"months": len(todo), "rows": sum(n for _month, n in written)}


@shared_task(bind=True, base=JobTask)
def export_job(self, job) -> dict:
    """An export job (``Job.Kind.EXPORT``): a download too large to stream in a request
    (reports.downloads), written for its owner to the job's result file, with progress."""
    from .downloads import write_job_file

    return write_job_file(self, job)
