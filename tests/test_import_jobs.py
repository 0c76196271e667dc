"""Spreadsheet imports as background jobs (run eagerly here): the upload starts a job, the
job's page shows the import's outcome, bad files end as failed jobs with an Indonesian
message and nothing saved, a second identical import is refused while the first is
unfinished, and the job reads its owner's rights when it runs, not at upload."""

import io
import zipfile

import pytest
from django.conf import settings
from django.urls import reverse

from activities import imports
from activities.models import Activity, ImportBatch, PokjaMember
from activities.tasks import upload_path
from jobs.models import Job
from kampungkb.storage import private_storage

from . import factories as f
from .test_imports import ACT, NOT_XLSX, act_row
from .test_jobs import broker_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def post_upload(client, content, *, name="kegiatan.xlsx", kind="activities"):
    return client.post(
        reverse("coordination:import"),
        {"kind": kind, "file": f.xlsx_upload(None, name=name, content=content)},
    )


def run_upload(client, capture, content, **kw):
    """Upload and let the job run (eagerly, when the request's transaction commits)."""
    with capture(execute=True):
        response = post_upload(client, content, **kw)
    assert response.status_code == 302, response.content.decode()[:1000]
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    return job, client.get(response.url).content.decode()


# --- The way through ---------------------------------------------------------------------
def test_an_import_runs_as_jobs_and_their_pages_show_the_outcome(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    client = client_for(pokja_a)
    content = f.xlsx_bytes([ACT, act_row(site_a, "Satu"), act_row(site_a, "Dua")])
    check, page = run_upload(client, django_capture_on_commit_callbacks, content)
    assert (check.kind, check.state, check.owner) == ("import", "done", pokja_a)
    assert (check.done, check.total) == (2, 2)
    assert "Semua 2 baris benar" in page and "Simpan 2 baris" in page
    assert "kegiatan.xlsx" in page and "Pemeriksaan sebelum disimpan" in page
    assert not Activity.objects.exists()  # the dry run saved nothing
    batch = ImportBatch.objects.get(pk=check.summary["batch"])
    # The upload waited in private storage and is gone once the check has read it.
    assert not private_storage().exists(upload_path(check.pk))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("coordination:import-commit", args=[batch.pk]))
    save = Job.objects.exclude(pk=check.pk).get()
    assert response.url == save.get_absolute_url()
    assert (save.state, save.summary) == ("done", {"batch": batch.pk, "created": 2})
    page = client.get(response.url).content.decode()
    assert "2 baris sudah disimpan." in page and "Simpan 2 baris" not in page
    assert sorted(Activity.objects.values_list("title", flat=True)) == ["Dua", "Satu"]
    # Its owner is told in the inbox, with a link to the job.
    assert pokja_a.notifications.filter(link=save.get_absolute_url()).exists()


def test_the_file_waits_in_private_storage_while_the_job_is_queued(client_for, pokja_a, site_a):
    response = post_upload(client_for(pokja_a), f.xlsx_bytes([ACT, act_row(site_a)]))
    job = Job.objects.get()
    assert response.url == job.get_absolute_url() and job.state == "queued"
    path = private_storage().path(upload_path(job.pk))
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert "sha256" in job.params and "content" not in job.params
    page = client_for(pokja_a).get(job.get_absolute_url()).content.decode()
    assert "Menunggu" in page and 'hx-get="' in page


def test_progress_is_reported_every_n_rows_not_every_row(pokja_a, site_a, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_ROWS", 2)
    content = f.xlsx_bytes([ACT] + [act_row(site_a, f"K{i}") for i in range(5)])
    calls = []
    batch = imports.upload(
        pokja_a, "activities", "k.xlsx", content, progress=lambda *pair: calls.append(pair)
    )
    assert batch.status == "checked"
    assert calls == [(0, 5), (2, 5), (4, 5)]


# --- Errors ------------------------------------------------------------------------------
def test_a_dry_run_with_a_bad_row_fails_with_its_row_numbered_error(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    rows = [ACT, act_row(site_a, "Baik"), act_row(site_a, "Salah", fungsi_keluarga="olahraga")]
    job, page = run_upload(
        client_for(pokja_a), django_capture_on_commit_callbacks, f.xlsx_bytes(rows)
    )
    assert job.state == "failed"
    assert job.error == (
        "1 kesalahan pada 2 baris: tidak ada yang disimpan. Perbaiki berkas lalu unggah kembali."
    )
    assert "Kesalahan per baris dan kolom" in page
    assert '<td class="text-end">3</td><td>fungsi_keluarga (D)</td>' in page
    assert "“olahraga” tidak termasuk pilihan" in page
    assert "Simpan" not in page.split("Kesalahan per baris dan kolom")[1]
    assert not Activity.objects.exists()
    assert ImportBatch.objects.get().status == "invalid"


def _with_sheet(sheet_xml_parts):
    """A workbook whose first sheet is written from ``sheet_xml_parts`` (bytes pieces)."""
    good = zipfile.ZipFile(io.BytesIO(f.xlsx_bytes([ACT])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name in good.namelist():
            if name == "xl/worksheets/sheet1.xml":
                with out.open(name, "w") as part:
                    for piece in sheet_xml_parts:
                        part.write(piece)
            else:
                out.writestr(name, good.read(name))
    return buf.getvalue()


def _million_empty_rows():
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    yield b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + ns + b"><sheetData>"
    yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>kode_kelurahan</t></is></c></row>'
    for start in range(2, 1_000_002, 100_000):
        yield b"".join(b'<row r="%d"/>' % r for r in range(start, start + 100_000))
    yield b"</sheetData></worksheet>"


TOO_MANY = (
    "Berkas berisi lebih dari 10.000 baris data. Pecah menjadi beberapa berkas masing-masing "
    "paling banyak 10.000 baris."
)


@pytest.mark.parametrize(
    "content,message",
    [
        (b"kode_kelurahan;judul\n36.74.03.1007;Kegiatan\n", NOT_XLSX),  # a CSV renamed
        (b"%PDF-1.4 not a spreadsheet", NOT_XLSX),
        (f.xlsx_bytes([]), "Berkas kosong. Gunakan templat: baris 1 berisi nama kolom."),
        (f.xlsx_bytes([ACT]), "Berkas tidak berisi baris data di bawah nama kolom."),
        (_with_sheet(_million_empty_rows()), TOO_MANY),
    ],
    ids=["csv", "pdf", "no-rows-at-all", "header-only", "a-million-empty-rows"],
)
def test_a_bad_file_is_a_failed_job_with_a_clear_message(
    content, message, client_for, pokja_a, django_capture_on_commit_callbacks
):
    job, page = run_upload(client_for(pokja_a), django_capture_on_commit_callbacks, content)
    assert (job.state, job.error) == ("failed", message)
    assert message in page
    assert ImportBatch.objects.get().file_error == message
    assert not Activity.objects.exists()
    assert not private_storage().exists(upload_path(job.pk))


def test_a_formula_bomb_is_never_calculated_and_nothing_is_saved(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    bomb = '=REPT(REPT(REPT("x",32767),32767),32767)'
    rows = [ACT] + [act_row(site_a, f"K{i}", peserta_laki_laki=bomb) for i in range(50)]
    job, page = run_upload(
        client_for(pokja_a), django_capture_on_commit_callbacks, f.xlsx_bytes(rows)
    )
    assert job.state == "failed"
    assert job.error.startswith("50 kesalahan pada 50 baris: tidak ada yang disimpan.")
    assert "Sel berisi rumus; ketik nilainya saja (rumus tidak dihitung)." in page
    assert not Activity.objects.exists()


def test_a_zip_bomb_is_refused_at_upload_before_any_job(client_for, pokja_a):
    from .test_imports import _workbook_with

    response = post_upload(client_for(pokja_a), _workbook_with({"xl/sharedStrings.xml": 101 << 20}))
    assert response.status_code == 200
    assert "Berkas terlalu besar setelah dibuka: 101 MB (batasnya 100 MB)." in (
        response.content.decode()
    )
    assert not Job.objects.exists() and not ImportBatch.objects.exists()


# --- Once at a time ----------------------------------------------------------------------
def test_a_second_upload_of_the_same_file_is_refused_while_the_first_waits(
    client_for, pokja_a, pokja_b, site_a
):
    content = f.xlsx_bytes([ACT, act_row(site_a)])
    client = client_for(pokja_a)
    assert post_upload(client, content).status_code == 302  # queued: no worker ran it
    again = post_upload(client, content, name="salinan.xlsx")  # same bytes, another name
    assert again.status_code == 200
    assert "Berkas ini sedang diimpor; tunggu sampai impor itu selesai." in again.content.decode()
    assert Job.objects.count() == 1
    # Another file, or another user with the same file, is not held back.
    other = f.xlsx_bytes([ACT, act_row(site_a, "Lain")])
    assert post_upload(client, other).status_code == 302
    assert post_upload(client_for(pokja_b), content).status_code == 302
    assert Job.objects.count() == 3


def test_a_second_save_is_refused_while_the_first_waits(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    client = client_for(pokja_a)
    run_upload(client, django_capture_on_commit_callbacks, f.xlsx_bytes([ACT, act_row(site_a)]))
    batch = ImportBatch.objects.get()
    commit = reverse("coordination:import-commit", args=[batch.pk])
    first = client.post(commit)  # queued
    save = Job.objects.get(params__step="save")
    assert first.url == save.get_absolute_url()
    second = client.post(commit, follow=True)
    assert second.redirect_chain[-1][0] == save.get_absolute_url()
    assert "Berkas ini sedang diimpor" in second.content.decode()
    assert Job.objects.filter(params__step="save").count() == 1
    assert not Activity.objects.exists()


# --- Scope ---------------------------------------------------------------------------------
def test_another_user_cannot_see_the_job_and_the_dinas_cannot_save_it(
    client_for, pokja_a, pokja_b, dinas, site_a, django_capture_on_commit_callbacks
):
    content = f.xlsx_bytes([ACT, act_row(site_a)])
    job, _ = run_upload(client_for(pokja_a), django_capture_on_commit_callbacks, content)
    assert client_for(pokja_b).get(job.get_absolute_url()).status_code == 404
    page = client_for(dinas).get(job.get_absolute_url())
    assert page.status_code == 200 and "Simpan 1 baris" not in page.content.decode()


def test_the_job_reads_its_owners_rights_when_it_runs(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        post_upload(client_for(pokja_a), f.xlsx_bytes([ACT, act_row(site_a)]))
    PokjaMember.objects.filter(user=pokja_a).delete()  # no longer in a Pokja
    for callback in callbacks:
        callback()
    job = Job.objects.get()
    assert (job.state, job.error) == ("failed", "Anda tidak lagi berwenang mengimpor data ini.")
    assert not ImportBatch.objects.exists() and not Activity.objects.exists()
    assert not private_storage().exists(upload_path(job.pk))


def test_a_save_started_before_the_rights_were_lost_saves_nothing(
    client_for, pokja_a, site_a, site_b, django_capture_on_commit_callbacks
):
    from activities.forms import sites_for_new_activity

    client = client_for(pokja_a)
    run_upload(client, django_capture_on_commit_callbacks, f.xlsx_bytes([ACT, act_row(site_a)]))
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("coordination:import-commit", args=[batch.pk]))
    # Moved to another site's Pokja meanwhile: site A is no longer theirs.
    PokjaMember.objects.filter(user=pokja_a).update(site=site_b)
    assert list(sites_for_new_activity(pokja_a)) == [site_b]
    for callback in callbacks:
        callback()
    save = Job.objects.get(params__step="save")
    assert save.state == "failed"
    assert not Activity.objects.exists()
    page = client.get(save.get_absolute_url()).content.decode()
    assert "Anda tidak berwenang mengimpor data untuk Kampung KB A" in page


def test_an_import_being_saved_cannot_be_cancelled(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    client = client_for(pokja_a)
    run_upload(client, django_capture_on_commit_callbacks, f.xlsx_bytes([ACT, act_row(site_a)]))
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("coordination:import-commit", args=[batch.pk]))  # queued
    save = Job.objects.get(params__step="save")
    response = client.post(reverse("coordination:import-cancel", args=[batch.pk]), follow=True)
    assert response.redirect_chain[-1][0] == save.get_absolute_url()
    assert "Impor ini sedang disimpan; tidak dapat dibatalkan sekarang." in (
        response.content.decode()
    )
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.status == "committed" and Activity.objects.count() == 1


@pytest.mark.usefixtures("broker_down")
def test_broker_down_the_upload_fails_with_a_message_and_leaves_no_file(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    client = client_for(pokja_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(client, f.xlsx_bytes([ACT, act_row(site_a)]))
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    assert job.state == "failed" and "tidak tersedia" in job.error
    assert not private_storage().exists(upload_path(job.pk))
    assert not ImportBatch.objects.exists()
