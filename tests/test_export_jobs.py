"""Large downloads become export jobs (reports.downloads), run eagerly here (no broker):
at or below EXPORT_JOB_THRESHOLD_ROWS rows a download streams as before; above it the
user is sent to a job whose file is the download they would have streamed, built again
for them through the same form and scope. The real worker runs in
tests/test_celery_worker.py."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from jobs.models import Job
from kampungkb.models import Notification
from reports import downloads
from reports.tasks import export_job

from . import factories as f
from .test_reports_pages import seed_site

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data(cast, site_a, site_b, site_c):
    from reports.recompute import recompute_all

    seed_site(site_a, 1.0)
    seed_site(site_b, 0.3, months_active=12)
    seed_site(site_c, 0.8)
    f.ActivityFactory(site=site_a, title="=Formula & <tag> café", status="draft")
    recompute_all()
    return cast


def content(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def cells(body):
    book = load_workbook(io.BytesIO(body))
    return {
        sheet.title: [[(c.value, c.number_format, bool(c.font.b)) for c in r] for r in sheet.rows]
        for sheet in book
    }


def same_file(fmt, a, b):
    """CSV: the same bytes; XLSX: the same cells (a ZIP holds its write time)."""
    if fmt == "csv":
        return a == b
    return cells(a) == cells(b)


def csv_rows(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def as_job(client, url, settings, capture, threshold=0):
    """GET ``url`` with a threshold below its rows: the job it starts, run eagerly."""
    settings.EXPORT_JOB_THRESHOLD_ROWS = threshold
    with capture(execute=True):
        response = client.get(url)
    assert response.status_code == 302, response.status_code
    job = Job.objects.get(owner=response.wsgi_request.user)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    return response, job


def job_file(client, job):
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return content(response)


def download_urls(site_a, site_b, kec_a):
    compare = f"?kampung={site_a.pk}&kampung={site_b.pk}"
    return {
        "activities-csv": reverse("reports:activities-export", args=["csv"]),
        "activities-xlsx": reverse("reports:activities-export", args=["xlsx"]) + "?status=verified",
        "classification-csv": reverse("reports:classification-export", args=["csv"])
        + "?urut=-output",
        "classification-xlsx": reverse("reports:classification-export", args=["xlsx"]),
        "comparison-csv": reverse("reports:comparison-export", args=["csv"]) + compare,
        "comparison-xlsx": reverse("reports:comparison-export", args=["xlsx"]) + compare,
        "sites-csv": reverse("reports:sites-export", args=["csv"]) + f"?kecamatan={kec_a.pk}",
        "sites-xlsx": reverse("reports:sites-export", args=["xlsx"]),
        "matrix-xlsx": reverse("reports:opd-matrix")
        + "?format=xlsx&start=2024-01-01&end=2024-12-31",
    }


# --- Small downloads stream -----------------------------------------------------------
@pytest.mark.parametrize("fmt, content_type", [("csv", "text/csv"), ("xlsx", XLSX)])
def test_a_download_at_the_threshold_streams_without_a_job(
    data, client_for, settings, fmt, content_type
):
    client = client_for(data["dinas"])
    url = reverse("reports:activities-export", args=[fmt])
    total = len(csv_rows(content(client.get(reverse("reports:activities-export", args=["csv"])))))
    settings.EXPORT_JOB_THRESHOLD_ROWS = total - 1  # the data rows: exactly the threshold
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith(content_type)
    assert Job.objects.count() == 0


# --- Large downloads are jobs, and their file is the streamed file ------------------------
@pytest.mark.parametrize(
    "name",
    [
        "activities-csv",
        "activities-xlsx",
        "classification-csv",
        "classification-xlsx",
        "comparison-csv",
        "comparison-xlsx",
        "sites-csv",
        "sites-xlsx",
        "matrix-xlsx",
    ],
)
def test_a_large_download_is_a_job_whose_file_is_the_streamed_one(
    name, data, client_for, settings, site_a, site_b, kec_a, django_capture_on_commit_callbacks
):
    url = download_urls(site_a, site_b, kec_a)[name]
    fmt = name.rsplit("-", 1)[1]
    user = data["dinas"]
    client = client_for(user)
    streamed = content(client.get(url))
    response, job = as_job(client, url, settings, django_capture_on_commit_callbacks)
    assert (job.kind, job.state) == (Job.Kind.EXPORT, Job.State.DONE)
    assert job.params["format"] == fmt and job.params["query"] in url
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Unduhan besar disiapkan sebagai tugas; Anda akan diberi tahu saat selesai." in messages
    # The job's page: done, with the file's link; the file is the streamed download.
    page = client.get(response["Location"]).content.decode()
    assert "Selesai" in page and reverse("jobs:download", args=[job.pk]) in page
    assert job.result_name.endswith(f".{fmt}") and job.result_name in page
    assert same_file(fmt, job_file(client, job), streamed)
    # Progress: the rows counted first are the rows written; the owner is told.
    assert job.total == job.summary["rows"] >= 1
    assert Notification.objects.filter(recipient=user, link=response["Location"]).exists()


def test_the_job_file_follows_the_users_language(
    data, client_for, settings, django_capture_on_commit_callbacks
):
    client = client_for(data["dinas"])
    client.post(reverse("set_language"), {"language": "en"})
    url = reverse("reports:activities-export", args=["csv"])
    streamed = content(client.get(url))
    assert b"Participants (men)" in streamed
    _response, job = as_job(client, url, settings, django_capture_on_commit_callbacks)
    assert job_file(client, job) == streamed


def test_the_progress_counts_the_rows_as_they_are_written(
    data, client_for, settings, monkeypatch, django_capture_on_commit_callbacks
):
    reports, progress = [], export_job.progress

    def recorded(done, total=None, force=False):
        reports.append(done)
        progress(done, total, force)

    monkeypatch.setattr(downloads, "PROGRESS_ROWS", 2)
    monkeypatch.setattr(export_job, "progress", recorded)
    client = client_for(data["dinas"])
    url = reverse("reports:activities-export", args=["csv"])
    rows = len(csv_rows(content(client.get(url)))) - 1
    _response, job = as_job(client, url, settings, django_capture_on_commit_callbacks)
    assert reports == [0, *range(2, rows + 1, 2), *([rows] if rows % 2 else [])]
    assert (job.total, job.summary) == (rows, {"rows": rows})


# --- Scope ------------------------------------------------------------------------------
def test_another_users_export_job_result_is_not_found(
    data, client_for, settings, django_capture_on_commit_callbacks
):
    owner, stranger = data["pokja_a"], data["pokja_b"]
    url = reverse("reports:activities-export", args=["csv"])
    _response, job = as_job(client_for(owner), url, settings, django_capture_on_commit_callbacks)
    for name in ("jobs:download", "jobs:detail"):
        assert client_for(stranger).get(reverse(name, args=[job.pk])).status_code == 404


@pytest.mark.parametrize("role, sites", [("pokja_a", ["site_a"]), ("viewer_b", ["site_c"])])
def test_an_export_job_holds_only_the_users_scope(
    role, sites, data, client_for, settings, site_a, site_b, site_c, capture_on_commit
):
    user = data[role]
    client = client_for(user)
    url = reverse("reports:activities-export", args=["csv"])
    _response, job = as_job(client, url, settings, capture_on_commit)
    rows = csv_rows(job_file(client, job))[1:]
    names = {"site_a": site_a.name, "site_b": site_b.name, "site_c": site_c.name}
    assert rows and {r[2] for r in rows} == {names[s] for s in sites}


def test_the_job_trusts_its_parameters_no_further_than_the_form(pokja_a, kec_b, data):
    """Parameters changed behind the form's back (another kecamatan): the job fails with
    the form's message and writes nothing."""
    params = {
        "download": "kegiatan",
        "format": "csv",
        "query": f"kecamatan={kec_b.pk}",
        "language": "id",
    }
    job = Job.objects.create(owner=pokja_a, kind=Job.Kind.EXPORT, params=params)
    export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and not job.result_file
    assert job.error.startswith("Kecamatan: ")
    for bad in ({"download": "../etc"}, {"format": "pdf"}):
        job = Job.objects.create(
            owner=pokja_a, kind=Job.Kind.EXPORT, params={**params, **bad}, params_key=str(bad)
        )
        export_job.apply(args=[job.pk])
        job.refresh_from_db()
        assert (job.state, job.error) == (Job.State.FAILED, "Unduhan ini tidak ada.")


@pytest.mark.parametrize(
    "name, query",
    [
        ("activities-export", "dari=kemarin"),
        ("classification-export", "kelas=9"),
        ("comparison-export", "mode=semua"),
    ],
)
def test_a_bad_filter_is_refused_with_the_forms_message_and_no_job(
    name, query, data, client_for, settings
):
    settings.EXPORT_JOB_THRESHOLD_ROWS = 0
    response = client_for(data["dinas"]).get(reverse(f"reports:{name}", args=["csv"]) + "?" + query)
    assert response.status_code == 400
    assert "Pilihan pada alamat halaman tidak valid" in response.content.decode()
    assert Job.objects.count() == 0


# --- Asked again while it runs --------------------------------------------------------------
def test_the_same_download_asked_again_follows_the_unfinished_job(data, client_for, settings):
    settings.EXPORT_JOB_THRESHOLD_ROWS = 0
    client = client_for(data["dinas"])
    url = reverse("reports:activities-export", args=["xlsx"]) + "?status=verified"
    first = client.get(url)  # not run: the on-commit callback is not executed
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED
    again = client.get(url)
    assert again["Location"] == first["Location"] == reverse("jobs:detail", args=[job.pk])
    assert Job.objects.count() == 1
    assert any("sedang berjalan" in str(m) for m in get_messages(again.wsgi_request))
    # Another query, or the other format, is another download.
    client.get(reverse("reports:activities-export", args=["csv"]) + "?status=verified")
    assert Job.objects.count() == 2


@pytest.fixture
def capture_on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks
