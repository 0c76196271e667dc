"""Spreadsheet (XLSX) imports of Pokja members, activities and OPD programs.

What the city's staff use today is Excel, so the portal reads their files — safely:

* The file must be a real XLSX (checked by its zip/OOXML content, not its name); macro
  workbooks (.xlsm content), zip bombs and files over :data:`MAX_ROWS` rows are refused
  with a clear message. openpyxl reads it in read-only (streaming) mode through
  defusedxml; a cell holding a formula is an error for that row, never a computed value.
* Every row goes through the portal's own form — ``ActivityForm(user=)``,
  ``PokjaMemberForm(site=)``, ``OPDProgramForm(user=)`` — so an import obeys exactly the
  scope and the rules of the phone form and the admin (one validation path).
* A dry run lists every error by row number and column; nothing is saved unless every
  row is valid (all or nothing, re-checked when saving). Each created record's history
  names the import and its user.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kampungkb.scopes import get_scope
from villages.models import KampungKB, Kelurahan

from .forms import ActivityForm, OPDProgramForm, PokjaMemberForm, sites_for_new_activity
from .models import (
    OPD,
    Activity,
    FamilyFunction,
    FundingSource,
    ImportBatch,
    OPDProgram,
    Origin,
    PokjaMember,
    Poktan,
    TargetGroup,
)

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_000
#: What the zip may unpack to, read from its central directory before anything is
#: unpacked (a zip bomb is refused before openpyxl opens it). A directory that understates
#: a size gains nothing: zipfile stops at the stated size and the member fails its CRC.
#: A real 100,000-row sheet unpacks to 46 MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
#: How many times a part may grow when unpacked, once over MIN_RATIO_CHECKED_BYTES: sheets
#: of real data grow about 18 times (even 100,000 identical rows), a bomb a thousand times.
MAX_COMPRESSION_RATIO = 100
MIN_RATIO_CHECKED_BYTES = 1024 * 1024
#: Rows between two progress reports of an import job (each report is one UPDATE).
PROGRESS_ROWS = 200
#: Errors kept for the preview (the count is always complete).
MAX_ERRORS_KEPT = 1000
PREVIEW_ROWS = 10

#: <row> elements a sheet may hold (data rows, plus formatted empty rows) before it is
#: refused unread.
MAX_ROW_ELEMENTS = 5 * MAX_ROWS
SHEET_PATH_RE = re.compile(r"^xl/worksheets/[^/]+\.xml$")
ROW_TAG_RE = re.compile(rb"<(?:\w+:)?row[\s>/]")

XLSX_SIGNATURE = b"PK\x03\x04"
DATE_TEXT_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TIME_TEXT_RE = re.compile(r"^(\d{1,2})[:.](\d{2})$")
LIST_SPLIT_RE = re.compile(r"\s*[,;]\s*")


class FileRefused(Exception):
    """The whole file is refused (not an XLSX, macros, too large, wrong header...)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class CellError(Exception):
    pass


# --------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    header: str  # as written in row 1 of the template (fixed, not translated)
    field: str  # the form field it feeds
    kind: str  # text, phone, date, time, int, choice, multi, site, sites, agency, agencies
    help: str | object  # gettext_lazy: what to write
    required: bool = False
    choices: type | None = None  # a TextChoices class for choice/multi
    default: object = None  # used when the cell is empty


@functools.lru_cache(maxsize=64)
def _choice_map_for(choices, language) -> dict[str, str]:
    mapping = {}
    for code, label in choices.choices:
        mapping[str(code).lower()] = code
        mapping[str(label).strip().lower()] = code
    return mapping


def _choice_map(choices) -> dict[str, str]:
    """Accept a choice's code or its label (any case, in the active language)."""
    return _choice_map_for(choices, get_language())


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _convert(column: Column, value, lookups: Lookups):
    """The cell's value as the form expects it, or CellError with an Indonesian message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return column.default
    kind = column.kind
    if kind == "text":
        return _text(value)
    if kind == "phone":
        if isinstance(value, int | float):
            raise CellError(
                _(
                    "Type the phone number as text (start it with an apostrophe ') so "
                    "that the leading 0 is kept."
                )
            )
        return _text(value)
    if kind == "date":
        return _date(value)
    if kind == "time":
        return _time(value)
    if kind == "int":
        if isinstance(value, bool):
            raise CellError(_("Write a whole number, not “%(value)s”.") % {"value": value})
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = _text(value)
        if text.isdigit():
            return int(text)
        raise CellError(_("Write a whole number, not “%(value)s”.") % {"value": text})
    if kind == "choice":
        return _choice(column, _text(value))
    if kind == "multi":
        return [_choice(column, part) for part in LIST_SPLIT_RE.split(_text(value)) if part]
    if kind == "site":
        return lookups.site(_text(value))
    if kind == "sites":
        return [lookups.site(part) for part in LIST_SPLIT_RE.split(_text(value)) if part]
    if kind == "agency":
        return lookups.agency(_text(value))
    if kind == "agencies":
        return [lookups.agency(part) for part in LIST_SPLIT_RE.split(_text(value)) if part]
    raise ValueError(kind)


def _date(value) -> datetime.date:
    """A real date cell, or text written dd/mm/yyyy; anything else is an error (a text
    "03/25/2025" or "2025-03-25" is not guessed at)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    match = DATE_TEXT_RE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    raise CellError(
        _("Write the date as dd/mm/yyyy (for example 25/03/2025), not “%(value)s”.")
        % {"value": text}
    )


def _time(value) -> datetime.time:
    if isinstance(value, datetime.datetime):
        return value.time()
    if isinstance(value, datetime.time):
        return value
    text = _text(value)
    match = TIME_TEXT_RE.match(text)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return datetime.time(int(match[1]), int(match[2]))
    raise CellError(
        _("Write the time as HH:MM (for example 09:30), not “%(value)s”.") % {"value": text}
    )


def _choice(column: Column, text: str) -> str:
    code = _choice_map(column.choices).get(text.lower())
    if code is None:
        raise CellError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": text, "choices": ", ".join(column.choices.values)}
        )
    return code


class Lookups:
    """Kelurahan codes and agency names resolved once per import (cached), checked against
    the sites the user may import into."""

    def __init__(self, allowed_sites):
        self.allowed_site_ids = set(allowed_sites.values_list("pk", flat=True))
        self._sites: dict[str, int] = {}
        self._agencies = None

    def site(self, code: str) -> int:
        if code not in self._sites:
            self._sites[code] = self._find_site(code)
        site_id = self._sites[code]
        if isinstance(site_id, CellError):
            raise site_id
        return site_id

    def _find_site(self, code):
        kelurahan = Kelurahan.objects.filter(code=code).first()
        if kelurahan is None:
            return CellError(
                _("Unknown kelurahan code “%(code)s” (Kemendagri codes look like 36.74.03.1007).")
                % {"code": code}
            )
        site = KampungKB.objects.active().filter(kelurahan=kelurahan).first()
        if site is None:
            return CellError(
                _("There is no active Kampung KB in kelurahan %(name)s (%(code)s).")
                % {"name": kelurahan.name, "code": code}
            )
        if site.pk not in self.allowed_site_ids:
            return CellError(
                _("You may not import data for %(site)s (kelurahan %(code)s).")
                % {"site": site.name, "code": code}
            )
        return site.pk

    def agency(self, name: str) -> int:
        if self._agencies is None:
            self._agencies = {}
            for pk, full, short in OPD.objects.active().values_list("pk", "name", "short_name"):
                self._agencies[full.lower()] = pk
                if short:
                    self._agencies.setdefault(short.lower(), pk)
        pk = self._agencies.get(name.lower())
        if pk is None:
            raise CellError(
                _("Unknown agency “%(value)s”; use a short name from the “Kode” sheet.")
                % {"value": name}
            )
        return pk


# --------------------------------------------------------------------------------------
# What can be imported
# --------------------------------------------------------------------------------------
@dataclass
class Spec:
    kind: str
    model: type
    columns: tuple[Column, ...]
    sites_for: Callable  # user -> the sites rows may name
    make_form: Callable  # (data, user) -> bound form
    key: Callable  # cleaned_data -> duplicate key
    existing: Callable  # partition (the key's first item) -> the keys already in the portal
    exists_message: object
    describe: Callable  # cleaned_data -> a short text for the preview
    available: Callable  # user -> may import this kind at all
    defaults: dict = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _member_form(data, user):
    site = KampungKB.objects.get(pk=data.pop("site"))
    return PokjaMemberForm(data, site=site)


def _existing_members(site_id):
    return {
        (site_id, name.lower(), position)
        for name, position in PokjaMember.objects.current()
        .filter(site_id=site_id)
        .values_list("name", "position")
    }


def _existing_activities(site_id):
    return {
        (site_id, day, title.lower())
        for day, title in Activity.objects.filter(site_id=site_id).values_list("date", "title")
    }


def _existing_programs(opd_id):
    return {
        (opd_id, title.lower(), start)
        for title, start in OPDProgram.objects.filter(opd_id=opd_id).values_list(
            "title", "starts_on"
        )
    }


def _member_sites(user):
    return KampungKB.objects.editable_by(user).active()


def _program_sites(user):
    return KampungKB.objects.visible_to(user).active()


SITE_HELP = gettext_lazy("Kemendagri kelurahan code of the Kampung KB (see the “Kode” sheet).")

SPECS: dict[str, Spec] = {
    ImportBatch.Kind.MEMBERS: Spec(
        kind=ImportBatch.Kind.MEMBERS,
        model=PokjaMember,
        columns=(
            Column("kode_kelurahan", "site", "site", SITE_HELP, required=True),
            Column("nama", "name", "text", gettext_lazy("Full name."), required=True),
            Column(
                "jabatan",
                "position",
                "choice",
                gettext_lazy("Board position or section (code or name)."),
                required=True,
                choices=PokjaMember.Position,
            ),
            Column("telepon", "phone", "phone", gettext_lazy("Phone number, typed as text.")),
            Column("aktif_dari", "active_from", "date", gettext_lazy("dd/mm/yyyy")),
            Column("aktif_sampai", "active_until", "date", gettext_lazy("dd/mm/yyyy")),
        ),
        sites_for=_member_sites,
        make_form=_member_form,
        key=lambda c, data: (data["site"], c["name"].lower(), c["position"]),
        existing=_existing_members,
        exists_message=gettext_lazy(
            "This person is already a current member of this Pokja in this position."
        ),
        describe=lambda c: f"{c['name']} — {PokjaMember.Position(c['position']).label}",
        available=lambda user: _member_sites(user).exists(),
    ),
    ImportBatch.Kind.ACTIVITIES: Spec(
        kind=ImportBatch.Kind.ACTIVITIES,
        model=Activity,
        columns=(
            Column("kode_kelurahan", "site", "site", SITE_HELP, required=True),
            Column("judul", "title", "text", gettext_lazy("Title of the activity."), True),
            Column("tanggal", "date", "date", gettext_lazy("dd/mm/yyyy"), required=True),
            Column("jam", "start_time", "time", gettext_lazy("HH:MM (optional).")),
            Column("tempat", "place", "text", gettext_lazy("Place.")),
            Column(
                "fungsi_keluarga",
                "category",
                "choice",
                gettext_lazy("One of the 8 family functions (code or name)."),
                required=True,
                choices=FamilyFunction,
            ),
            Column(
                "sasaran",
                "target_groups",
                "multi",
                gettext_lazy("Target groups, separated by commas."),
                choices=TargetGroup,
                default=[],
            ),
            Column("poktan", "poktan", "choice", gettext_lazy("Poktan, if any."), choices=Poktan),
            Column(
                "peserta_laki_laki",
                "participants_male",
                "int",
                gettext_lazy("Number of men."),
                default=0,
            ),
            Column(
                "peserta_perempuan",
                "participants_female",
                "int",
                gettext_lazy("Number of women."),
                default=0,
            ),
            Column(
                "mitra",
                "agencies",
                "agencies",
                gettext_lazy("Agencies and partners involved (short names, commas)."),
                default=[],
            ),
            Column(
                "sumber_dana",
                "funding_source",
                "choice",
                gettext_lazy("Funding source."),
                choices=FundingSource,
            ),
            Column(
                "asal",
                "origin",
                "choice",
                gettext_lazy("Origin of the activity."),
                choices=Origin,
                default=Origin.POKJA,
            ),
            Column(
                "instansi_pencatat",
                "recorded_by_opd",
                "agency",
                gettext_lazy("For OPD coordinators: the agency that ran it (short name)."),
            ),
            Column("deskripsi", "description", "text", gettext_lazy("Description.")),
        ),
        sites_for=sites_for_new_activity,
        make_form=lambda data, user: ActivityForm(data, user=user),
        key=lambda c, data: (c["site"].pk, c["date"], c["title"].lower()),
        existing=_existing_activities,
        exists_message=gettext_lazy(
            "This activity is already in the portal (same site, date and title)."
        ),
        describe=lambda c: f"{c['date']:%d/%m/%Y} — {c['site']} — {c['title']}",
        available=lambda user: sites_for_new_activity(user).exists(),
    ),
    ImportBatch.Kind.PROGRAMS: Spec(
        kind=ImportBatch.Kind.PROGRAMS,
        model=OPDProgram,
        columns=(
            Column(
                "instansi",
                "opd",
                "agency",
                gettext_lazy("Agency (short name, see the “Kode” sheet)."),
                required=True,
            ),
            Column(
                "kode_kelurahan",
                "sites",
                "sites",
                gettext_lazy("Kelurahan codes of the sites, separated by commas."),
                required=True,
            ),
            Column("judul", "title", "text", gettext_lazy("Title of the program."), True),
            Column("mulai", "starts_on", "date", gettext_lazy("dd/mm/yyyy"), required=True),
            Column("selesai", "ends_on", "date", gettext_lazy("dd/mm/yyyy (optional).")),
            Column(
                "status",
                "status",
                "choice",
                gettext_lazy("planned, running or done."),
                choices=OPDProgram.Status,
                default=OPDProgram.Status.PLANNED,
            ),
            Column("deskripsi", "description", "text", gettext_lazy("Description.")),
        ),
        sites_for=_program_sites,
        make_form=lambda data, user: OPDProgramForm(data, user=user),
        key=lambda c, data: (c["opd"].pk, c["title"].lower(), c["starts_on"]),
        existing=_existing_programs,
        exists_message=gettext_lazy(
            "This program is already in the portal (same agency, title and start date)."
        ),
        describe=lambda c: f"{c['opd']} — {c['title']} ({len(c['sites'])} Kampung KB)",
        available=lambda user: OPD.objects.represented_by(user).exists(),
    ),
}


def available_kinds(user) -> list[tuple[str, str]]:
    return [
        (kind, ImportBatch.Kind(kind).label) for kind, spec in SPECS.items() if spec.available(user)
    ]


# --------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------
def _not_xlsx():
    return FileRefused(
        _(
            "This file is not an Excel workbook (.xlsx). Download the template, fill it in "
            "and save it as “Excel Workbook (.xlsx)”."
        )
    )


def check_file(content: bytes) -> None:
    """Refuse what is not a plain XLSX, by its content (the name proves nothing)."""
    if len(content) > MAX_BYTES:
        raise FileRefused(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": len(content) / 1024 / 1024, "limit": MAX_BYTES // 1024 // 1024}
        )
    if not content.startswith(XLSX_SIGNATURE):
        raise _not_xlsx()  # an old .xls, a CSV, a PDF... renamed .xlsx
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_xlsx() from None
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _not_xlsx()  # a zip, or another Office file (.docx...)
    _check_unpacked_size(entries)
    content_types = archive.read("[Content_Types].xml")
    if any(n.lower().endswith("vbaproject.bin") for n in names) or (
        b"macroEnabled" in content_types
    ):
        raise FileRefused(
            _(
                "The file contains macros (.xlsm). Save it as “Excel Workbook (.xlsx)”, "
                "without macros, and upload it again."
            )
        )
    if b"spreadsheetml.sheet.main+xml" not in content_types:
        raise _not_xlsx()
    for entry in entries:
        if SHEET_PATH_RE.match(entry.filename):
            _check_row_elements(archive, entry.filename)


def check_unpacked_size(content: bytes) -> None:
    """The zip-bomb check alone, from the zip's directory (nothing is unpacked): run at
    upload, before a job is made, so that a bomb is refused at once. What is not a zip
    at all passes here; the job refuses it with its own message."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    _check_unpacked_size(entries)


def _megabytes(size) -> str:
    return number_format(max(1, round(size / 1024 / 1024)), force_grouping=True)


def _check_unpacked_size(entries):
    """Refuse a workbook that would be too large once unpacked — a zip bomb, or thousands
    of parts — with a message that says so (it *is* a workbook, just not one to open)."""
    advice = _("Save it again as a plain “Excel Workbook (.xlsx)”, or split it into smaller files.")
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRefused(
            _(
                "The file is too large once unpacked: it holds %(count)s parts (the limit is "
                "%(limit)s)."
            )
            % {
                "count": number_format(len(entries), force_grouping=True),
                "limit": number_format(MAX_ZIP_ENTRIES, force_grouping=True),
            }
            + " "
            + advice
        )
    total = sum(e.file_size for e in entries)
    if total > MAX_UNPACKED_BYTES:
        raise FileRefused(
            _("The file is too large once unpacked: %(size)s MB (the limit is %(limit)s MB).")
            % {"size": _megabytes(total), "limit": _megabytes(MAX_UNPACKED_BYTES)}
            + " "
            + advice
        )
    for entry in entries:
        if (
            entry.file_size > MIN_RATIO_CHECKED_BYTES
            and entry.file_size > MAX_COMPRESSION_RATIO * max(1, entry.compress_size)
        ):
            raise FileRefused(
                _(
                    "The file is too large once unpacked: one of its parts grows from "
                    "%(packed)s KB to %(size)s MB."
                )
                % {
                    "packed": number_format(
                        max(1, round(entry.compress_size / 1024)), force_grouping=True
                    ),
                    "size": _megabytes(entry.file_size),
                }
                + " "
                + advice
            )


def _check_row_elements(archive, name):
    """Count a sheet's <row> elements straight from the zip (fast, flat memory) so that a
    huge sheet is refused before openpyxl parses it — openpyxl reads a whole sheet that
    lacks a <dimension> just to size it."""
    count, tail = 0, b""
    with archive.open(name) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            # A tag ending inside the carried-over tail was counted with the last chunk.
            count += sum(1 for m in ROW_TAG_RE.finditer(data) if m.end() > len(tail))
            tail = data[-16:]
            if count > MAX_ROW_ELEMENTS:
                raise _too_many_rows()


def _too_many_rows():
    return FileRefused(
        _(
            "The file has more than %(limit)s data rows. Split it into files of at most "
            "%(limit)s rows."
        )
        % {"limit": number_format(MAX_ROWS, force_grouping=True)}
    )


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _count_filled_rows(sheet) -> int:
    filled = 0
    for values in sheet.iter_rows(values_only=True):
        if not all(_is_blank(v) for v in values):
            filled += 1
            if filled > MAX_ROWS + 1:  # + the header row
                raise _too_many_rows()
    return filled


@dataclass
class Sheet:
    columns: list[Column | None]  # by position; None = an empty header cell
    rows: Iterator  # (row number, [cells])
    total: int = 0  # data rows below the header, for the progress (blank ones included)

    @functools.cached_property
    def labels(self) -> list[str]:
        """How errors name each column: its header and letter, e.g. "tanggal (C)"."""
        return [
            f"{c.header} ({_column_letter(i)})" if c is not None else ""
            for i, c in enumerate(self.columns)
        ]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def open_sheet(workbook, spec: Spec) -> Sheet:
    """Check the header row against the template and return the data rows (streamed)."""
    sheet = workbook.worksheets[0]
    if sheet.max_row is None or sheet.max_row > MAX_ROWS + 1:
        # The declared size is missing or too large (it may count formatted empty rows):
        # count the filled rows first, cheaply, before any row is checked.
        total = _count_filled_rows(sheet) - 1
    else:
        total = sheet.max_row - 1
    rows = sheet.iter_rows()
    header_cells = next(rows, None)
    if header_cells is None:
        raise FileRefused(_("The file is empty. Use the template: row 1 holds the column names."))
    by_header = {c.header: c for c in spec.columns}
    columns, seen, unknown = [], set(), []
    for cell in header_cells:
        text = _text(cell.value).lower() if cell.value is not None else ""
        if not text:
            columns.append(None)
            continue
        column = by_header.get(text)
        if column is None or text in seen:
            unknown.append(str(cell.value))
        seen.add(text)
        columns.append(column)
    missing = [c.header for c in spec.columns if c.required and c.header not in seen]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(_("Unknown or repeated columns: %(cols)s.") % {"cols": ", ".join(unknown)})
        if missing:
            parts.append(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
        raise FileRefused(
            _("Row 1 does not match the template's column names.")
            + " "
            + " ".join(parts)
            + " "
            + _("Download the template again and copy your data into it.")
        )
    return Sheet(columns=columns, rows=enumerate(_safe(rows), start=2), total=max(0, total))


def _safe(rows):
    """The sheet's rows; a file damaged further down gives the file's message, not a 500."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception:  # any parse error of a damaged sheet
            logger.info("Unreadable row in an import file", exc_info=True)
            raise _not_xlsx() from None
        yield row


# --------------------------------------------------------------------------------------
# Running an import
# --------------------------------------------------------------------------------------
@dataclass
class Outcome:
    rows: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    preview: list = field(default_factory=list)
    created: int = 0
    file_error: str = ""

    def add_error(self, row, column, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"row": row, "column": column, "message": str(message)})


class _Rollback(Exception):
    pass


def run(batch: ImportBatch, user, *, commit: bool, progress=None) -> Outcome:
    """Check every row of ``batch`` (and with ``commit``, save them all or nothing).
    ``progress(done, total)``, if given, is called every PROGRESS_ROWS rows."""
    spec = SPECS[batch.kind]
    outcome = Outcome()
    workbook = None
    try:
        check_file(bytes(batch.content or b""))
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(bytes(batch.content)), read_only=True, data_only=False, keep_links=False
            )
            sheet = open_sheet(workbook, spec)
        except FileRefused:
            raise
        except Exception:  # a damaged file must give a message, never a 500
            logger.info("Unreadable import file (sha256 %s)", batch.sha256[:12], exc_info=True)
            raise _not_xlsx() from None
        if commit:
            try:
                with transaction.atomic():
                    _rows(spec, sheet, user, outcome, batch=batch, progress=progress)
                    if outcome.error_count or not outcome.rows:
                        raise _Rollback
            except _Rollback:
                outcome.created = 0
        else:
            _rows(spec, sheet, user, outcome, batch=None, progress=progress)
    except FileRefused as refused:
        outcome.file_error = refused.message
        outcome.created = 0
    finally:
        if workbook is not None:
            workbook.close()
    if not outcome.file_error and not outcome.rows:
        outcome.file_error = _("The file has no data rows below the column names.")
    return outcome


def _rows(spec: Spec, sheet: Sheet, user, outcome: Outcome, *, batch, progress=None):
    lookups = Lookups(spec.sites_for(user))
    seen: dict = {}
    existing: dict = {}
    created_ids = []
    if progress is not None:
        progress(0, sheet.total)
    for row_number, cells in sheet.rows:
        if progress is not None and row_number % PROGRESS_ROWS == 1 and row_number > 1:
            progress(min(row_number - 1, sheet.total), sheet.total)
        if all(_is_blank(c.value) for c in cells):
            continue  # blank row
        outcome.rows += 1
        if outcome.rows > MAX_ROWS:
            raise _too_many_rows()
        data, row_ok = dict(spec.defaults), True
        filled = set()
        for column, label, cell in zip(sheet.columns, sheet.labels, cells, strict=False):
            if column is None:
                continue
            if cell.data_type == "f":
                outcome.add_error(
                    row_number,
                    label,
                    _(
                        "The cell holds a formula; type the value itself (formulas are not "
                        "calculated)."
                    ),
                )
                row_ok = False
                continue
            try:
                data[column.field] = _convert(column, cell.value, lookups)
                filled.add(column.field)
            except CellError as error:
                outcome.add_error(row_number, label, error.args[0])
                row_ok = False
        for column in spec.columns:
            if column.field not in filled and column.field not in data:
                data[column.field] = column.default
        if not row_ok:
            continue
        key_data = dict(data)
        form = spec.make_form(data, user)
        foreign = [
            c.header
            for c in spec.columns
            if c.field in filled and c.field not in form.fields and data.get(c.field)
        ]
        if foreign:
            for header in foreign:
                outcome.add_error(
                    row_number, header, _("Leave this column empty: it is not yours to fill.")
                )
            continue
        if not form.is_valid():
            for name, errors in form.errors.items():
                column = next((c for c in spec.columns if c.field == name), None)
                label = (
                    column.header
                    if column
                    else (form.fields[name].label if name in form.fields else "—")
                )
                for message in errors:
                    outcome.add_error(row_number, str(label) if name != "__all__" else "—", message)
            continue
        key = spec.key(form.cleaned_data, key_data)
        if key in seen:
            outcome.add_error(
                row_number, "—", _("This row repeats row %(row)d.") % {"row": seen[key]}
            )
            continue
        seen[key] = row_number
        if key[0] not in existing:  # one query per site (or agency), not one per row
            existing[key[0]] = spec.existing(key[0])
        if key in existing[key[0]]:
            outcome.add_error(row_number, "—", spec.exists_message)
            continue
        if batch is not None and not outcome.error_count:
            created_ids.append(_save(spec, form, user, batch).pk)
        elif batch is None and len(outcome.preview) < PREVIEW_ROWS:
            outcome.preview.append({"row": row_number, "text": spec.describe(form.cleaned_data)})
    if batch is not None and not outcome.error_count:
        _check_scope(spec, user, created_ids)
        outcome.created = len(created_ids)


def _save(spec: Spec, form, user, batch):
    obj = form.save(commit=False)
    if hasattr(obj, "created_by_id"):
        obj.created_by = user
    obj._history_user = user
    obj._change_reason = batch.history_reason
    obj.save()
    form.save_m2m()
    return obj


def _check_scope(spec: Spec, user, ids):
    """Every created record must be the importer's to edit (re-checked after saving)."""
    from django.core.exceptions import PermissionDenied

    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        if spec.model.objects.editable_by(user).filter(pk__in=chunk).count() != len(chunk):
            raise PermissionDenied


# --------------------------------------------------------------------------------------
# Entry points for the views (and the benchmark)
# --------------------------------------------------------------------------------------
def upload(user, kind: str, name: str, content: bytes, progress=None) -> ImportBatch:
    """Check an uploaded file (the dry run) and record it with its outcome. Saved once
    checked: a check cut off (a worker killed) leaves no half-made record behind."""
    batch = ImportBatch(
        kind=kind,
        uploaded_by=user,
        file_name=(name.replace("\\", "/").rsplit("/", 1)[-1] or "berkas.xlsx")[:200],
        file_size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        status=ImportBatch.Status.CHECKED,
    )
    outcome = run(batch, user, commit=False, progress=progress)
    _record(batch, outcome)
    if batch.status != ImportBatch.Status.CHECKED:
        batch.content = None
    batch.save()
    return batch


def commit(batch: ImportBatch, user, progress=None) -> Outcome:
    """Save every row of a checked import, or nothing (the rows are checked again)."""
    outcome = run(batch, user, commit=True, progress=progress)
    _record(batch, outcome)
    if outcome.created:
        batch.status = ImportBatch.Status.COMMITTED
        batch.created_count = outcome.created
        batch.committed_at = timezone.now()
    batch.content = None if batch.status != ImportBatch.Status.CHECKED else batch.content
    batch.save()
    return outcome


def cancel(batch: ImportBatch) -> None:
    batch.status = ImportBatch.Status.CANCELLED
    batch.content = None
    batch.save(update_fields=["status", "content"])


def _record(batch, outcome: Outcome):
    batch.row_count = outcome.rows if not outcome.file_error else 0
    batch.error_count = outcome.error_count
    batch.errors = outcome.errors
    batch.preview = outcome.preview
    batch.file_error = outcome.file_error
    if outcome.file_error or outcome.error_count:
        batch.status = ImportBatch.Status.INVALID


def can_import(user) -> bool:
    return get_scope(user).authenticated and bool(available_kinds(user))
