"""The activity report's CSV/XLSX downloads read plain values (values_list, names and
agencies per chunk) and the XLSX writer's fast form: the user must get the same file as
the page's model-instance rows gave (kept below as the reference), only their own
activities, and a number of queries that does not grow with the rows."""

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Prefetch
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from activities.models import Activity
from kampungkb.exports import csv_response, xlsx_response
from reports.columns import (
    ACTIVITY_COLUMNS,
    activity_export_display,
    activity_export_rows,
    header_row,
    value_row,
)
from reports.forms import ActivityReportFilterForm

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "reports:activities-export"


@pytest.fixture
def dataset(cast, site_a, site_b, site_c, opd_x_agency):
    """Sites with special characters, activities with 0, 1 and several agencies (one
    without a short name, one whose short name looks like a formula), every status,
    empty optional fields, equal dates."""
    site_b.name = 'Kampung KB "Ñusa" <Indah> & Asri'
    site_b.save()
    plain = f.OPDFactory(name="Puskesmas Ciputat Timur", short_name="")
    formula = f.OPDFactory(name="Badan Rumus", short_name="=SUM(A1)")
    accented = f.OPDFactory(name="Ärzte Dinas", short_name="ÄD")
    specs = [
        (site_a, 'Posyandu <Melati> & "Mawar"', D(2025, 3, 1), "draft", "", [], 0, 0),
        (site_a, "Pelatihan kader – ekonomi café", D(2025, 3, 1), "submitted", "bkb", [plain]),
        (site_b, '=HYPERLINK("http://x")', D(2025, 2, 14), "verified", "pikr", None, 12, 30),
        (site_b, "  spasi di tepi ", D(2024, 12, 31), "returned", "uppka", [formula, plain]),
        (site_c, "Senam\tlansia\r\nbaris", D(2025, 1, 5), "verified", "bkl", [opd_x_agency]),
        (site_c, "-5 peserta", D(2024, 7, 9), "submitted", "", [accented, formula]),
    ]
    every = [plain, formula, accented, opd_x_agency]
    for site, title, date, status, poktan, agencies, *people in specs:
        f.ActivityFactory(
            site=site,
            title=title,
            date=date,
            status=status,
            poktan=poktan,
            category="ekonomi" if poktan else "reproduksi",
            agencies=every if agencies is None else agencies,
            participants_male=people[0] if people else 3,
            participants_female=people[1] if people else 7,
        )
    return cast


def reference_rows(user, params=""):
    """The rows as the export built them before: model instances, the page's columns."""
    form = ActivityReportFilterForm(QueryDict(params), user=user)
    assert form.is_valid(), form.errors
    activities = (
        form.filter(Activity.objects.visible_to(user))
        .select_related("site__kelurahan__kecamatan")
        .prefetch_related(Prefetch("agencies", to_attr="agency_list"))
    )
    return [value_row(ACTIVITY_COLUMNS, a) for a in activities]


def reference_download(fmt, user, params=""):
    header, rows = header_row(ACTIVITY_COLUMNS), reference_rows(user, params)
    if fmt == "csv":
        response = csv_response("x.csv", header, rows)
    else:
        response = xlsx_response("x.xlsx", [(str(translation.gettext("Activities")), header, rows)])
    return b"".join(response.streaming_content)


def cells(content):
    """Every cell as a reader sees it: value, number format, bold."""
    book = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [
            [(c.value, c.number_format, bool(c.font.b)) for c in row] for row in sheet.iter_rows()
        ]
        for sheet in book
    }


def download(client, fmt, params=""):
    response = client.get(reverse(URL, args=[fmt]) + (f"?{params}" if params else ""))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("params", ["", "status=verified", "dari=2025-01-01&sampai=2025-03-01"])
def test_the_downloads_are_the_files_the_model_rows_gave(dataset, client_for, params):
    user = dataset["dinas"]
    client = client_for(user)
    with translation.override("id"):
        assert download(client, "csv", params) == reference_download("csv", user, params)
        got = cells(download(client, "xlsx", params))
        assert got == cells(reference_download("xlsx", user, params))
    if not params:
        assert len(got["Kegiatan"]) == 7


def test_filtered_by_an_agency_the_rows_still_name_all_their_agencies(dataset, client_for):
    user = dataset["dinas"]
    params = "opd=" + str(
        Activity.objects.get(title='=HYPERLINK("http://x")').agencies.get(short_name="DX").pk
    )
    with translation.override("id"):
        got = download(client_for(user), "csv", params)
        assert got == reference_download("csv", user, params)
    rows = list(csv.reader(io.StringIO(got.decode("utf-8-sig"))))[1:]
    several, alone = sorted(row[8] for row in rows)  # the order by name: as the reference
    assert alone == "DX"
    assert set(several.removeprefix("'").split(", ")) == {
        "=SUM(A1)",
        "ÄD",
        "DX",
        "Puskesmas Ciputat Timur",
    }


def test_the_xlsx_holds_these_cells(dataset, client_for):
    """A hand-checked slice, independent of the reference code."""
    with translation.override("id"):
        sheet = cells(download(client_for(dataset["dinas"]), "xlsx"))["Kegiatan"]
    values = [[value for value, _, _ in row] for row in sheet]
    assert values[0] == [
        "Tanggal",
        "Judul",
        "Kampung KB",
        "Kecamatan",
        "Fungsi keluarga",
        "Poktan",
        "Peserta (laki-laki)",
        "Peserta (perempuan)",
        "Instansi dan mitra",
        "Status",
    ]
    assert all(bold for _, _, bold in sheet[0]) and not any(bold for _, _, bold in sheet[1])
    # Newest first; the same date by id, newest first.
    assert [row[1] for row in values[1:3]] == [
        "Pelatihan kader – ekonomi café",
        'Posyandu <Melati> & "Mawar"',
    ]
    first, second = values[1], values[2]
    assert first[0] == datetime.datetime(2025, 3, 1) and sheet[1][0][1] == "dd/mm/yyyy"
    assert first[5:] == ["BKB", 3, 7, "Puskesmas Ciputat Timur", "Diajukan"]
    assert second[4:] == ["Reproduksi", None, 0, 0, None, "Draf"]
    by_title = {row[1]: row for row in values[1:]}
    hyperlink = by_title['\'=HYPERLINK("http://x")']  # text, not a formula
    assert hyperlink[2] == 'Kampung KB "Ñusa" <Indah> & Asri'
    # By name (the database's collation places "Ärzte"), the formula-like one neutralised.
    assert hyperlink[8].startswith("'=SUM(A1), ")
    assert set(hyperlink[8][1:].split(", ")) == {"=SUM(A1)", "ÄD", "DX", "Puskesmas Ciputat Timur"}
    assert hyperlink[9] == "Terverifikasi"
    assert by_title["  spasi di tepi "][8] == "'=SUM(A1), Puskesmas Ciputat Timur"
    assert by_title["'-5 peserta"][3] == "Kecamatan B"
    assert by_title["Senam\tlansia\r\nbaris"][8] == "DX"


def test_rows_across_chunks_are_the_reference_rows(dataset):
    """Chunks of 4 rows: the agencies and the sites' names of each chunk are its own."""
    user = dataset["dinas"]
    form = ActivityReportFilterForm(QueryDict(""), user=user)
    assert form.is_valid()
    display = [d or (lambda v: v) for d in activity_export_display()]
    rows = activity_export_rows(form.filter(Activity.objects.visible_to(user)), chunk_size=4)
    shown = [[show(v) for show, v in zip(display, row, strict=True)] for row in rows]
    # An activity without agencies: None here, "" in the reference; both an empty cell.
    blank = [[None if v == "" else v for v in row] for row in reference_rows(user)]
    assert [[None if v == "" else v for v in row] for row in shown] == blank


@pytest.mark.parametrize(
    ("role", "sites", "count"),
    [("pokja_a", {"Kampung KB A"}, 2), ("viewer_b", {"Kampung KB C"}, 2)],
)
def test_a_scoped_user_exports_only_their_activities(dataset, client_for, role, sites, count):
    client = client_for(dataset[role])
    with translation.override("id"):
        rows = cells(download(client, "xlsx"))["Kegiatan"][1:]
        csv_rows = list(csv.reader(io.StringIO(download(client, "csv").decode("utf-8-sig"))))
    assert {row[2][0] for row in rows} == {row[2] for row in csv_rows[1:]} == sites
    assert len(rows) == len(csv_rows) - 1 == count


def test_the_number_of_queries_does_not_grow_with_the_rows(dataset, client_for, site_a):
    client = client_for(dataset["dinas"])

    def queries(fmt):
        with CaptureQueriesContext(connection) as captured:
            download(client, fmt)
        return len(captured)

    before = {fmt: queries(fmt) for fmt in ("xlsx", "csv")}
    for n in range(30):
        site = f.KampungKBFactory()  # a new site, kelurahan and kecamatan for each
        f.ActivityFactory(site=site, title=f"Baru {n}", agencies=[f.OPDFactory()])
    f.ActivityFactory(site=site_a, agencies=[f.OPDFactory() for _ in range(5)])
    after = {fmt: queries(fmt) for fmt in ("xlsx", "csv")}
    assert after == before
    assert max(after.values()) <= 16  # session, user, form, rows, sites, agencies (+ savepoints)


def test_benchmark_prints_rows_per_second_and_peak_memory_last(dataset, settings):
    settings.EXPORT_JOB_THRESHOLD_ROWS = 1  # the writer is measured, never an export job
    out = io.StringIO()
    call_command("benchmark", "--activity-export-only", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert re.fullmatch(r"export_rows_per_s=\d+ peak_mb=\d+", last)
    assert "rows=6 " in out.getvalue()
