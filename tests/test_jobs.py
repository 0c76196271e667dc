"""Background jobs (jobs app) and the tasks that moved off the web request: unit tests,
run eagerly (no broker), plus the broker-down behaviour with a broker URL pointing at a
closed port. The real worker runs in tests/test_celery_worker.py."""

import datetime
import logging
import os

import pytest
from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.core.mail.backends import locmem
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, params_key
from jobs.services import JobAlreadyRunning, JobFailed, JobTask, start_job
from jobs.tasks import delete_old_results
from kampungkb.celery import app as celery_app
from kampungkb.models import Notification
from kampungkb.notifications import notify
from kampungkb.tasks import send_notification_emails
from reports.models import QualityScore
from reports.recompute import recompute_all
from reports.tasks import recompute_site

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date


@shared_task(bind=True, base=JobTask, name="tests.count_job")
def count_job(self, job):
    """A job that counts to params["n"], reporting progress, and writes a file."""
    n = job.params["n"]
    for i in range(1, n + 1):
        self.progress(i, n, force=True)
    self.save_result("angka.csv", "\n".join(map(str, range(1, n + 1))).encode())
    return {"rows": n}


@shared_task(bind=True, base=JobTask, name="tests.refused_job")
def refused_job(self, job):
    raise JobFailed("Berkas bukan XLSX.")


@shared_task(bind=True, base=JobTask, name="tests.broken_job")
def broken_job(self, job):
    raise ZeroDivisionError("internal detail /srv/kampungkb/secret.py line 12")


def run(user, task, params=None, kind=Job.Kind.EXPORT, capture=None):
    with capture(execute=True):
        job = start_job(user, kind, params or {}, task)
    job.refresh_from_db()
    return job


# --- The job's life --------------------------------------------------------------------
def test_a_job_runs_to_done_with_progress_result_and_notification(
    pokja_a, django_capture_on_commit_callbacks
):
    job = run(pokja_a, count_job, {"n": 3}, capture=django_capture_on_commit_callbacks)
    assert job.state == Job.State.DONE
    assert (job.done, job.total, job.summary) == (3, 3, {"rows": 3})
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert job.result_name == "angka.csv"
    # Private storage, never MEDIA_ROOT.
    path = job.result_file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    note = Notification.objects.get(recipient=pokja_a)
    assert note.link == reverse("jobs:detail", args=[job.pk])
    assert [m.to for m in mail.outbox] == [[pokja_a.email]]
    assert "Tugas selesai" in mail.outbox[0].subject


def test_a_refused_job_fails_with_its_message(pokja_a, django_capture_on_commit_callbacks):
    job = run(pokja_a, refused_job, capture=django_capture_on_commit_callbacks)
    assert (job.state, job.error) == (Job.State.FAILED, "Berkas bukan XLSX.")
    note = Notification.objects.get(recipient=pokja_a)
    assert "Tugas gagal" in note.subject and note.body == "Berkas bukan XLSX."


def test_a_crashed_job_fails_with_a_plain_message_and_no_traceback(
    client_for, pokja_a, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.ERROR, logger="jobs.services"):
        job = run(pokja_a, broken_job, capture=django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert "kesalahan" in job.error and "secret.py" not in job.error
    page = client_for(pokja_a).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert job.error in page and "ZeroDivisionError" not in page and "secret.py" not in page
    assert "ZeroDivisionError" in caplog.text  # the maintainer gets it in the log


def test_a_finished_job_delivered_again_does_not_run_again(
    pokja_a, django_capture_on_commit_callbacks
):
    job = run(pokja_a, count_job, {"n": 2}, capture=django_capture_on_commit_callbacks)
    finished = job.finished_at
    count_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.finished_at == finished
    assert Notification.objects.filter(recipient=pokja_a).count() == 1


def test_an_identical_job_is_refused_while_one_is_unfinished(pokja_a, pokja_b):
    first = start_job(pokja_a, Job.Kind.EXPORT, {"n": 1, "m": 2}, count_job)
    with pytest.raises(JobAlreadyRunning) as refused:
        start_job(pokja_a, Job.Kind.EXPORT, {"m": 2, "n": 1}, count_job)  # same, reordered
    assert refused.value.job == first
    assert "sedang berjalan" in str(refused.value)
    # Other parameters, another user: not the same job.
    start_job(pokja_a, Job.Kind.EXPORT, {"n": 2}, count_job)
    start_job(pokja_b, Job.Kind.EXPORT, {"n": 1, "m": 2}, count_job)
    # Once it has ended, it may run again.
    Job.objects.filter(pk=first.pk).update(state=Job.State.DONE)
    start_job(pokja_a, Job.Kind.EXPORT, {"n": 1, "m": 2}, count_job)
    assert Job.objects.count() == 4


def test_a_job_lost_by_the_broker_does_not_block_a_new_start(pokja_a):
    lost = start_job(pokja_a, Job.Kind.EXPORT, {"n": 1}, count_job)
    Job.objects.filter(pk=lost.pk).update(
        state=Job.State.RUNNING, created_at=timezone.now() - datetime.timedelta(hours=6)
    )
    again = start_job(pokja_a, Job.Kind.EXPORT, {"n": 1}, count_job)
    lost.refresh_from_db()
    assert lost.state == Job.State.FAILED and "hilang" in lost.error
    assert again.state == Job.State.QUEUED


# --- Pages ------------------------------------------------------------------------------
def finished_job(owner, name="hasil.csv", content=b"a;b\n1;2\n", **fields):
    job = Job.objects.create(owner=owner, kind=Job.Kind.EXPORT, state=Job.State.DONE, **fields)
    job.result_file.save(name, ContentFile(content))
    job.result_name = name
    job.finished_at = timezone.now()
    job.save()
    return job


def test_the_job_page_polls_while_running_and_stops_when_finished(client_for, pokja_a):
    job = Job.objects.create(
        owner=pokja_a, kind=Job.Kind.EXPORT, state="running", done=25, total=100
    )
    client = client_for(pokja_a)
    url = reverse("jobs:detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and f'hx-get="{url}"' in page
    assert 'max="100" value="25"' in page  # a <progress>: no style attribute (CSP)
    assert "style=" not in page
    assert f'href="{url}"' in page  # the refresh link, for a browser without JavaScript
    # htmx asks for the status block only.
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and 'id="job-status"' in partial
    Job.objects.filter(pk=job.pk).update(state="done", done=100, finished_at=timezone.now())
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial and "Selesai" in partial


def test_the_list_shows_own_jobs_and_the_dinas_may_list_all(client_for, pokja_a, pokja_b, dinas):
    mine = Job.objects.create(owner=pokja_a, kind=Job.Kind.EXPORT)
    other = Job.objects.create(owner=pokja_b, kind=Job.Kind.IMPORT)
    url = reverse("jobs:list")
    page = client_for(pokja_a).get(url + "?semua=1").content.decode()
    assert reverse("jobs:detail", args=[mine.pk]) in page
    assert reverse("jobs:detail", args=[other.pk]) not in page
    dinas_page = client_for(dinas).get(url + "?semua=1").content.decode()
    assert reverse("jobs:detail", args=[other.pk]) in dinas_page


def test_the_list_is_paginated_without_a_query_per_job(
    client_for, pokja_a, django_assert_max_num_queries
):
    Job.objects.bulk_create(
        [Job(owner=pokja_a, kind=Job.Kind.EXPORT, params_key=str(i)) for i in range(25)]
    )
    client = client_for(pokja_a)
    client.get(reverse("jobs:list"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("jobs:list")).content.decode()
    assert page.count('class="fw-semibold"') == 20
    assert "2" in client.get(reverse("jobs:list") + "?page=2").content.decode()


def test_the_result_downloads_privately_for_its_owner_only(client_for, pokja_a, pokja_b, dinas):
    job = finished_job(pokja_a, content=b"x;y\n")
    url = reverse("jobs:download", args=[job.pk])
    response = client_for(pokja_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"x;y\n"
    assert response["Cache-Control"] == "private, no-store"
    assert 'attachment; filename="hasil.csv"' in response["Content-Disposition"]
    assert client_for(pokja_b).get(url).status_code == 404
    assert client_for(dinas).get(url).status_code == 200
    # No file (deleted, or a job without one): 404, also for the owner.
    job.result_file.delete()
    assert client_for(pokja_a).get(url).status_code == 404


def test_old_result_files_are_deleted_after_seven_days(pokja_a):
    old = finished_job(pokja_a, name="lama.csv")
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))
    recent = finished_job(pokja_a, name="baru.csv")
    Job.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - datetime.timedelta(days=6))
    old_path = old.result_file.path
    assert delete_old_results.delay().get() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.result_file and old.result_name == "lama.csv"
    assert not os.path.exists(old_path) and os.path.exists(recent.result_file.path)


# --- The recompute job ------------------------------------------------------------------
def test_the_dinas_recomputes_months_as_a_job(
    client_for, dinas, site_a, django_capture_on_commit_callbacks
):
    recompute_all(last=D(2024, 3, 1))
    QualityScore.objects.filter(period=D(2024, 2, 1)).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dinas).post(
            reverse("jobs:recompute"), {"first": "2024-01", "last": "2024-03"}
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.kind, job.state, job.done, job.total) == ("recompute", "done", 3, 3)
    assert job.summary == {"months": 3, "rows": 3}
    assert QualityScore.objects.filter(site=site_a, period=D(2024, 2, 1)).exists()
    assert job.result_name == "hitung-ulang-2024-01-2024-03.csv"
    assert job.result_file.read().decode().splitlines() == [
        "bulan;baris",
        "2024-01;1",
        "2024-02;1",
        "2024-03;1",
    ]


def test_a_second_identical_recompute_is_refused_with_a_message(client_for, dinas):
    running = Job.objects.create(
        owner=dinas,
        kind=Job.Kind.RECOMPUTE,
        state="running",
        params={"first": "2024-01", "last": "2024-02"},
        params_key=params_key({"first": "2024-01", "last": "2024-02"}),
    )
    response = client_for(dinas).post(
        reverse("jobs:recompute"), {"first": "2024-01", "last": "2024-02"}, follow=True
    )
    assert response.redirect_chain[-1][0] == running.get_absolute_url()
    assert "sedang berjalan" in response.content.decode()
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"first": "2024-01", "last": "2999-01"}, "tidak boleh di masa depan"),
        ({"first": "2024-05", "last": "2024-01"}, "tidak boleh setelah"),
        ({"first": "1990-01", "last": "2024-01"}, "mulai"),
        ({"first": "bulan", "last": "2024-01"}, "BB/TTTT"),
        ({"first": "2024-01", "last": "9" * 5000}, "BB/TTTT"),
    ],
)
def test_bad_months_are_refused_with_a_message(client_for, dinas, data, message):
    response = client_for(dinas).post(reverse("jobs:recompute"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


# --- Derived data and e-mail as tasks ---------------------------------------------------
def test_the_recompute_task_gives_the_same_rows_when_run_twice(site_a):
    f.ActivityFactory(site=site_a, date=D(2024, 2, 5), status="verified")
    recompute_site.delay(site_a.pk, "2024-01-01")
    first = list(
        QualityScore.objects.filter(site=site_a)
        .order_by("period")
        .values_list("period", "activity_count", "output_index", "quality_class")
    )
    recompute_site.delay(site_a.pk, "2024-01-01")
    again = list(
        QualityScore.objects.filter(site=site_a)
        .order_by("period")
        .values_list("period", "activity_count", "output_index", "quality_class")
    )
    assert first == again and first[0][0] == D(2024, 1, 1)
    assert {p: n for p, n, *_ in first}[D(2024, 2, 1)] == 1


def test_every_scheduled_task_exists():
    registered = set(celery_app.tasks)
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {
        "reports.tasks.recompute_this_month",
        "jobs.tasks.delete_old_results",
        "kampungkb.tasks.send_reminders",
    } == {entry["task"] for entry in schedule.values()}
    assert {entry["task"] for entry in schedule.values()} <= registered


def test_the_daily_task_recomputes_this_month(site_a):
    from reports.tasks import recompute_this_month

    current = timezone.localdate().replace(day=1)
    recompute_this_month.delay()
    assert QualityScore.objects.filter(site=site_a, period=current).exists()


def test_notification_emails_are_sent_by_a_task_after_commit(
    pokja_a, pokja_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([pokja_a, pokja_b], subject="Uji", body="Isi", link="/dasbor/", event_key="t-1")
    assert mail.outbox == [] and len(callbacks) == 1  # nothing sent before the commit
    callbacks[0]()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pokja_a.email, pokja_b.email])
    assert mail.outbox[0].body.endswith("/dasbor/\n")


def test_a_concurrent_sender_does_not_make_anyone_notified_twice(
    pokja_a, pokja_b, monkeypatch, django_capture_on_commit_callbacks
):
    """Two workers running the same reminder: the second's check ran before the first's
    rows existed. The unique (recipient, event) decides; only new rows are e-mailed."""
    Notification.objects.create(recipient=pokja_a, subject="Uji", event_key="t-race")
    monkeypatch.setattr(Notification.objects, "filter", lambda **kw: Notification.objects.none())
    with django_capture_on_commit_callbacks() as callbacks:
        created = notify([pokja_a, pokja_b], subject="Uji", body="", link="", event_key="t-race")
    monkeypatch.undo()
    for callback in callbacks:
        callback()
    assert [n.recipient_id for n in created] == [pokja_b.pk]
    assert [m.to for m in mail.outbox] == [[pokja_b.email]]
    assert Notification.objects.count() == 2


def test_a_mail_server_down_keeps_the_inbox_message(
    pokja_a, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        notify([pokja_a], subject="Uji", body="Isi", link="", event_key="t-2")
    assert Notification.objects.filter(recipient=pokja_a, event_key="t-2").exists()
    assert "Could not send 1 notification e-mails" in caplog.text


# --- Broker down ------------------------------------------------------------------------
@pytest.fixture
def broker_down():
    """A broker URL pointing at a closed port, with tasks no longer run eagerly."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:9/5", False
    reset_pools()
    yield
    conf.broker_url, conf.task_always_eager = saved
    reset_pools()


def test_broker_down_an_activity_is_still_verified_and_recomputed(
    client_for, dinas, site_a, broker_down, caplog, django_capture_on_commit_callbacks
):
    activity = f.ActivityFactory(site=site_a, date=D(2024, 5, 10), status="submitted")
    with (
        caplog.at_level(logging.WARNING, logger="kampungkb.background"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for(dinas).post(
            reverse("activities:verify", args=[activity.pk]), {"version": activity.version}
        )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == "verified"
    assert "not queued (broker unreachable" in caplog.text
    # Done in the web process instead: the rows count the activity.
    row = QualityScore.objects.get(site=site_a, period=D(2024, 5, 1))
    assert row.activity_count == 1


def test_broker_down_a_notification_stays_in_the_inbox(
    pokja_a, broker_down, caplog, django_capture_on_commit_callbacks
):
    with (
        caplog.at_level(logging.WARNING, logger="kampungkb.background"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify([pokja_a], subject="Uji", body="Isi", link="", event_key="t-3")
    assert Notification.objects.filter(recipient=pokja_a, event_key="t-3").exists()
    assert mail.outbox == []
    assert "send_notification_emails not queued" in caplog.text


def test_broker_down_a_job_fails_with_a_message_instead_of_waiting_forever(
    pokja_a, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(pokja_a, Job.Kind.EXPORT, {"n": 1}, count_job)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "tidak tersedia" in job.error
    # It may be started again once the broker is back.
    start_job(pokja_a, Job.Kind.EXPORT, {"n": 1}, count_job)


class FlakyMail(locmem.EmailBackend):
    """Fails its second send: a mail server that drops mid-batch."""

    calls = 0

    def send_messages(self, messages):
        FlakyMail.calls += 1
        if FlakyMail.calls == 2:
            raise ConnectionRefusedError("SMTP down")
        return super().send_messages(messages)


def test_a_mail_failure_is_retried_for_the_recipients_not_reached_yet(
    pokja_a, pokja_b, member_a, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMail"
    FlakyMail.calls = 0
    with django_capture_on_commit_callbacks():  # the task is called below, as a worker would
        notify([pokja_a, pokja_b, member_a], subject="Uji", body="", link="", event_key="t-4")
    ids = sorted([pokja_a.pk, pokja_b.pk, member_a.pk])
    send_notification_emails.push_request(called_directly=False, is_eager=False, retries=0)
    try:
        with pytest.raises(Retry) as retried:
            send_notification_emails.run("t-4", ids)
    finally:
        send_notification_emails.pop_request()
    # The first recipient got it before the failure; the retry carries the other two only
    # (run here at once: no broker), so nobody gets it twice.
    assert list(retried.value.sig.args) == ["t-4", ids[1:]]
    assert retried.value.when == 60  # backoff: 1 min, then 2, 4 ...
    User = get_user_model()
    emails = [User.objects.get(pk=pk).email for pk in ids]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(emails)
