import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from reports.models import QualityScore
from reports.recompute import recompute, recompute_all
from reports.summary import rebuild as rebuild_summary
from villages.models import KampungKB


def parse_month(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"Month must look like 2025-03, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Recompute the monthly quality rows (classification and sustainability). Without "
        "--month: every month from the earliest reporting month to this one, in order. Run "
        "it daily (cron) with --month of the current month so a new month gets its rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="one month, YYYY-MM (default: every month)")
        parser.add_argument(
            "--site", type=int, action="append", help="only this site id (repeatable)"
        )
        parser.add_argument(
            "--summary",
            action="store_true",
            help="only rebuild the per-city monthly summary of the existing rows",
        )

    def handle(self, *args, month=None, site=None, summary=False, **options):
        if summary:
            if month or site:
                raise CommandError("--summary rebuilds every month of every city, alone.")
            started = time.monotonic()
            written = rebuild_summary()
            self.stdout.write(
                f"{written} summary rows rebuilt in {time.monotonic() - started:.1f} s."
            )
            return
        if site:
            unknown = set(site) - set(
                KampungKB.objects.filter(pk__in=site).values_list("pk", flat=True)
            )
            if unknown:
                raise CommandError(f"Unknown site id(s): {', '.join(map(str, sorted(unknown)))}.")
        started = time.monotonic()
        new_month = True
        if month:
            month = parse_month(month)
            if month > timezone.localdate():
                raise CommandError("The month cannot be in the future.")
            new_month = not QualityScore.objects.filter(period=month).exists()
            rows = recompute(month, month, site_ids=site)
        else:
            rows = recompute_all(
                stdout=self.stdout if options["verbosity"] > 1 else None, site_ids=site
            )
        self.stdout.write(f"{rows} quality rows recomputed in {time.monotonic() - started:.1f} s.")
        if connection.vendor == "postgresql" and new_month:
            # Fresh statistics: a new month is outside the planner's histogram until the
            # next ANALYZE (autovacuum may be off or late), and the dashboard's plans for
            # it would assume one row. A month that already had rows is in the histogram
            # with about the same count, so the daily recompute of the current month skips
            # it: ANALYZE samples 30,000 rows, about a second when the table is cached but
            # 36-83 s at 83,000 sites x 5 years on a VM whose page cache did not hold it.
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(QualityScore._meta.db_table)}")
            elapsed = time.monotonic() - started
            self.stdout.write(f"Planner statistics refreshed in {elapsed:.1f} s.")
