import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.recompute import recompute_all, recompute_month, refresh_statistics
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
        analyzed = None
        if month:
            month = parse_month(month)
            if month > timezone.localdate():
                raise CommandError("The month cannot be in the future.")
            # The same as the daily beat task (reports.tasks.recompute_this_month).
            rows, analyzed = recompute_month(month, site_ids=site)
        else:
            rows = recompute_all(
                stdout=self.stdout if options["verbosity"] > 1 else None, site_ids=site
            )
            analyzed = refresh_statistics()
        elapsed = time.monotonic() - started - (analyzed or 0)
        self.stdout.write(f"{rows} quality rows recomputed in {elapsed:.1f} s.")
        if analyzed is not None:
            self.stdout.write(f"Planner statistics refreshed in {analyzed:.1f} s.")
