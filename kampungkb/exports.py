"""Streaming CSV and XLSX responses shared by every export.

Exports contain exactly what the page shows, from the same scoped queryset. Cells that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab, CR or LF)
are neutralised with a leading apostrophe (CSV/formula injection, OWASP), and every CSV
field is quoted.
"""

import csv
import datetime
import decimal
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection, transaction
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from .xlsx_stream import HIGHLIGHT, cell_tail, stream_xlsx, text_tail

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


def read_in_transaction(rows: Iterable) -> Iterator:
    """``rows`` read inside one transaction on PostgreSQL.

    A download is streamed after the view has returned, outside the request's
    transaction. There, ``QuerySet.iterator()`` opens a server-side cursor ``WITH HOLD``,
    which PostgreSQL fills with the *whole* result before the first row comes back (and
    keeps in temporary files). Inside a transaction the cursor streams. Not on SQLite,
    where a long read transaction would hold back writers."""
    if connection.vendor != "postgresql":
        yield from rows
        return
    with transaction.atomic():
        yield from rows


class _Echo:
    def write(self, value):
        return value


Display = Sequence[Callable | None]


def csv_chunks(header: Sequence, rows: Iterable[Sequence], display: Display | None = None):
    """The text of a CSV download, piece by piece (see ``csv_response``); a streamed
    response and an export job's file are written from the same pieces."""
    # Every field quoted: Excel with Indonesian regional settings splits on ";", and an
    # unquoted "a;=cmd" would open as a second cell starting with "=".
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff"
    yield writer.writerow([safe_cell(h) for h in header])
    if display:
        shown = [f or _same for f in display]
        for row in read_in_transaction(rows):
            cells = [_csv_text(safe_cell(f(v))) for f, v in zip(shown, row, strict=True)]
            yield writer.writerow(cells)
        return
    for row in read_in_transaction(rows):
        yield writer.writerow([_csv_text(safe_cell(v)) for v in row])


def csv_response(
    filename: str, header: Sequence, rows: Iterable[Sequence], display: Display | None = None
):
    """A streamed CSV download (UTF-8 with BOM so Excel shows Indonesian text correctly).
    ``rows`` should be a generator over ``.iterator()`` so memory stays flat. ``display``:
    per column, None or a function from the stored value to the shown one (a choice's
    label)."""
    response = StreamingHttpResponse(
        csv_chunks(header, rows, display), content_type="text/csv; charset=utf-8"
    )
    # Quoted/encoded by Django: a site name with quotes cannot break the header.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _csv_text(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return value


def _same(value):
    return value


def _renderer(display):
    """The cell of a stored value: shown (``display``), made safe, rendered. The writer
    calls it once per distinct value of the column: for each row in a column of unique
    titles, hence the shorter way for text (``safe_cell`` and ``cell_tail`` in one)."""
    display = display or _same

    def render(value):
        value = display(value)
        if type(value) is str and value:
            return text_tail("'" + value if value.startswith(FORMULA_PREFIXES) else value)
        return cell_tail(safe_cell(value))

    return render


def xlsx_chunks(sheets: Iterable[tuple]) -> Iterator[bytes]:
    """The bytes of an XLSX download (see ``xlsx_response``); a streamed response and an
    export job's file are written from the same bytes."""

    def safe_sheets():
        for title, header, rows, *display in sheets:
            if display:
                yield (
                    title,
                    [safe_cell(h) for h in header],
                    read_in_transaction(rows),
                    [_renderer(f) for f in display[0]],
                )
                continue
            yield (
                title,
                [safe_cell(h) for h in header],
                (
                    [
                        (safe_cell(v), HIGHLIGHT) if isinstance(v, Highlight) else safe_cell(v)
                        for v in row
                    ]
                    for row in read_in_transaction(rows)
                ),
            )

    return stream_xlsx(safe_sheets())


def xlsx_response(filename: str, sheets: Iterable[tuple]):
    """A streamed XLSX download (kampungkb.xlsx_stream): the first bytes are sent while
    the rows are still being read, memory stays flat for any number of rows, and a table
    longer than a sheet's 1,048,576 rows continues on the next sheet. ``sheets`` yields
    ``(title, header, rows)``, or ``(title, header, rows, display)`` for rows of plain
    values (no ``Highlight``), one per entry of ``display`` (see ``csv_response``): the
    writer's fast form, each distinct value of a column made safe and rendered once."""
    response = StreamingHttpResponse(xlsx_chunks(sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
