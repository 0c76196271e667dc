import os
import resource
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from reports import benchmark


class Command(BaseCommand):
    help = (
        "Time the report pages against the current database: median server ms over several "
        "runs, SQL queries per page, and each report page's ratio to the one raw SQL "
        "statement that computes its figures. Last line: max_ratio=<n> max_queries=<n>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5, help="timed runs per page")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="print EXPLAIN (ANALYZE, BUFFERS) of the slowest report page's figures",
        )
        parser.add_argument(
            "--export-memory",
            action="store_true",
            help="also download the XLSX of all activities in a child process and print its "
            "peak memory",
        )
        parser.add_argument("--activity-export-only", action="store_true", help=argparse_hidden())

    def handle(self, *args, runs, explain, export_memory, activity_export_only, **options):
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        if activity_export_only:
            return self.activity_export()
        try:
            benchmark.run(runs=runs, stdout=self.stdout, explain=explain)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if export_memory:
            self.measure_export_memory()

    def activity_export(self):
        """Child process: stream the XLSX of every activity, print rows/bytes/seconds."""
        from django.test import Client

        client = Client()
        client.force_login(benchmark.bench_user())
        started = time.perf_counter()
        response = client.get(reverse("reports:activities-export", args=["xlsx"]))
        size = sum(len(chunk) for chunk in response.streaming_content)
        self.stdout.write(f"activity_xlsx bytes={size} seconds={time.perf_counter() - started:.1f}")

    def measure_export_memory(self):
        command = [sys.executable, "manage.py", "benchmark", "--activity-export-only"]
        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            command, cwd=settings.BASE_DIR, env=os.environ.copy(), capture_output=True, text=True
        )
        if result.returncode:
            raise CommandError(result.stderr[-2000:])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.stdout.write(f"{result.stdout.strip()} peak_rss_mb={peak_mb:.0f}")


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
