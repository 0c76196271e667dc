"""Streaming CSV and XLSX responses shared by every export.

Exports contain exactly what the page shows, from the same scoped queryset. Cells that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab, CR or LF)
are neutralised with a leading apostrophe (CSV/formula injection, OWASP), and every CSV
field is quoted.
"""

import csv
import datetime
import decimal
import tempfile
from collections.abc import Iterable, Sequence

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Highlight:
    """A value shown on a highlighted (yellow) background in XLSX exports, e.g. the empty
    cells of a matrix; CSV exports write the plain value."""

    def __init__(self, value):
        self.value = value


def safe_cell(value):
    """A value safe to put in a CSV/XLSX cell: numbers and dates as they are, text that
    starts like a formula prefixed with an apostrophe."""
    if isinstance(value, Highlight):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, int | float | decimal.Decimal | datetime.date | datetime.datetime):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            from django.utils import timezone

            return timezone.localtime(value).replace(tzinfo=None)
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]):
    """A streamed CSV download (UTF-8 with BOM so Excel shows Indonesian text correctly).
    ``rows`` should be a generator over ``.iterator()`` so memory stays flat."""
    # Every field quoted: Excel with Indonesian regional settings splits on ";", and an
    # unquoted "a;=cmd" would open as a second cell starting with "=".
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def stream():
        yield "\ufeff"
        yield writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([_csv_text(safe_cell(v)) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    # Quoted/encoded by Django: a site name with quotes cannot break the header.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _csv_text(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return value


def xlsx_response(filename: str, sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]]):
    """An XLSX download built with openpyxl's write-only mode (rows are streamed to a
    temporary file, so memory stays flat for any number of rows). ``sheets`` yields
    ``(title, header, rows)``."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([_bold(sheet, h) for h in header])
        for row in rows:
            sheet.append(
                [_highlighted(sheet, v) if isinstance(v, Highlight) else safe_cell(v) for v in row]
            )
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(tmp)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def _bold(sheet, value):
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    cell.font = Font(bold=True)
    return cell


def _highlighted(sheet, value):
    from openpyxl.styles import PatternFill

    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    cell.fill = PatternFill("solid", start_color="FFF3CD")
    return cell
