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
        "statement that computes its figures. Last line: max_ratio=<n> max_queries=<n>; "
        "with --export-memory: export_rows_per_s=<n> peak_mb=<n>."
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
            "rows per second and peak memory (last line: export_rows_per_s=<n> peak_mb=<n>)",
        )
        parser.add_argument(
            "--export-query",
            default="",
            help="filters of the activity export for --export-memory, as in the page's URL "
            "(e.g. dari=2026-01-01)",
        )
        parser.add_argument("--activity-export-only", action="store_true", help=argparse_hidden())

    def handle(
        self, *args, runs, explain, export_memory, export_query, activity_export_only, **options
    ):
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        if activity_export_only:
            return self.activity_export(export_query)
        try:
            benchmark.run(runs=runs, stdout=self.stdout, explain=explain)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if export_memory:
            self.measure_export_memory(export_query)

    def activity_export(self, query=""):
        """Child process: stream the XLSX of every activity, print rows/bytes/seconds."""
        from django.http import QueryDict
        from django.test import Client, override_settings

        from activities.models import Activity
        from reports.forms import ActivityReportFilterForm

        user = benchmark.bench_user()
        form = ActivityReportFilterForm(QueryDict(query), user=user)
        if not form.is_valid():
            raise CommandError(f"--export-query: {form.errors.as_text()}")
        rows = form.filter(Activity.objects.visible_to(user)).count()
        client = Client()
        client.force_login(user)
        db_cpu = database_cpu_seconds()
        cpu = time.process_time()
        started = time.perf_counter()
        url = reverse("reports:activities-export", args=["xlsx"])
        # The download streamed (the writer is measured), not started as an export job.
        with override_settings(EXPORT_JOB_THRESHOLD_ROWS=rows):
            response = client.get(f"{url}?{query}" if query else url)
        if response.status_code != 200:
            raise CommandError(f"{url}?{query} answered {response.status_code}")
        chunks = iter(response.streaming_content)
        size = len(next(chunks, b""))
        first_byte = time.perf_counter() - started
        size += sum(len(chunk) for chunk in chunks)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        # On a busy machine the wall time says how many others ran too; the CPU seconds
        # of this process and of its database backend say what the export itself costs.
        db_cpu = database_cpu_seconds() - db_cpu if db_cpu is not None else None
        self.stdout.write(
            f"activity_xlsx query={query!r} rows={rows} bytes={size} "
            f"first_byte_s={first_byte:.2f} seconds={seconds:.1f} cpu_s={cpu:.1f} "
            f"db_cpu_s={'-' if db_cpu is None else f'{db_cpu:.1f}'} "
            f"load_average={os.getloadavg()[0]:.1f} peak_rss_mb={own_peak_mb():.0f}"
        )
        self.stdout.write(f"export_rows_per_s={rows / seconds:.0f} peak_mb={own_peak_mb():.0f}")

    def measure_export_memory(self, query=""):
        command = [sys.executable, "manage.py", "benchmark", "--activity-export-only"]
        if query:
            command += ["--export-query", query]
        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            command, cwd=settings.BASE_DIR, env=os.environ.copy(), capture_output=True, text=True
        )
        if result.returncode:
            raise CommandError(result.stderr[-2000:])
        # The child reports its own peak: RUSAGE_CHILDREN's ru_maxrss would include this
        # process's memory at the time of the fork (Linux carries it over the exec), i.e.
        # the dashboard pages measured just before, not the export. Its last line,
        # export_rows_per_s=<n> peak_mb=<n>, is this command's last line.
        self.stdout.write(result.stdout.strip())


def database_cpu_seconds() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs on
    this machine (/proc); else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def own_peak_mb() -> float:
    """This process's peak resident memory in MB: VmHWM (Linux, reset by exec), else
    ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
