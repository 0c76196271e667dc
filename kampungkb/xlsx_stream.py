"""A streamed XLSX writer: the first bytes leave while the rows are still being read.

openpyxl's write-only workbook keeps memory flat but finishes the whole file in a
temporary file before anything can be sent; an export of millions of activities then
waits minutes for its first byte (and the proxy may time out). Here each sheet is XML
written row by row into a ZIP stream (stream-zip), with only the few parts an XLSX needs:
inline strings (no shared-string table to hold in memory), three cell styles (bold
header, highlighted cell, dd/mm/yyyy dates) and as many sheets as it takes: a sheet holds
at most 1,048,576 rows, so longer tables continue on "Title (2)", "Title (3)", …

A sheet given a renderer per column (``(title, header, rows, renderers)``) is written the
fast way: each column keeps its values' rendered cells in a dict (a date, a name, a status
comes back thousands of times) and a row is the join of its cells from those dicts,
hundreds of rows encoded at once — a national export writes tens of thousands of rows a
second where a function per cell wrote a few thousand.
"""

from __future__ import annotations

import datetime
import decimal
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, count, islice
from operator import getitem
from xml.sax.saxutils import escape

from stream_zip import ZIP_32, stream_zip

MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_EPOCH = datetime.datetime(1899, 12, 30)
# Deflate level 1: the XML's repetition still compresses it ~8×; level 9 (stream-zip's
# default) made the compressor alone cap an export at ~12,000 rows/s, for a file ~30% smaller.
COMPRESS_LEVEL = 1
BATCH_ROWS = 500  # rows encoded and handed to the compressor at once
CACHE_LIMIT = 50_000  # rendered cells kept per column (emptied when full: memory stays flat)

# Style ids (cellXfs order in STYLES): 0 plain, 1 bold, 2 highlighted, 3 date, 4 date+time.
PLAIN, BOLD, HIGHLIGHT, DATE, DATETIME = range(5)

CONTENT_TYPES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFF3CD"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = _BAD_TITLE.sub(" ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.lower())
    return name


def cell_tail(value, style: int = PLAIN) -> str:
    """A ``<c>`` element after its ``<c r="A1"``. ``value`` is already made safe (see
    kampungkb.exports.safe_cell); empty: a cell without a value."""
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f"{s}/>"
    if isinstance(value, bool):
        return f'{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | decimal.Decimal):
        return f"{s}><v>{value}</v></c>"
    if isinstance(value, datetime.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH) / datetime.timedelta(days=1)
        return f' s="{style if style != PLAIN else DATETIME}"><v>{serial:.10f}</v></c>'
    if isinstance(value, datetime.date):
        serial = (value - _EPOCH.date()).days
        return f' s="{style if style != PLAIN else DATE}"><v>{serial}</v></c>'
    return text_tail(str(value), s)


def text_tail(text: str, s: str = "") -> str:
    """``cell_tail`` of a non-empty text (the fast form's renderers call it directly)."""
    # A lone CR would be read back as LF (XML end-of-line handling): written as &#13;.
    text = escape(_ILLEGAL_XML.sub("", text)).replace("\r", "&#13;")
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell(ref: str, value, style: int = PLAIN) -> str:
    """One <c> element; none for an empty, unstyled value."""
    if (value is None or value == "") and not style:
        return ""
    return f'<c r="{ref}"{cell_tail(value, style)}'


class CellCache(dict):
    """value → ``render(value)``, rendered once per distinct value; emptied when it holds
    ``CACHE_LIMIT`` values (a column of unique titles must not keep them all)."""

    def __init__(self, render: Callable[[object], str]):
        super().__init__()
        self.render = render

    def __missing__(self, value):
        if len(self) >= CACHE_LIMIT:
            self.clear()
        tail = self[value] = self.render(value)
        return tail


def _row(number: int, cells: Sequence, letters: list[str], style: int | None = None) -> bytes:
    parts = [f'<row r="{number}">']
    for i, item in enumerate(cells):
        while i >= len(letters):
            letters.append(column_letter(len(letters)))
        value, cell_style = item if isinstance(item, tuple) else (item, PLAIN)
        parts.append(_cell(f"{letters[i]}{number}", value, style or cell_style))
    parts.append("</row>")
    return "".join(parts).encode()


def _generic_batch(letters):
    def render(start: int, batch: list) -> bytes:
        return b"".join(_row(n, cells, letters) for n, cells in zip(count(start), batch))

    return render


def _fast_batch(renderers: Sequence[Callable[[object], str]]):
    """Rows of exactly ``len(renderers)`` plain values; ``renderers[i]`` gives the cell
    tail (``cell_tail``) of a value of column i. Each column's cache holds its values'
    whole ``<c>`` elements with NUL for the row number (XML has no NUL: ``cell_tail``
    drops it), so a row is two C calls: join the cached cells, put the number in."""

    def cached(i, render):
        head = ('<row r="\0">' if i == 0 else "") + f'<c r="{column_letter(i)}\0"'
        tail = "</row>" if i == len(renderers) - 1 else ""
        return CellCache(lambda value: head + render(value) + tail)

    caches = [cached(i, render) for i, render in enumerate(renderers)]

    def render(start: int, batch: list) -> bytes:
        return "".join(
            [
                "".join(map(getitem, caches, cells)).replace("\0", n)
                for n, cells in zip(map(str, range(start, start + len(batch))), batch, strict=True)
            ]
        ).encode()

    return render


def _sheet_xml(header: Sequence, rows: Iterator, first_row, letters, render) -> Iterator[bytes]:
    """One sheet: the header, ``first_row`` (read already, to know the sheet is needed)
    and the following rows until the sheet is full (MAX_ROWS in all)."""
    yield SHEET_HEAD
    yield _row(1, header, letters, BOLD)
    rows = chain([first_row], islice(rows, MAX_ROWS - 2))
    number = 2
    while batch := list(islice(rows, BATCH_ROWS)):
        yield render(number, batch)
        number += len(batch)
    yield SHEET_TAIL


def stream_xlsx(sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]]) -> Iterator[bytes]:
    """The bytes of an XLSX file. ``sheets`` yields ``(title, header, rows)``; a row is a
    sequence of values or ``(value, style)`` pairs (``HIGHLIGHT``). Values must already be
    safe (formula-like text neutralised): this module writes what it is given.

    ``(title, header, rows, renderers)``: the fast form (module docstring); a row is a
    sequence of exactly one value per renderer, ``renderer(value)`` its ``cell_tail``."""
    titles: list[str] = []
    used: set[str] = set()

    def members():
        modified = datetime.datetime.now()
        number = 0
        for title, header, rows, *renderers in sheets:
            rows = iter(rows)
            part = 1
            while True:
                first = next(rows, None)
                if first is None and part > 1:
                    break  # the previous sheet ended exactly at the limit
                number += 1
                titles.append(sheet_title(title if part == 1 else f"{title} ({part})", used))
                letters: list[str] = []
                render = _fast_batch(*renderers) if renderers else _generic_batch(letters)
                chunks = (
                    _sheet_xml(header, rows, first, letters, render)
                    if first is not None
                    else iter([SHEET_HEAD, _row(1, header, letters, BOLD), SHEET_TAIL])
                )
                yield f"xl/worksheets/sheet{number}.xml", modified, 0o600, ZIP_32, chunks
                if first is None:
                    break
                part += 1
        if not titles:  # a workbook needs one sheet
            number = 1
            titles.append("Sheet")
            yield "xl/worksheets/sheet1.xml", modified, 0o600, ZIP_32, [SHEET_HEAD, SHEET_TAIL]
        # Written last: only now is the number of sheets known (readers use the central
        # directory at the end of the ZIP, so the order of the parts does not matter).
        yield "xl/workbook.xml", modified, 0o600, ZIP_32, [_workbook(titles)]
        yield "xl/_rels/workbook.xml.rels", modified, 0o600, ZIP_32, [_workbook_rels(titles)]
        yield "xl/styles.xml", modified, 0o600, ZIP_32, [STYLES.encode()]
        yield "_rels/.rels", modified, 0o600, ZIP_32, [ROOT_RELS.encode()]
        yield "[Content_Types].xml", modified, 0o600, ZIP_32, [_content_types(titles)]

    return stream_zip(
        members(),
        get_compressobj=lambda: zlib.compressobj(wbits=-zlib.MAX_WBITS, level=COMPRESS_LEVEL),
    )


def _workbook(titles) -> bytes:
    sheets = "".join(
        f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, t in enumerate(titles, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{sheets}</sheets></workbook>"
    ).encode()


def _workbook_rels(titles) -> bytes:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(titles) + 1)
    )
    n = len(titles) + 1
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
    ).encode()


def _content_types(titles) -> bytes:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(titles) + 1)
    )
    return (CONTENT_TYPES_HEAD + sheets + "</Types>").encode()
