"""End to end with a real Celery worker: a separate ``celery -A kampungkb worker`` process
against the machine's Redis (127.0.0.1:6379, db 5) and the test database.

The worker is another process, so it must see what the test wrote: the data is committed
(a transactional test) and the worker connects to the same test database. An in-memory
SQLite test database cannot be shared with another process, so these tests run on
PostgreSQL (CI's second run) and skip on SQLite, as they skip on a machine where no Redis
answers (like the browser tests without Chromium).
"""

import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from kampungkb.celery import app as celery_app
from kampungkb.masterdata import ensure_master_data
from kampungkb.models import Notification
from kampungkb.settings.base import BASE_DIR
from reports.models import QualityScore

from . import factories as f

# Committed data (the worker reads it); the master data the migrations loaded is put back
# after the flush, for the tests that follow.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 5
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
D = datetime.date


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis(REDIS_HOST, REDIS_PORT, socket_connect_timeout=1).ping())
    except Exception:
        return False


def database_url(settings_dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def wait_for(predicate, timeout=90, what="condition", log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tail = log.read_text()[-6000:] if log and log.exists() else ""
    pytest.fail(f"{what} not reached in {timeout} s. Worker log:\n{tail}")


@pytest.fixture(autouse=True)
def _master_data(transactional_db):
    """Tangsel's regions and agencies, as `migrate` loads them. In the full PostgreSQL run
    of 3 December 2026 these tests found them missing at setup (Kota.DoesNotExist), after the
    browser tests' flushes, though their serialized rollback should have restored them; not
    reproduced with those tests alone. Loading them here is idempotent."""
    ensure_master_data()


@pytest.fixture
def worker(settings, tmp_path):
    """A worker process consuming a queue of its own (no other test or helper's worker
    takes these tasks), and this process sending to it instead of running tasks eagerly."""
    # CI sets REQUIRE_WORKER_TESTS for its PostgreSQL run: there a skip is a failure.
    skip = pytest.fail if os.environ.get("REQUIRE_WORKER_TESTS") else pytest.skip
    if not redis_answers():
        skip(f"no Redis answers at {REDIS_HOST}:{REDIS_PORT} (start redis-server)")
    if connection.vendor != "postgresql":
        skip(
            "the worker process cannot see the in-memory SQLite test database: "
            "run with DATABASE_URL=postgres://..."
        )
    queue = f"kkb-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kampungkb.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_QUEUE": queue,  # also where the worker's own tasks (e-mail) go
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "INFO",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kampungkb", "worker",
             "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
             "--without-mingle", "--hostname", f"{queue}@%h"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.task_default_queue
    conf.broker_url, conf.task_always_eager, conf.task_default_queue = BROKER_URL, False, queue
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield {"process": process, "log": log, "queue": queue}
    finally:
        conf.broker_url, conf.task_always_eager, conf.task_default_queue = saved
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        process.terminate()  # warm shutdown
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        import redis

        redis.Redis(REDIS_HOST, REDIS_PORT, db=REDIS_DB).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


def test_a_job_started_on_the_web_is_run_by_the_worker_and_followed_to_done(
    worker, client_for, dinas, site_a
):
    client = client_for(dinas)
    response = client.post(reverse("jobs:recompute"), {"first": "2024-01", "last": "2024-03"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    # Sent to the worker, not run here: the request returned before the work was done
    # (the worker needs seconds to start).
    assert job.state in (Job.State.QUEUED, Job.State.RUNNING)
    url = reverse("jobs:detail", args=[job.pk])
    htmx = {"HX-Request": "true"}
    wait_for(
        lambda: "hx-trigger" not in client.get(url, headers=htmx).content.decode(),
        what="the job page to stop polling",
        log=worker["log"],
    )
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.DONE, 3, 3), job.error
    assert job.summary == {"months": 3, "rows": 3}
    assert job.started_at and job.finished_at
    assert QualityScore.objects.filter(site=site_a, period=D(2024, 3, 1)).exists()
    assert "reports.tasks.recompute_months_job" in worker["log"].read_text()
    # The owner is told in the inbox (just after the state is written: waited for), and
    # the e-mail is sent by the worker's mail task.
    wait_for(
        lambda: Notification.objects.filter(recipient=dinas).exists(),
        what="the notification",
        log=worker["log"],
    )
    note = Notification.objects.get(recipient=dinas)
    assert note.link == url and "Tugas selesai" in note.subject
    wait_for(
        lambda: "Tugas selesai: Hitung ulang kualitas" in worker["log"].read_text(),
        what="the notification e-mail (console backend)",
        log=worker["log"],
    )


def test_a_verified_activity_is_recomputed_by_the_worker(worker, site_a):
    month = timezone.localdate().replace(day=1)
    activity = f.ActivityFactory(site=site_a, date=month, status="submitted")
    activity.status = "verified"
    activity.save()  # autocommit: the recompute is queued at once

    def counted():
        row = QualityScore.objects.filter(site=site_a, period=month).first()
        return row is not None and row.activity_count == 1

    wait_for(counted, what="the worker's recompute of the site", log=worker["log"])
    assert "reports.tasks.recompute_site" in worker["log"].read_text()


def test_the_daily_reminders_run_in_the_worker_once(worker, site_a, opd_x, opd_x_agency):
    from activities.models import Usulan
    from kampungkb.tasks import send_reminders

    f.UsulanFactory(
        site=site_a,
        opd=opd_x_agency,
        status=Usulan.Status.SUBMITTED,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    send_reminders.delay()
    send_reminders.delay()  # a second run (or a second worker): nothing twice

    def both_ran():
        return worker["log"].read_text().count("kampungkb.tasks.send_reminders[") >= 4

    wait_for(both_ran, what="two reminder runs (received and succeeded)", log=worker["log"])
    wait_for(
        lambda: "Usulan menunggu jawaban Anda" in worker["log"].read_text(),
        what="the reminder e-mail",
        log=worker["log"],
    )
    assert Notification.objects.filter(recipient=opd_x).count() == 1
    assert worker["log"].read_text().count("Usulan menunggu jawaban Anda") == 1


def test_a_large_download_is_written_by_the_worker_as_the_stream_would_send_it(
    worker, client_for, settings, pokja_a, site_a, site_b
):
    f.ActivityFactory.create_batch(7, site=site_a, status="verified")
    f.ActivityFactory.create_batch(3, site=site_b, status="verified")  # another Pokja's
    client = client_for(pokja_a)
    url = reverse("reports:activities-export", args=["csv"]) + "?status=verified"
    streamed = b"".join(client.get(url).streaming_content)
    settings.EXPORT_JOB_THRESHOLD_ROWS = 6
    response = client.get(url)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.kind == Job.Kind.EXPORT
    wait_for(lambda: Job.objects.get().is_finished, what="the export job to end", log=worker["log"])
    job.refresh_from_db()
    assert (job.state, job.total, job.done) == (Job.State.DONE, 7, 7), job.error
    assert "reports.tasks.export_job" in worker["log"].read_text()
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert b"".join(download.streaming_content) == streamed
    assert streamed.count(b"\n") == 8  # the header and the Pokja's own 7 activities


# --- Two web processes and one worker (issue 20, item 7) --------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client (no redirects followed) for a web process."""

    def __init__(self, cookies):
        self.cookies = dict(cookies)

    def request(self, url, data=None, headers=None):
        body = urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310 (http://127.0.0.1 only)
        req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(req, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers, response.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def two_web_processes(worker, settings, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kampungkb.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_QUEUE": worker["queue"],
        "CACHE_URL": "redis://127.0.0.1:6379/6",  # one cache for every process
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),  # shared storage
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    processes, urls = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = open(tmp_path / f"web-{name}.log", "wb")  # noqa: SIM115 (closed below)
            processes.append(
                (
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "gunicorn",
                            "kampungkb.wsgi",
                            "--workers",
                            "1",
                            "--bind",
                            f"127.0.0.1:{port}",
                        ],
                        cwd=BASE_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),  # fmt: skip
                    log,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_for(lambda u=url: _answers(u), what=f"gunicorn at {url}", timeout=60)
        yield urls
    finally:
        for process, log in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            log.close()


def _answers(url) -> bool:
    try:
        with urllib.request.urlopen(url + reverse("login"), timeout=5) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def test_a_job_started_on_one_web_process_is_followed_and_downloaded_on_another(
    two_web_processes, worker, dinas, site_a, client
):
    web_a, web_b = two_web_processes
    client.force_login(dinas)  # a session in the database, valid on every process
    browser = Browser({"sessionid": client.cookies["sessionid"].value})
    status, _, page = browser.request(web_a + reverse("jobs:recompute"))
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, headers, _ = browser.request(
        web_a + reverse("jobs:recompute"),
        {"csrfmiddlewaretoken": token, "first": "2024-01", "last": "2024-02"},
    )
    assert status == 302, status
    job_url = headers["Location"]
    assert job_url == Job.objects.get().get_absolute_url()

    def finished_on_b():
        status, _, body = browser.request(web_b + job_url, headers={"HX-Request": "true"})
        return status == 200 and b"hx-trigger" not in body

    wait_for(finished_on_b, what="the job to finish, seen from web process B", log=worker["log"])
    status, _, body = browser.request(web_b + job_url)
    assert status == 200 and b"Selesai" in body
    status, headers, content = browser.request(
        web_b + reverse("jobs:download", args=[Job.objects.get().pk])
    )
    assert status == 200 and headers["Cache-Control"] == "private, no-store"
    assert content.decode().splitlines() == ["bulan;baris", "2024-01;1", "2024-02;1"]


def test_an_import_is_checked_and_saved_by_the_worker(worker, client_for, pokja_a, site_a):
    from activities.models import Activity, ImportBatch
    from activities.tasks import upload_path
    from kampungkb.storage import private_storage

    from .test_imports import ACT, act_row

    client = client_for(pokja_a)
    rows = [ACT] + [act_row(site_a, f"Kegiatan {i}") for i in range(5)]
    response = client.post(
        reverse("coordination:import"),
        {"kind": "activities", "file": f.xlsx_upload(rows, name="kegiatan.xlsx")},
    )
    check = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == check.get_absolute_url()
    htmx = {"HX-Request": "true"}

    def finished(job):
        return "hx-trigger" not in client.get(job.get_absolute_url(), headers=htmx).content.decode()

    wait_for(lambda: finished(check), what="the check job to end", log=worker["log"])
    check.refresh_from_db()
    assert (check.state, check.done, check.total) == (Job.State.DONE, 5, 5), check.error
    assert not private_storage().exists(upload_path(check.pk))  # read by the worker, dropped
    assert not Activity.objects.exists()
    batch = ImportBatch.objects.get(pk=check.summary["batch"])
    assert "Simpan 5 baris" in client.get(check.get_absolute_url()).content.decode()

    response = client.post(reverse("coordination:import-commit", args=[batch.pk]))
    save = Job.objects.exclude(pk=check.pk).get()
    assert response["Location"] == save.get_absolute_url()
    wait_for(lambda: finished(save), what="the save job to end", log=worker["log"])
    save.refresh_from_db()
    assert (save.state, save.summary) == (Job.State.DONE, {"batch": batch.pk, "created": 5})
    assert "5 baris sudah disimpan." in client.get(save.get_absolute_url()).content.decode()
    assert Activity.objects.filter(site=site_a, created_by=pokja_a).count() == 5
    assert worker["log"].read_text().count("activities.import_job[") >= 4  # received, done ×2


def test_an_import_save_killed_midway_is_run_again_from_the_start_never_half_saved(
    worker, client_for, pokja_a, site_a
):
    from activities.models import Activity, ImportBatch

    from .test_imports import ACT, act_row

    client = client_for(pokja_a)
    rows = [ACT] + [act_row(site_a, f"Kegiatan {i}") for i in range(1500)]
    client.post(
        reverse("coordination:import"),
        {"kind": "activities", "file": f.xlsx_upload(rows, name="kegiatan.xlsx")},
    )
    check = Job.objects.get()
    wait_for(
        lambda: Job.objects.filter(pk=check.pk, state=Job.State.DONE).exists(),
        what="the check job to end",
        timeout=180,
        log=worker["log"],
    )
    batch = ImportBatch.objects.get()
    client.post(reverse("coordination:import-commit", args=[batch.pk]))
    save = Job.objects.exclude(pk=check.pk).get()
    # Once the save has reported progress (rows written in its open transaction), the
    # process running it is killed: SIGKILL, no clean-up.
    wait_for(
        lambda: Job.objects.filter(pk=save.pk, done__gt=0).exists(),
        what="the save to be under way",
        timeout=120,
        log=worker["log"],
    )
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker["process"].pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert children, "no pool process to kill"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    assert Activity.objects.count() == 0  # the killed transaction saved nothing
    # Delivered again (task_reject_on_worker_lost) and run from the start to its end.
    wait_for(
        lambda: Job.objects.filter(pk=save.pk).exclude(state__in=Job.UNFINISHED).exists(),
        what="the save job to end after the kill",
        timeout=180,
        log=worker["log"],
    )
    save.refresh_from_db()
    assert save.state == Job.State.DONE, save.error
    assert save.summary == {"batch": batch.pk, "created": 1500}
    assert Activity.objects.count() == 1500
