#!/usr/bin/env python
"""Load test: gunicorn on PostgreSQL with the demo data plus synthetic sites, driven by
Locust (headless, a second process on loopback) for a bounded time.

    make bench                       # or: .venv/bin/python bench/loadtest.py --help
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kampungkb_bench make bench

Steps: create the bench database if needed, migrate, seed the demo, add synthetic sites
and the load-test logins (bench/synthetic.py), start gunicorn (cores + 1 sync workers,
DEBUG off), run Locust (50 Pokja + 10 Dinas users by default, see
bench/locustfile.py), stop gunicorn and print requests per second, p50/p95/p99 latency
per page and errors, for the whole run and for the steady state (after the last login),
and the time spent inside the workers. The last line is
``acknowledged=<n> stored=<n> errors=<n>``: the activities the Pokja users submitted and
the server acknowledged (their ids, collected in BENCH_ACK_FILE by bench/locustfile.py)
vs. those ids found in the database as submitted activities with their photo.

Only loopback addresses are used, and the run stops by itself after ``--duration``.
Not part of ``make test``.
"""

import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kampungkb_bench"
        ),
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8104)))
    parser.add_argument("--pokja", type=int, default=50, help="concurrent Pokja users")
    parser.add_argument("--dinas", type=int, default=10, help="concurrent Dinas users")
    parser.add_argument("--duration", type=int, default=90, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    # cores + 1, not gunicorn's 2 × cores + 1: PostgreSQL and Locust share these cores, and
    # on 2 cores 5 workers only took CPU from each other (submission p95 700 ms with 5
    # workers, 496 with 4, 369-622 with 3 over five runs (median 459), at the same load).
    # Sync workers, not gthread: 3 workers x 4 threads gave a submission p95 of 3.1-3.6 s
    # and 27-30 failed requests where 3 sync workers gave 1.5-1.8 s and none, back to back
    # on the same (slow) VM: threads only interleave CPU-bound requests under the GIL.
    parser.add_argument(
        "--workers",
        type=int,
        default=(os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default: cores + 1)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="keep Locust's CSV files (with the per-second history) and the gunicorn log "
        "in this directory (e.g. bench/out, ignored by git)",
    )
    return parser.parse_args()


def ensure_database(url):
    """Create the bench database when it does not exist (PostgreSQL only)."""
    import psycopg2

    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("The load test runs on PostgreSQL: give a postgres:// URL.")
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def manage(env, *args, capture=False):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout


def django_eval(env, code):
    """Run ``code`` with Django set up on the bench database; returns its last line."""
    out = manage(env, "shell", "-c", code, capture=True)
    return out.strip().splitlines()[-1]


def wait_until_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/masuk/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    sys.exit(f"gunicorn did not answer on {url} within {timeout}s")


def stored_count(env, ack_file, since):
    """Look the acknowledged activity ids (one a line in ``ack_file``) up in the database:
    how many are stored as submitted activities with their photo (bench/synthetic.py,
    ``stored``). Prints what went wrong when that falls short."""
    code = (
        "import json; from pathlib import Path; from django.utils.dateparse import "
        "parse_datetime; from bench.synthetic import stored; "
        f"ids = [int(v) for v in Path({str(ack_file)!r}).read_text().split()]; "
        f"print(json.dumps(stored(ids, parse_datetime({since!r}))))"
    )
    found = json.loads(django_eval(env, code))
    acknowledged = len(ack_file.read_text().split())
    if found["unique_ids"] != acknowledged:
        print(f"   {acknowledged - found['unique_ids']} ids were acknowledged twice")
    if found["rows"] != found["unique_ids"]:
        print(f"   {found['unique_ids'] - found['rows']} acknowledged ids are not in the database")
    if found["stored"] != found["rows"]:
        print(
            f"   {found['rows'] - found['stored']} acknowledged rows are not submitted with a photo"
        )
    if found["unacknowledged"]:
        # Requests still running when Locust stopped: stored, but never answered.
        print(
            f"   {found['unacknowledged']} activities were stored without an acknowledgement "
            "(requests cut off when the run stopped)"
        )
    return found["stored"]


def print_table(stats_csv):
    with open(stats_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = ("requests", 8), ("errors", 6), ("rps", 6), ("p50", 6), ("p95", 6), ("p99", 6)
    wide = max(28, *(len(row["Name"]) for row in rows))
    header = f"{'page':<{wide}} " + " ".join(f"{title:>{width}}" for title, width in columns)
    print(header)
    print("-" * len(header))
    for row in rows:
        name = "TOTAL" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"{name:<{wide}} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    print("(latencies in ms)")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return int(total["Failure Count"])


LOGIN_PAGE = "/masuk/ (login)"


def print_steady_state(request_log):
    """The same table for the requests started after the last login answered: every user
    logs in at the start (PBKDF2, a few hundred ms of CPU each), which queues every other
    page behind the logins for a while. The table above keeps the whole run."""
    rows = []
    for line in request_log.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            rows.append((float(parts[0]), int(parts[1]), parts[2] == "1", parts[3]))
    logins = [start + ms / 1000 for start, ms, _failed, name in rows if name == LOGIN_PAGE]
    if not rows or not logins:
        return
    first, after = min(r[0] for r in rows), max(logins)
    pages = defaultdict(list)
    for start, ms, failed, name in rows:
        if start >= after and name != LOGIN_PAGE:
            pages[name].append((ms, failed))
    end = max(start + ms / 1000 for start, ms, _failed, _name in rows)
    if not pages or end - after < 1:
        print("\n(no steady state: the logins took the whole run)")
        return
    span = end - after
    print(
        f"\nsteady state: requests started after the last login answered "
        f"({after - first:.0f} s into the run; {span:.0f} s)"
    )
    wide = max(28, *(len(n) for n in pages))
    titles = ("requests", 8), ("errors", 6), ("rps", 6), ("p50", 6), ("p95", 6), ("p99", 6)
    print(f"{'page':<{wide}} " + " ".join(f"{title:>{width}}" for title, width in titles))
    every = []
    for name in sorted(pages):
        every += pages[name]
        _print_row(name, pages[name], span, wide)
    _print_row("TOTAL", every, span, wide)
    print("(latencies in ms)")


def _print_row(name, samples, span, wide):
    times = sorted(ms for ms, _failed in samples)
    errors = sum(failed for _ms, failed in samples)
    print(
        f"{name:<{wide}} {len(times):>8} {errors:>6} {len(times) / span:>6.1f} "
        f"{_pct(times, 50):>6} {_pct(times, 95):>6} {_pct(times, 99):>6}"
    )


def _pct(values, p):
    """Nearest-rank percentile of sorted ``values``."""
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def print_server_times(access_log):
    """p50/p95 of the time each request spent inside a gunicorn worker (from the access
    log), per method and path. A page's latency in the table above minus this is time
    spent waiting: for a free worker or, on a busy machine, for a CPU."""
    times = defaultdict(list)
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        method, path, ms = parts
        times[f"{method} {re.sub(r'/[0-9]+/', '/[id]/', path)}"].append(int(ms))
    if not times:
        return
    wide = max(len(k) for k in times)
    print(f"\n{'time inside gunicorn':<{wide}} {'requests':>8} {'p50':>6} {'p95':>6}")
    for key in sorted(times):
        values = sorted(times[key])
        print(f"{key:<{wide}} {len(values):>8} {_pct(values, 50):>6} {_pct(values, 95):>6}")
    print("(ms)")


def main():
    args = parse_args()
    url = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "kampungkb.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
    }
    ensure_database(args.database_url)
    cores, load = os.cpu_count() or 1, os.getloadavg()[0]
    print(f"== machine: {cores} cores, load average {load:.1f} before the run")
    if load > cores / 2:
        print("   (other work is running here: the latencies below include waiting for a CPU)")
    database = urlparse(args.database_url).path.lstrip("/")
    print(f"== preparing {database}: migrate, demo, synthetic sites")
    manage(env, "compiletranslations", capture=True)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo", capture=True)
    config = json.loads(
        django_eval(
            env,
            "import json; from axes.models import AccessAttempt; "
            "AccessAttempt.objects.all().delete(); from bench.synthetic import prepare; "
            f"print(json.dumps(prepare({args.pokja}, {args.dinas})))",
        )
    )
    # Fresh statistics (autovacuum may be off or late): the planner must see the new rows.
    django_eval(
        env,
        "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE'); "
        "print('ok')",
    )
    since = django_eval(env, "from django.utils import timezone; print(timezone.now().isoformat())")
    print(f"   {len(config['sites'])} active sites, {args.pokja} Pokja + {args.dinas} Dinas logins")

    with tempfile.TemporaryDirectory() as tmp:
        users_file, ack_file = Path(tmp) / "users.json", Path(tmp) / "acknowledged.txt"
        users_file.write_text(json.dumps(config))
        print(f"== gunicorn: {args.workers} workers on {url}")
        gunicorn_log = (Path(tmp) / "gunicorn.log").open("w")
        gunicorn = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "kampungkb.wsgi",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{args.port}",
                "--timeout",
                "60",
                "--access-logfile",
                str(Path(tmp) / "access.log"),
                "--access-logformat",
                "%(m)s %(U)s %(M)s",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=gunicorn_log,
        )
        try:
            wait_until_up(url)
            print(
                f"== locust: {args.pokja + args.dinas} users, {args.spawn_rate}/s spawn, "
                f"{args.duration}s"
            )
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.pokja + args.dinas),
                    "-r",
                    str(args.spawn_rate),
                    "-t",
                    f"{args.duration}s",
                    "--host",
                    url,
                    "--csv",
                    str(Path(tmp) / "run"),
                    "--only-summary",
                    "--stop-timeout",
                    "10",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={
                    **env,
                    "BENCH_USERS": str(users_file),
                    "BENCH_ACK_FILE": str(ack_file),
                    "BENCH_FINAL_CSV": str(Path(tmp) / "final"),
                    "BENCH_REQUEST_LOG": str(Path(tmp) / "requests.txt"),
                },
                check=False,
                stdout=subprocess.DEVNULL,
                timeout=args.duration + 120,
            )
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
            gunicorn_log.close()
        print()
        # The final figures (written once every user stopped), else Locust's own CSV.
        prefix = "final" if (Path(tmp) / "final_stats.csv").exists() else "run"
        errors = print_table(Path(tmp) / f"{prefix}_stats.csv")
        failures = Path(tmp) / f"{prefix}_failures.csv"
        if errors and failures.exists():
            print(failures.read_text())
        if (Path(tmp) / "requests.txt").exists():
            print_steady_state(Path(tmp) / "requests.txt")
        if (Path(tmp) / "access.log").exists():
            print_server_times(Path(tmp) / "access.log")
        if not ack_file.exists():
            ack_file.write_text("")
        acknowledged = len(ack_file.read_text().split())
        stored = stored_count(env, ack_file, since)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for path in Path(tmp).iterdir():
                if path.suffix in (".csv", ".log", ".txt"):
                    shutil.copy(path, args.out / path.name)
            print(f"(CSV files and the gunicorn log kept in {args.out})")
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"(load average after the run: {load} (1/5/15 min) on {cores} cores)")
    print(f"acknowledged={acknowledged} stored={stored} errors={errors}")


if __name__ == "__main__":
    main()
