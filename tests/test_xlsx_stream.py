"""The streamed XLSX writer behind every XLSX export: the file opens in a spreadsheet
reader with the right values and formats, the first bytes leave before the rows are all
read, and a table longer than a sheet continues on the next sheet."""

import datetime
import decimal
import io
import zipfile

import pytest
from django.db import connection
from openpyxl import load_workbook

from kampungkb import xlsx_stream
from kampungkb.exports import Highlight, csv_response, xlsx_response
from kampungkb.xlsx_stream import HIGHLIGHT, sheet_title, stream_xlsx


def workbook(chunks):
    data = b"".join(chunks)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    return load_workbook(io.BytesIO(data))


def values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_values_formats_and_styles_survive_a_round_trip():
    when = datetime.datetime(2026, 11, 28, 9, 30)
    rows = [
        ['Posyandu <Melati> & "Mawar"', 12, decimal.Decimal("3.25"), datetime.date(2026, 1, 31)],
        ["  spasi di tepi ", -4, 0.5, when],
        ["kontrol\x00\x07 dibuang", None, ("kosong", HIGHLIGHT), True],
    ]
    book = workbook(stream_xlsx([("Kegiatan", ["Judul", "Jumlah", "Indeks", "Tanggal"], rows)]))
    sheet = book["Kegiatan"]
    got = values(sheet)
    assert got[0] == ["Judul", "Jumlah", "Indeks", "Tanggal"]
    assert got[1][:3] == ['Posyandu <Melati> & "Mawar"', 12, 3.25]
    assert got[1][3] == datetime.datetime(2026, 1, 31)
    assert got[2] == ["  spasi di tepi ", -4, 0.5, when]
    assert got[3] == ["kontrol dibuang", None, "kosong", True]
    assert sheet["A1"].font.b is True and sheet["A2"].font.b is not True
    assert sheet["D2"].number_format == "dd/mm/yyyy"
    assert sheet["D3"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet["C4"].fill.fgColor.rgb.endswith("FFF3CD")
    assert sheet["A4"].fill.fill_type is None
    assert sheet.freeze_panes == "A2"


def test_a_long_table_continues_on_the_next_sheet(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 5)  # header + 4 rows per sheet
    book = workbook(stream_xlsx([("Kegiatan", ["No"], ([n] for n in range(1, 10)))]))
    assert book.sheetnames == ["Kegiatan", "Kegiatan (2)", "Kegiatan (3)"]
    assert [values(book[name]) for name in book.sheetnames] == [
        [["No"], [1], [2], [3], [4]],
        [["No"], [5], [6], [7], [8]],
        [["No"], [9]],
    ]
    # Exactly full: no empty sheet after it.
    book = workbook(stream_xlsx([("Data", ["No"], ([n] for n in range(8))), ("Lain", ["x"], [])]))
    assert book.sheetnames == ["Data", "Data (2)", "Lain"]
    assert values(book["Lain"]) == [["x"]]


def test_the_first_bytes_leave_before_the_rows_are_all_read():
    read = []

    def rows():
        for n in range(50_000):
            read.append(n)
            yield [n, f"Kegiatan {n}", datetime.date(2026, 1, 1)]

    chunks = stream_xlsx([("Kegiatan", ["No", "Judul", "Tanggal"], rows())])
    first = next(chunks)
    assert first.startswith(b"PK")
    assert len(read) < 5_000  # the download has begun; the table is still being read
    data = first + b"".join(chunks)
    assert len(read) == 50_000
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert sheet.count(b"<row ") == 50_001
    assert b"<t>Kegiatan 49999</t>" in sheet


def test_sheet_titles_are_valid_and_unique():
    used = set()
    assert sheet_title("Laporan: 01/2026 [draf]?", used) == "Laporan  01 2026  draf"
    assert sheet_title("x" * 40, used) == "x" * 31
    assert sheet_title("X" * 40, used) == "X" * 27 + " (2)"  # Excel ignores case
    assert len(used) == 3
    book = workbook(stream_xlsx([("Data", ["a"], [[1]]), ("data", ["b"], [[2]])]))
    assert book.sheetnames == ["Data", "data (2)"]


def cells(book):
    return {
        sheet.title: [
            [(c.value, c.number_format, bool(c.font.b)) for c in row] for row in sheet.iter_rows()
        ]
        for sheet in book
    }


@pytest.mark.django_db
def test_the_fast_form_writes_the_cells_the_generic_one_writes(monkeypatch):
    """Rows of plain values with a display per column (the national activity export):
    the same cells, also when a column's cache is emptied and across sheets."""
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 4)
    monkeypatch.setattr(xlsx_stream, "CACHE_LIMIT", 2)
    labels = {"v": "Terverifikasi", "d": "=Draf"}
    when = datetime.datetime(2026, 11, 28, 9, 30)
    rows = [
        [datetime.date(2026, 1, 31), 'A <b> & "c"', 12, decimal.Decimal("3.25"), "v", None],
        [datetime.date(2026, 1, 31), "  tepi ", 0, 0.5, "d", when],
        [datetime.date(2025, 12, 1), "", -4, None, "x", True],
        [None, "=1+1", 12, 1, "v", "baris\r\nbaru \x07"],
        [datetime.date(2026, 1, 31), "Ñ café", 7, 2, "d", ""],
    ]
    header = ["Tanggal", "Judul", "Jumlah", "Indeks", "Status", "Lain"]
    display = [None, None, None, None, lambda v: labels.get(v, v), None]
    shown = [[labels.get(v, v) if i == 4 else v for i, v in enumerate(r)] for r in rows]
    fast = xlsx_response("x.xlsx", [("Data", header, iter(rows), display)])
    generic = xlsx_response("x.xlsx", [("Data", header, shown)])
    got = cells(workbook(fast.streaming_content))
    assert got == cells(workbook(generic.streaming_content))
    assert list(got) == ["Data", "Data (2)"]
    assert [c[0] for c in got["Data (2)"][2]] == [
        datetime.datetime(2026, 1, 31),
        "Ñ café",
        7,
        2,
        "'=Draf",
        None,
    ]
    # Empty values: empty cells, without the format of their column.
    assert got["Data (2)"][1][0][:2] == (None, "General")
    assert got["Data"][3][1][0] is None and got["Data"][3][3][0] is None


def test_no_sheets_still_makes_a_valid_workbook():
    assert workbook(stream_xlsx([])).sheetnames == ["Sheet"]


@pytest.mark.django_db
def test_the_response_streams_and_neutralises_formulas():
    response = xlsx_response(
        "uji.xlsx", [("Data", ["=judul"], [["=HYPERLINK(1)", Highlight("+1"), 5]])]
    )
    assert response.streaming
    assert 'filename="uji.xlsx"' in response["Content-Disposition"]
    sheet = workbook(response.streaming_content)["Data"]
    assert values(sheet) == [["'=judul", None, None], ["'=HYPERLINK(1)", "'+1", 5]]
    assert sheet["B2"].fill.fgColor.rgb.endswith("FFF3CD")


@pytest.mark.django_db(transaction=True)
def test_export_rows_are_read_in_one_transaction_on_postgresql():
    """Streamed after the view returned: outside a transaction PostgreSQL would fill a
    WITH HOLD cursor with the whole result before the first row (seconds for a large
    export); SQLite reads without one (a long read would hold back writers)."""
    seen = []

    def rows():
        for n in range(3):
            seen.append(connection.in_atomic_block)
            yield [n]

    b"".join(xlsx_response("x.xlsx", [("Data", ["n"], rows())]).streaming_content)
    b"".join(xlsx_response("x.xlsx", [("Data", ["n"], rows(), [None])]).streaming_content)
    b"".join(csv_response("x.csv", ["n"], rows()).streaming_content)
    assert seen == [connection.vendor == "postgresql"] * 9
    assert not connection.in_atomic_block
