"""Spreadsheet imports: templates, the dry run with row/column errors in Indonesian, all or
nothing commit attributed to its user, every bad file, and the same scope and validation
as the forms. The check and the save run as jobs (eagerly here); each upload and save is
followed to its job's page, which shows the import's outcome."""

import datetime
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from activities import imports
from activities.forms import ActivityForm
from activities.models import Activity, ImportBatch, OPDProgram, PokjaMember
from jobs.models import Job

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
ACT = ["kode_kelurahan", "judul", "tanggal", "fungsi_keluarga", "peserta_laki_laki",
       "peserta_perempuan", "sasaran", "mitra"]  # fmt: skip


def act_row(site, title="Posyandu remaja", day=None, **kw):
    day = day or D(2024, 5, 10)
    row = {
        "kode_kelurahan": site.kelurahan.code,
        "judul": title,
        "tanggal": day,
        "fungsi_keluarga": "reproduksi",
        "peserta_laki_laki": 5,
        "peserta_perempuan": 12,
        "sasaran": "remaja, pus",
        "mitra": "",
    }
    row.update(kw)
    return [row[h] for h in ACT]


def _job_page(client, response):
    """Follow a redirect to a job's page (the job ran eagerly on commit)."""
    assert response.status_code == 302, response.content.decode()[:1500]
    job = Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    assert response.url == job.get_absolute_url() and job.is_finished
    page = client.get(response.url)
    assert page.status_code == 200
    return job, page.content.decode()


def upload(client, kind, rows=None, content=None, name="kegiatan.xlsx"):
    """Upload a file; returns its ImportBatch, with the check job and its page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("coordination:import"),
            {"kind": kind, "file": f.xlsx_upload(rows, name=name, content=content)},
        )
    job, page = _job_page(client, response)
    batch = ImportBatch.objects.get(pk=job.summary["batch"])
    batch.job, batch.page = job, page
    return batch


def save(client, batch):
    """Press "Save" on a checked import; returns the save job and its page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("coordination:import-commit", args=[batch.pk]))
    return _job_page(client, response)


def refused_at_upload(client, content):
    """An upload refused at once by the form (no job, no import): the page's text."""
    response = client.post(
        reverse("coordination:import"),
        {"kind": "activities", "file": f.xlsx_upload(None, content=content)},
    )
    assert response.status_code == 200
    assert not Job.objects.exists() and not ImportBatch.objects.exists()
    return response.content.decode()


def errors_of(batch):
    return [(e["row"], e["column"].split(" (")[0], e["message"]) for e in batch.errors]


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------
def _sheets(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_activity_template_has_the_headers_and_only_the_users_codes(
    client_for, pokja_a, site_a, site_b
):
    response = client_for(pokja_a).get(reverse("coordination:import-template", args=["activities"]))
    sheets = _sheets(response)
    assert list(sheets["Data"][0]) == imports.SPECS["activities"].headers
    codes = {row[1] for row in sheets["Kode"]}
    assert site_a.kelurahan.code in codes and site_b.kelurahan.code not in codes
    assert "reproduksi" in codes  # the family functions
    assert any("hh/bb/tttt" in str(row) for row in sheets["Petunjuk"])


@pytest.mark.parametrize(
    "role,kind,status",
    [
        ("pokja_a", "members", 200),
        ("member_a", "members", 404),  # a plain member does not manage the list
        ("member_a", "activities", 200),
        ("pokja_a", "programs", 404),
        ("opd_x", "programs", 200),
        ("dinas", "members", 200),
        ("viewer_b", "activities", 404),
        ("anonymous", "activities", 302),
    ],
)
def test_template_access(role, kind, status, cast, client_for):
    url = reverse("coordination:import-template", args=[kind])
    assert client_for(cast[role]).get(url).status_code == status


# --------------------------------------------------------------------------------------
# Dry run and commit
# --------------------------------------------------------------------------------------
def test_dry_run_then_commit_saves_every_row_for_its_user(client_for, pokja_a, site_a, dinas):
    client = client_for(pokja_a)
    rows = [
        ACT,
        act_row(site_a, "Satu"),
        act_row(site_a, "Dua", day="11/05/2024"),
        act_row(site_a, "Tiga"),
    ]
    batch = upload(client, "activities", rows)
    assert batch.status == "checked" and batch.row_count == 3 and batch.error_count == 0
    assert not Activity.objects.exists()  # a dry run saves nothing
    assert batch.job.state == "done" and batch.job.owner == pokja_a
    for page in (batch.page, client.get(batch.get_absolute_url()).content.decode()):
        assert "Semua 3 baris benar" in page and "Simpan 3 baris" in page
        assert "Satu" in page

    job, page = save(client, batch)
    assert job.state == "done" and job.params["step"] == "save"
    assert "3 baris sudah disimpan." in page
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.created_count == 3 and batch.content is None
    saved = Activity.objects.order_by("title")
    assert [a.title for a in saved] == ["Dua", "Satu", "Tiga"]
    assert {a.created_by for a in saved} == {pokja_a}
    assert saved.get(title="Dua").date == D(2024, 5, 11)
    assert saved.get(title="Satu").target_groups == ["remaja", "pus"]
    record = saved.first().history.get()
    assert record.history_user == pokja_a
    assert record.history_change_reason == f"Impor XLSX #{batch.pk}: kegiatan.xlsx"
    # In the history of imports, for the user and for the Dinas.
    assert "kegiatan.xlsx" in client.get(reverse("coordination:import")).content.decode()
    admin_list = client_for(dinas).get(reverse("admin:activities_importbatch_changelist"))
    assert "kegiatan.xlsx" in admin_list.content.decode()
    # Committing twice does nothing more.
    assert client.post(reverse("coordination:import-commit", args=[batch.pk])).status_code == 403
    assert Activity.objects.count() == 3


def test_one_bad_row_saves_nothing_and_is_explained_like_the_form(client_for, pokja_a, site_a):
    future = D.today() + datetime.timedelta(days=30)
    rows = [ACT, act_row(site_a, "Baik"), act_row(site_a, "Masa depan", day=future)]
    batch = upload(client_for(pokja_a), "activities", rows)
    form = ActivityForm(
        {"site": site_a.pk, "title": "x", "date": future, "category": "reproduksi",
         "participants_male": 0, "participants_female": 0, "origin": "pokja"},
        user=pokja_a,
    )  # fmt: skip
    assert not form.is_valid()
    assert errors_of(batch) == [(3, "tanggal", form.errors["date"][0])]
    assert batch.status == "invalid" and batch.content is None
    assert batch.job.state == "failed"
    for page in (batch.page, client_for(pokja_a).get(batch.get_absolute_url()).content.decode()):
        assert "tidak ada yang disimpan" in page
        assert "Simpan" not in page.split("Kesalahan per baris dan kolom")[1]
    assert not Activity.objects.exists()


def test_commit_checks_again_and_saves_nothing_if_a_row_became_invalid(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    batch = upload(client, "activities", [ACT, act_row(site_a, "A"), act_row(site_a, "B")])
    f.ActivityFactory(site=site_a, title="B", date=D(2024, 5, 10))  # recorded meanwhile
    job, page = save(client, batch)
    assert job.state == "failed"
    assert "tidak ada yang disimpan" in page and "sudah ada di portal" in page
    batch.refresh_from_db()
    assert batch.status == "invalid"
    assert errors_of(batch) == [
        (3, "—", "Kegiatan ini sudah ada di portal (Kampung KB, tanggal dan judul yang sama).")
    ]
    assert list(Activity.objects.values_list("title", flat=True)) == ["B"]


def test_cancel_keeps_the_record_and_drops_the_file(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    batch = upload(client, "activities", [ACT, act_row(site_a)])
    client.post(reverse("coordination:import-cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.content is None
    assert not Activity.objects.exists()


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------
def test_wrong_header(client_for, pokja_a, site_a):
    rows = [["kode_kel", *ACT[1:], "kolom_aneh"], act_row(site_a)]
    batch = upload(client_for(pokja_a), "activities", rows)
    assert batch.status == "invalid" and batch.row_count == 0
    assert "Baris 1 tidak sesuai dengan nama kolom pada templat." in batch.file_error
    assert "kode_kel, kolom_aneh" in batch.file_error
    assert "Kolom yang tidak ada: kode_kelurahan." in batch.file_error


def test_wrong_kelurahan_codes(client_for, pokja_a, site_a, site_b):
    no_site = f.KelurahanFactory()
    rows = [
        ACT,
        act_row(site_a, kode_kelurahan="36.74.99.9999"),
        act_row(site_a, kode_kelurahan=no_site.code),
        act_row(site_a, kode_kelurahan=site_b.kelurahan.code),
    ]
    batch = upload(client_for(pokja_a), "activities", rows)
    unknown = "Kode kelurahan “36.74.99.9999” tidak dikenal (kode Kemendagri berbentuk "
    unknown += "36.74.03.1007)."
    no_active = f"Tidak ada Kampung KB aktif di Kelurahan {no_site.name} ({no_site.code})."
    not_yours = "Anda tidak berwenang mengimpor data untuk Kampung KB B (kelurahan "
    not_yours += f"{site_b.kelurahan.code})."
    assert errors_of(batch) == [
        (2, "kode_kelurahan", unknown),
        (3, "kode_kelurahan", no_active),
        (4, "kode_kelurahan", not_yours),
    ]
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "text", ["2024-05-10", "05/31/2024", "10-05-2024", "10 Mei 2024", "31/02/2024"]
)
def test_a_date_written_otherwise_is_an_error(text, client_for, pokja_a, site_a):
    batch = upload(client_for(pokja_a), "activities", [ACT, act_row(site_a, day=text)])
    assert errors_of(batch) == [
        (
            2,
            "tanggal",
            f"Tulis tanggal dengan format hh/bb/tttt (misalnya 25/03/2025), bukan “{text}”.",
        )
    ]


def test_duplicated_rows(client_for, pokja_a, site_a):
    rows = [ACT, act_row(site_a, "Sama"), act_row(site_a, "Lain"), act_row(site_a, "sama")]
    batch = upload(client_for(pokja_a), "activities", rows)
    assert errors_of(batch) == [(4, "—", "Baris ini sama dengan baris 2.")]


def test_a_file_imported_twice_is_refused_the_second_time(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    rows = [ACT, act_row(site_a, "Sekali")]
    save(client, upload(client, "activities", rows))
    again = upload(client, "activities", rows)
    assert again.status == "invalid"
    assert "sudah ada di portal" in again.errors[0]["message"]
    assert Activity.objects.count() == 1


@pytest.mark.parametrize("dimension", [True, False], ids=["dimension", "no-dimension"])
def test_100000_rows_get_a_clear_message(dimension, client_for, pokja_a):
    content = f.xlsx_many_rows(ACT, ["36.74.03.1007", "Kegiatan"], 100_000, dimension=dimension)
    assert len(content) < imports.MAX_BYTES
    batch = upload(client_for(pokja_a), "activities", content=content)
    assert batch.status == "invalid"
    assert batch.file_error == (
        "Berkas berisi lebih dari 10.000 baris data. Pecah menjadi beberapa berkas masing-masing "
        "paling banyak 10.000 baris."
    )
    assert not Activity.objects.exists()


def test_rows_past_the_limit_are_counted_when_the_size_is_not_declared(client_for, pokja_a):
    content = f.xlsx_many_rows(ACT, ["36.74.03.1007", "Kegiatan"], 10_001, dimension=False)
    batch = upload(client_for(pokja_a), "activities", content=content)
    assert batch.file_error.startswith("Berkas berisi lebih dari 10.000 baris data.")


def test_a_large_declared_size_with_few_filled_rows_is_read(client_for, pokja_a, site_a):
    # Excel declares formatted empty rows in the sheet's size; only filled rows count.
    row = act_row(site_a, day="10/05/2024", sasaran="", peserta_laki_laki=1)
    content = f.xlsx_many_rows(
        ACT, [v if v is not None else "" for v in row], 2, declared_rows=60_000
    )
    batch = upload(client_for(pokja_a), "activities", content=content)
    assert batch.file_error == ""
    assert batch.row_count == 2
    assert errors_of(batch) == [(3, "—", "Baris ini sama dengan baris 2.")]


NOT_XLSX = (
    "Berkas ini bukan buku kerja Excel (.xlsx). Unduh templat, isi, lalu simpan sebagai "
    "“Excel Workbook (.xlsx)”."
)


def _zip(files):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"kode_kelurahan;judul\n36.74.03.1007;Kegiatan\n",  # a CSV renamed .xlsx
        b"%PDF-1.4 not a spreadsheet",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,  # an old .xls (OLE2)
        _zip({"foto.jpg": b"\xff\xd8\xff"}),  # a zip that is not a workbook
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),  # a .docx
    ],
    ids=["csv", "pdf", "xls", "zip", "docx"],
)
def test_a_file_that_is_not_xlsx_is_refused_by_its_content(content, client_for, pokja_a):
    batch = upload(client_for(pokja_a), "activities", content=content, name="kegiatan.xlsx")
    assert batch.file_error == NOT_XLSX
    assert batch.status == "invalid"


def _workbook_with(extra, *, count=0):
    """A minimal workbook's parts plus ``extra`` parts (name -> bytes) or ``count`` empty
    ones; each written in 1 MB pieces so the test never holds a whole bomb in memory."""
    import zipfile

    good = zipfile.ZipFile(io.BytesIO(f.xlsx_bytes([ACT])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name in good.namelist():
            out.writestr(name, good.read(name))
        for name, size in extra.items():
            with out.open(name, "w") as part:
                for _ in range(size // (1 << 20)):
                    part.write(b"\0" * (1 << 20))
        for i in range(count):
            out.writestr(f"xl/media/image{i}.png", b"")
    return buf.getvalue()


ADVICE = (
    " Simpan ulang sebagai “Excel Workbook (.xlsx)” biasa, atau bagi menjadi beberapa berkas "
    "yang lebih kecil."
)


def test_a_zip_bomb_is_too_large_once_unpacked_not_a_non_workbook(client_for, pokja_a):
    # 101 MB of zeros in a part: the upload is about 100 KB.
    content = _workbook_with({"xl/sharedStrings.xml": 101 << 20})
    assert len(content) < 200_000
    # Refused at once by the upload form (from the zip's directory), before any job.
    page = refused_at_upload(client_for(pokja_a), content)
    assert "Berkas terlalu besar setelah dibuka: 101 MB (batasnya 100 MB)." + ADVICE in page
    # And by the import itself, should such a file reach it.
    with pytest.raises(imports.FileRefused, match="101 MB"):
        imports.check_file(content)


def test_a_part_that_grows_a_thousand_times_is_refused(client_for, pokja_a):
    content = _workbook_with({"xl/sharedStrings.xml": 20 << 20})  # under the total limit
    page = refused_at_upload(client_for(pokja_a), content)
    assert "Berkas terlalu besar setelah dibuka: salah satu bagiannya membesar dari " in page
    assert "KB menjadi 20 MB." + ADVICE in page


def test_a_workbook_with_thousands_of_parts_is_too_large_once_unpacked(client_for, pokja_a):
    import zipfile

    content = _workbook_with({}, count=2000)
    parts = len(zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert parts > 2000
    page = refused_at_upload(client_for(pokja_a), content)
    assert (
        f"Berkas terlalu besar setelah dibuka: berisi 2.00{parts - 2000} bagian (batasnya 500)."
        + ADVICE
    ) in page


def test_an_empty_upload_is_refused_by_the_form(client_for, pokja_a):
    response = client_for(pokja_a).post(
        reverse("coordination:import"),
        {"kind": "activities", "file": f.xlsx_upload(None, content=b"")},
    )
    assert response.status_code == 200
    assert "Berkas yang dikirimkan kosong." in response.content.decode()
    assert not ImportBatch.objects.exists() and not Job.objects.exists()


def test_a_damaged_workbook_is_refused_without_a_500(client_for, pokja_a, site_a):
    good = f.xlsx_bytes([ACT, act_row(site_a)])
    batch = upload(client_for(pokja_a), "activities", content=good[: len(good) // 2])
    assert batch.file_error == NOT_XLSX


def test_a_sheet_damaged_further_down_is_refused_without_a_500(client_for, pokja_a, site_a):
    import zipfile

    good = f.xlsx_many_rows(ACT, [site_a.kelurahan.code, "Judul"], 3)
    src = zipfile.ZipFile(io.BytesIO(good))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":  # row 4 points at a missing shared string
                data = data.replace(b'<row r="4">', b'<row r="4"><c r="J4" t="s"><v>999</v></c>')
            out.writestr(name, data)
    batch = upload(client_for(pokja_a), "activities", content=buf.getvalue())
    assert batch.file_error == NOT_XLSX


def test_formulas_are_errors_and_never_evaluated(client_for, pokja_a, site_a):
    rows = [
        ACT,
        act_row(site_a, "Rumus", peserta_laki_laki="=2+3"),
        act_row(site_a, '=HYPERLINK("http://contoh.invalid","klik")'),
    ]
    batch = upload(client_for(pokja_a), "activities", rows)
    message = "Sel berisi rumus; ketik nilainya saja (rumus tidak dihitung)."
    assert errors_of(batch) == [(2, "peserta_laki_laki", message), (3, "judul", message)]
    assert not Activity.objects.exists()


def test_macros_are_refused(client_for, pokja_a, site_a):
    content = f.with_macros(f.xlsx_bytes([ACT, act_row(site_a)]))
    batch = upload(client_for(pokja_a), "activities", content=content, name="kegiatan.xlsx")
    assert batch.file_error.startswith("Berkas berisi makro (.xlsm).")


def test_a_file_too_large_is_refused(client_for, pokja_a, site_a, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 1024)
    response = client_for(pokja_a).post(
        reverse("coordination:import"),
        {"kind": "activities", "file": f.xlsx_upload([ACT, act_row(site_a)])},
    )
    assert response.status_code == 200
    assert "batasnya 0 MB" in response.content.decode() or "MB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_header_without_rows(client_for, pokja_a):
    batch = upload(client_for(pokja_a), "activities", [ACT, [None] * len(ACT)])
    assert batch.file_error == "Berkas tidak berisi baris data di bawah nama kolom."


def test_cell_values_are_checked_per_column(client_for, pokja_a, site_a):
    rows = [
        ACT,
        act_row(site_a, "A", fungsi_keluarga="olahraga"),
        act_row(site_a, "B", peserta_perempuan="banyak"),
        act_row(site_a, "C", mitra="Dinas Entah"),
        act_row(site_a, "D", sasaran="remaja, alien"),
    ]
    batch = upload(client_for(pokja_a), "activities", rows)
    got = {(row, col): msg for row, col, msg in errors_of(batch)}
    assert got[2, "fungsi_keluarga"].startswith("“olahraga” tidak termasuk pilihan: keagamaan")
    assert got[3, "peserta_perempuan"] == "Tulis bilangan bulat, bukan “banyak”."
    assert (
        got[4, "mitra"]
        == "Instansi “Dinas Entah” tidak dikenal; gunakan singkatan dari lembar “Kode”."
    )
    assert got[5, "sasaran"].startswith("“alien” tidak termasuk pilihan")


# --------------------------------------------------------------------------------------
# Scope
# --------------------------------------------------------------------------------------
def test_a_pokja_cannot_import_members_into_another_site(client_for, pokja_a, site_b):
    rows = [["kode_kelurahan", "nama", "jabatan"], [site_b.kelurahan.code, "Penyusup", "ketua"]]
    batch = upload(client_for(pokja_a), "members", rows, name="anggota.xlsx")
    assert errors_of(batch)[0][:2] == (2, "kode_kelurahan")
    assert not PokjaMember.objects.filter(name="Penyusup").exists()


def test_a_plain_member_may_not_import_members(client_for, member_a, site_a):
    rows = [["kode_kelurahan", "nama", "jabatan"], [site_a.kelurahan.code, "X", "ketua"]]
    response = client_for(member_a).post(
        reverse("coordination:import"), {"kind": "members", "file": f.xlsx_upload(rows)}
    )
    assert response.status_code == 200
    assert "Masukkan pilihan yang valid" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("role,status", [("viewer_b", 403), ("anonymous", 302), ("pokja_a", 200)])
def test_import_page_access(role, status, cast, client_for):
    assert client_for(cast[role]).get(reverse("coordination:import")).status_code == status


def test_nobody_else_commits_or_sees_someone_elses_import(
    client_for, pokja_a, pokja_b, dinas, site_a
):
    batch = upload(client_for(pokja_a), "activities", [ACT, act_row(site_a)])
    commit = reverse("coordination:import-commit", args=[batch.pk])
    assert client_for(pokja_b).get(batch.get_absolute_url()).status_code == 404
    assert client_for(pokja_b).post(commit).status_code == 404
    assert client_for(dinas).get(batch.get_absolute_url()).status_code == 200
    assert client_for(dinas).post(commit).status_code == 403
    assert not Activity.objects.exists()


def test_a_pokja_cannot_fill_the_agency_column(client_for, pokja_a, site_a, opd_x_agency):
    rows = [ACT + ["instansi_pencatat"], act_row(site_a) + ["DX"]]
    batch = upload(client_for(pokja_a), "activities", rows)
    assert errors_of(batch) == [
        (2, "instansi_pencatat", "Kosongkan kolom ini: kolom ini bukan untuk Anda isi.")
    ]


# --------------------------------------------------------------------------------------
# Members and programs
# --------------------------------------------------------------------------------------
MEM = ["kode_kelurahan", "nama", "jabatan", "telepon", "aktif_dari"]


def test_ketua_imports_members(client_for, pokja_a, site_a):
    code = site_a.kelurahan.code
    rows = [
        MEM,
        [code, "Ibu Sari", "Sekretaris", "081234567890", "01/02/2024"],
        [code, "Pak Budi", "bendahara", None, D(2024, 2, 1)],
    ]
    client = client_for(pokja_a)
    batch = upload(client, "members", rows, name="anggota.xlsx")
    assert batch.status == "checked", batch.errors
    save(client, batch)
    sari = PokjaMember.objects.get(name="Ibu Sari")
    assert (sari.site, sari.position, sari.phone) == (site_a, "sekretaris", "081234567890")
    assert sari.history.get().history_user == pokja_a


def test_member_rows_are_checked(client_for, pokja_a, site_a):
    code = site_a.kelurahan.code
    rows = [
        MEM,
        [code, "A", "bos", None, None],
        [code, "B", "ketua", 81234567890, None],
        [code, "", "ketua", None, None],
    ]
    batch = upload(client_for(pokja_a), "members", rows, name="anggota.xlsx")
    got = errors_of(batch)
    assert got[0][:2] == (2, "jabatan") and "“bos” tidak termasuk pilihan" in got[0][2]
    phone = "Ketik nomor telepon sebagai teks (awali dengan tanda petik ') agar angka 0 di "
    assert got[1] == (3, "telepon", phone + "depan tidak hilang.")
    assert got[2] == (4, "nama", "Bidang ini tidak boleh kosong.")


PROG = ["instansi", "kode_kelurahan", "judul", "mulai", "selesai", "status"]


def test_coordinator_imports_programs_for_their_agency_only(
    client_for, opd_x, opd_x_agency, opd_y_agency, site_a, site_b
):
    codes = f"{site_a.kelurahan.code}, {site_b.kelurahan.code}"
    rows = [
        PROG,
        ["DX", codes, "Posyandu lansia", "01/03/2024", None, "running"],
        ["DY", site_a.kelurahan.code, "Atas nama Y", "01/03/2024", None, "planned"],
        ["DX", site_a.kelurahan.code, "Terbalik", "01/03/2024", "01/01/2024", "planned"],
    ]
    batch = upload(client_for(opd_x), "programs", rows, name="program.xlsx")
    got = errors_of(batch)
    assert got[0][:2] == (3, "instansi") and got[0][2].startswith("Masukkan pilihan yang valid")
    assert got[1] == (4, "—", "Tanggal selesai tidak boleh sebelum tanggal mulai.")
    assert not OPDProgram.objects.exists()
    ok = upload(client_for(opd_x), "programs", [PROG, rows[1]], name="program.xlsx")
    save(client_for(opd_x), ok)
    program = OPDProgram.objects.get()
    assert program.opd == opd_x_agency and set(program.sites.all()) == {site_a, site_b}
    assert program.created_by == opd_x


def test_coordinator_imports_activities_their_agency_ran(client_for, opd_x, opd_x_agency, site_b):
    batch = upload(client_for(opd_x), "activities", [ACT, act_row(site_b, "Penyuluhan DX")])
    save(client_for(opd_x), batch)
    activity = Activity.objects.get()
    assert activity.recorded_by_opd == opd_x_agency
    assert opd_x_agency in activity.agencies.all()


def test_import_page_and_history_run_a_fixed_number_of_queries(client_for, pokja_a, site_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(pokja_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("coordination:import")).status_code == 200
        return len(ctx.captured_queries)

    upload(client, "activities", [ACT, act_row(site_a, "Satu")])
    few = count()
    for i in range(5):
        upload(client, "activities", [ACT, act_row(site_a, f"Lagi {i}")])
    assert count() == few
