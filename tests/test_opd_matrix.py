"""The OPD × site matrix: figures on known data, scope, XLSX, bounded queries."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports.opd_matrix import build_matrix
from villages.boundaries import payload

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
PERIOD = {"start": "2024-01-01", "end": "2024-12-31"}


@pytest.fixture
def known(opd_x_agency, opd_y_agency, site_a, site_b, site_c):
    x, y = opd_x_agency, opd_y_agency
    f.OPDProgramFactory(opd=x, sites=[site_a], starts_on=D(2024, 1, 1), ends_on=D(2024, 6, 30))
    f.OPDProgramFactory(opd=x, sites=[site_b], starts_on=D(2025, 1, 1))  # after the period
    f.OPDProgramFactory(opd=y, sites=[site_a, site_c], starts_on=D(2023, 5, 1))  # still running
    f.ActivityFactory(site=site_b, date=D(2024, 3, 10), status="verified", agencies=[y])
    f.ActivityFactory(site=site_c, date=D(2024, 3, 10), status="draft", agencies=[x])  # no
    # Recorded by X without X among its agencies: still X's presence, counted once.
    f.ActivityFactory(site=site_c, date=D(2024, 2, 1), status="verified", recorded_by_opd=x)
    f.ActivityFactory(site=site_a, date=D(2023, 12, 31), status="verified", agencies=[x])  # no
    f.ActivityFactory(site=site_a, date=D(2024, 4, 1), status="verified", agencies=[x, y])
    # Recorded by X *and* listed: one activity, not two.
    f.ActivityFactory(
        site=site_a, date=D(2024, 5, 1), status="verified", agencies=[x], recorded_by_opd=x
    )
    return x, y


def _grid(matrix):
    return {
        str(row.agency): {
            site.name: (cell.programs, cell.activities)
            for site, cell in zip(matrix.sites, row.cells, strict=True)
        }
        for row in matrix.rows
    }


def test_figures_on_known_data(known, dinas, site_a, site_b, site_c):
    matrix = build_matrix(dinas, D(2024, 1, 1), D(2024, 12, 31))
    grid = _grid(matrix)
    assert grid["DX"] == {site_a.name: (1, 2), site_b.name: (0, 0), site_c.name: (0, 1)}
    assert grid["DY"] == {site_a.name: (1, 1), site_b.name: (0, 1), site_c.name: (1, 0)}
    rows = {str(r.agency): r.present_count for r in matrix.rows}
    assert rows["DX"] == 2 and rows["DY"] == 3
    assert sum(rows.values()) == 5  # no other agency is anywhere
    totals = dict(zip([s.name for s in matrix.sites], matrix.site_totals, strict=True))
    assert totals == {site_a.name: 2, site_b.name: 1, site_c.name: 2}
    assert matrix.present_pairs == 5


def test_each_user_sees_the_columns_of_their_sites(known, pokja_a, viewer_b, opd_x, site_a, site_c):
    assert [s.name for s in build_matrix(pokja_a, D(2024, 1, 1), D(2024, 12, 31)).sites] == [
        site_a.name
    ]
    matrix = build_matrix(viewer_b, D(2024, 1, 1), D(2024, 12, 31))
    assert [s.name for s in matrix.sites] == [site_c.name]
    assert _grid(matrix)["DX"] == {site_c.name: (0, 1)}
    assert len(build_matrix(opd_x, D(2024, 1, 1), D(2024, 12, 31)).sites) == 3


def test_page_highlights_absent_agencies(known, client_for, dinas, kec_b):
    body = client_for(dinas).get(reverse("reports:opd-matrix"), PERIOD).content.decode()
    assert "Matriks OPD × Kampung KB" in body
    assert "kkb-absent" in body and "tidak hadir" in body
    assert "1&nbsp;P" in body and "2&nbsp;K" in body
    filtered = (
        client_for(dinas)
        .get(reverse("reports:opd-matrix"), {**PERIOD, "kecamatan": kec_b.pk})
        .content.decode()
    )
    assert "Kampung KB C" in filtered and "Kampung KB A" not in filtered


def test_bad_period_is_explained(client_for, dinas):
    response = client_for(dinas).get(
        reverse("reports:opd-matrix"), {"start": "2024-12-31", "end": "2024-01-01"}
    )
    assert response.status_code == 200
    assert "Akhir periode tidak boleh sebelum awalnya." in response.content.decode()
    response = client_for(dinas).get(
        reverse("reports:opd-matrix"), {"start": "31-31-2024", "end": "kemarin"}
    )
    assert response.status_code == 200


def test_xlsx_holds_the_same_figures(known, client_for, dinas, site_a, site_b, site_c):
    response = client_for(dinas).get(reverse("reports:opd-matrix"), {**PERIOD, "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[1:4] == (site_a.name, site_b.name, site_c.name)
    by_agency = {r[0]: r[1:] for r in rows[1:]}
    assert by_agency["Dinas X"] == (3, 0, 1, 2)
    assert by_agency["Dinas Y"] == (2, 1, 1, 3)
    assert by_agency["Jumlah instansi yang hadir"][:3] == (2, 1, 2)
    # Absent cells are highlighted.
    x_row = next(row for row in sheet.iter_rows() if row[0].value == "Dinas X")
    assert x_row[2].fill.fgColor.rgb.endswith("FFF3CD")
    assert x_row[1].fill.fill_type is None
    assert book.worksheets[1].max_row > 1  # the details sheet


def test_xlsx_is_scoped_like_the_page(known, client_for, pokja_b, site_b):
    response = client_for(pokja_b).get(reverse("reports:opd-matrix"), {**PERIOD, "format": "xlsx"})
    header = next(
        load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert header[1:-1] == (site_b.name,)


@pytest.mark.parametrize(
    "role,status",
    [("anonymous", 302), ("dinas", 200), ("pokja_a", 200), ("viewer_b", 200), ("opd_x", 200)],
)
def test_role_matrix(role, status, cast, client_for):
    assert client_for(cast[role]).get(reverse("reports:opd-matrix")).status_code == status


def test_query_count_does_not_grow(
    client_for, dinas, kec_a, opd_x_agency, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build(n):
        for _ in range(n):
            site = f.KampungKBFactory(kelurahan__kecamatan=kec_a)
            agency = f.OPDFactory()
            f.OPDProgramFactory(opd=agency, sites=[site], starts_on=D(2024, 2, 1))
            f.ActivityFactory(
                site=site, date=D(2024, 3, 1), status="verified", agencies=[agency, opd_x_agency]
            )

    client = client_for(dinas)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("reports:opd-matrix"), PERIOD).status_code == 200
        return len(ctx.captured_queries)

    build(2)
    few = count()
    build(20)
    assert count() == few
    with django_assert_max_num_queries(15):
        client.get(reverse("reports:opd-matrix"), {**PERIOD, "format": "xlsx"})


def test_site_page_agency_panel_runs_a_fixed_number_of_queries(
    client_for, dinas, site_a, opd_x_agency
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build(n):
        for i in range(n):
            agency = f.OPDFactory()
            f.OPDProgramFactory(opd=agency, sites=[site_a], title=f"Program {i}")
            f.ActivityFactory(
                site=site_a, status="verified", recorded_by_opd=agency, agencies=[opd_x_agency]
            )
            f.UsulanFactory(site=site_a, opd=agency)

    client = client_for(dinas)
    url = reverse("villages:site-detail", args=[site_a.pk])
    payload()  # the maps' boundaries: built once per installation, not per page

    def count():
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url).content.decode()
        return len(ctx.captured_queries), body

    build(1)
    few, _body = count()
    build(12)
    many, body = count()
    assert few == many
    assert "Program 11" in body and "DX" in body


# --- What the user gave and the matrix does not use is said, never silently dropped -------
def notices(response):
    import re

    return re.findall(r'alert-warning" role="status">([^<]*)<', response.content.decode())


def matrix_page(client, **query):
    response = client.get(reverse("reports:opd-matrix"), query)
    assert response.status_code == 200
    return response


def test_a_filter_without_dates_is_applied_over_the_default_period(known, client_for, dinas, kec_b):
    response = matrix_page(client_for(dinas), kecamatan=kec_b.pk)
    body = response.content.decode()
    # It used to be dropped because no start date was given: every site showed.
    assert "Kampung KB C" in body and "Kampung KB A" not in body
    assert notices(response) == []


def test_a_bad_period_is_not_used_and_the_page_says_which_period_shows(
    known, client_for, dinas, kec_b
):
    from reports.opd_matrix import default_period

    start, end = default_period()
    response = matrix_page(
        client_for(dinas), start="2024-12-31", end="2024-01-01", kecamatan=kec_b.pk
    )
    assert notices(response) == [
        "Periode yang Anda isi tidak dipakai (lihat pesan di bawah tanggal): matriks menampilkan "
        f"{start:%d/%m/%Y} sampai {end:%d/%m/%Y}."
    ]
    body = response.content.decode()
    assert "Akhir periode tidak boleh sebelum awalnya." in body
    # The valid kecamatan filter still applies.
    assert "Kampung KB C" in body and "Kampung KB A" not in body


def test_a_refused_filter_is_named(known, client_for, pokja_a, kec_b):
    # Kecamatan B has no site Pokja A may see: refused, and the page says so.
    response = matrix_page(client_for(pokja_a), **PERIOD, kecamatan=kec_b.pk, kind="bogus")
    assert notices(response) == [
        "Filter “Kecamatan” tidak dipakai pada matriks ini (lihat pesan di bawahnya).",
        "Filter “Jenis instansi” tidak dipakai pada matriks ini (lihat pesan di bawahnya).",
    ]
    assert "Kampung KB A" in response.content.decode()


def test_a_parameter_the_matrix_does_not_have_is_named(known, client_for, dinas):
    response = matrix_page(client_for(dinas), **PERIOD, kota="1", format="html")
    assert notices(response) == [
        "Filter “kota” tidak dipakai pada matriks ini: matriks ini tidak memiliki filter tersebut."
    ]
    assert notices(matrix_page(client_for(dinas), **PERIOD)) == []
    hostile = matrix_page(client_for(dinas), **PERIOD, **{"<script>x</script>": "1"})
    assert "<script>x</script>" not in hostile.content.decode()
    assert "&lt;script&gt;" in notices(hostile)[0]
