"""Every CSV/XLSX download of the portal's reports, streamed or written by a job.

A download is built from the user and the query string only (:data:`DOWNLOADS`): the
page's form validates the query, the queryset starts from ``visible_to(user)``, and
:class:`Export` says how many rows it holds (one COUNT, or the month's summary) and
gives its sheets. The view counts first: up to ``EXPORT_JOB_THRESHOLD_ROWS`` rows the file
streams in the response; above, an export job (``reports.tasks.export_job``) builds the
same download again for its owner (the same form, the same scope: the parameters are
trusted no further than the form) and writes the same bytes to private storage.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.core.files import File
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activities.models import Activity
from jobs.models import Job
from jobs.services import JobAlreadyRunning, JobFailed, start_job
from kampungkb.exports import csv_chunks, csv_response, xlsx_chunks, xlsx_response
from kampungkb.scopes import get_scope
from villages.models import KampungKB

from . import comparison as comparison_service
from . import opd_matrix, summary
from .columns import (
    ACTIVITY_COLUMNS,
    CLASSIFICATION_COLUMNS,
    activity_export_display,
    activity_export_rows,
    header_row,
    value_row,
)
from .forms import ActivityReportFilterForm, ClassificationFilterForm, ComparisonForm
from .models import QualityScore
from .periods import latest_scored_month, month_param

FORMATS = ("xlsx", "csv")
PROGRESS_ROWS = 5000  # rows written between two progress reports of an export job


@dataclass
class Export:
    filename: str  # without the extension
    count: Callable[[], int]  # the number of rows (cheap: a COUNT or the summary)
    sheets: Callable[[], list[tuple]]  # [(title, header, rows[, display])], built lazily


def stream(fmt: str, filename: str, sheets: list[tuple]):
    """``sheets``: ``[(title, header, rows), ...]`` or ``(title, header, rows, display)``
    for rows of plain values (kampungkb.exports.xlsx_response); CSV takes the first sheet."""
    if fmt == "csv":
        _title, header, rows, *display = sheets[0]
        return csv_response(f"{filename}.csv", header, rows, *display)
    return xlsx_response(f"{filename}.xlsx", sheets)


def chunks(fmt: str, sheets: list[tuple]) -> Iterator[bytes]:
    """The bytes :func:`stream` sends, for a file."""
    if fmt == "csv":
        _title, header, rows, *display = sheets[0]
        return (text.encode() for text in csv_chunks(header, rows, *display))
    return xlsx_chunks(sheets)


# --- The downloads ------------------------------------------------------------------------
# Each: (user, query, fmt) → (form, Export), or (form, None) when the form refuses the
# query; Http404 for a download that does not exist (no scored month, another area).


def classification_rows(user, form, month):
    qs = QualityScore.objects.visible_to(user).filter(period=month)
    if not form.is_valid():
        return qs.none()
    return form.filter(qs).select_related("site__kelurahan__kecamatan")


def classification_summary_count(user, form, month) -> int | None:
    """The number of rows from the month's summary (reports.summary), for a user who
    reads every site and filters only as the summary can count (the form says); None:
    count the rows."""
    filters = form.summary_filters() if form.is_valid() else None
    if filters is None or month is None or not get_scope(user).reads_all_sites:
        return None
    return summary.count_rows(month, **filters)


def classification(user, data, fmt):
    form = ClassificationFilterForm(data, user=user)
    if not form.is_valid():
        return form, None
    month = form.cleaned_data.get("bulan") or latest_scored_month()
    if month is None:
        raise Http404
    qs = classification_rows(user, form, month)

    def count():
        known = classification_summary_count(user, form, month)
        return known if known is not None else qs.count()

    def sheets():
        rows = qs.iterator(chunk_size=2000)
        return [
            (
                _("Classification %(month)s") % {"month": month.strftime("%m-%Y")},
                header_row(CLASSIFICATION_COLUMNS),
                (value_row(CLASSIFICATION_COLUMNS, r) for r in rows),
            )
        ]

    return form, Export(f"klasifikasi-kampung-kb-{month_param(month)}", count, sheets)


def comparison_result(user, data):
    """The comparison form (bound when the query chooses anything) and its result (None
    until the form is valid and complete)."""
    bound = any(k in data for k in ("kampung", "kecamatan", "mode", "dari", "sampai"))
    form = ComparisonForm(data if bound else None, user=user, default_end=latest_scored_month())
    if not bound or not form.is_valid():
        return form, None
    cleaned = form.cleaned_data
    objects = cleaned["kampung"] if cleaned["mode"] == form.MODE_SITES else cleaned["kecamatan"]
    if cleaned.get("dari") is None:
        return form, None
    result = comparison_service.build(
        user, cleaned["mode"], objects, cleaned["dari"], cleaned["sampai"]
    )
    return form, result


def comparison(user, data, fmt):
    form, result = comparison_result(user, data)
    if result is None:
        return form, None
    tables = result.tables[:1] if fmt == "csv" else result.tables  # CSV: the first table
    name = f"perbandingan-{result.mode}-{month_param(result.start)}-{month_param(result.end)}"
    return form, Export(
        name,
        lambda: sum(len(t.rows) for t in tables),
        lambda: [(t.title, t.header, t.rows) for t in result.tables],
    )


def activities_queryset(user, form):
    qs = Activity.objects.visible_to(user)
    return form.filter(qs) if form.is_valid() else qs.none()


def activities(user, data, fmt):
    form = ActivityReportFilterForm(data, user=user)
    if not form.is_valid():
        return form, None
    qs = activities_queryset(user, form)
    return form, Export(
        f"kegiatan-kampung-kb-{timezone.localdate():%Y%m%d}",
        qs.count,
        # Plain values, not model instances (the page's columns, read as values_list).
        lambda: [
            (
                _("Activities"),
                header_row(ACTIVITY_COLUMNS),
                activity_export_rows(qs),
                activity_export_display(),
            )
        ],
    )


def sites(user, data, fmt):
    """The site registry: the site list with its filters and sort order."""
    from villages.filters import SiteFilter
    from villages.tables import SiteTable

    qs = KampungKB.objects.visible_to(user).select_related("kelurahan__kecamatan")
    filterset = SiteFilter(data or None, queryset=qs)
    if filterset.is_bound and not filterset.is_valid():
        return filterset.form, None
    for name, lookup in (("kecamatan", "kelurahan__kecamatan_id"), ("kelurahan", "kelurahan_id")):
        if filterset.form.cleaned_data.get(name) if filterset.is_bound else None:
            area = filterset.form.cleaned_data[name]
            if not qs.filter(**{lookup: area.pk}).exists():
                raise Http404  # another area's registry, asked for by URL

    def sheets():
        table = SiteTable(filterset.qs, order_by=data.get("sort"))
        columns = list(table.columns)

        def rows():
            for site in table.data.data.iterator(chunk_size=2000):
                yield [_registry_value(c, site) for c in columns]

        return [(_("Kampung KB"), [str(c.header) for c in columns], rows())]

    return filterset.form, Export(
        f"daftar-kampung-kb-{timezone.localdate():%Y%m%d}", filterset.qs.count, sheets
    )


def _registry_value(column, site):
    value = column.accessor.resolve(site, quiet=True)
    if isinstance(value, bool):
        return value
    return (
        value
        if value is None or isinstance(value, (int, str)) or hasattr(value, "isoformat")
        else str(value)
    )


def matrix(user, data, fmt):
    """The OPD × site matrix (XLSX only). Its filters never refuse: a part that does not
    parse is left out, as on the page. Counted before it is built: an agency's row and
    its row per site in the details."""
    form, start, end, kecamatan, kind, _notices = opd_matrix.read_filters(user, data)

    def count():
        site_count = opd_matrix.matrix_sites(user, kecamatan).count()
        agency_count = opd_matrix.matrix_agencies(user, kind).count()
        return agency_count * (site_count + 1) + 1

    def sheets():
        built = opd_matrix.build_matrix(user, start, end, kecamatan=kecamatan, kind=kind)
        return opd_matrix.xlsx_sheets(built)

    return form, Export(opd_matrix.xlsx_name(start, end), count, sheets)


DOWNLOADS: dict[str, Callable] = {
    "kegiatan": activities,
    "klasifikasi": classification,
    "perbandingan": comparison,
    "kampung": sites,
    "matriks-opd": matrix,
}


# --- Streamed or a job ------------------------------------------------------------------
def respond(request, name: str, fmt: str, refused: Callable):
    """The download ``name`` of the request's query: streamed, or (more rows than
    ``EXPORT_JOB_THRESHOLD_ROWS``) an export job, the user sent to its page. ``refused(
    request, form)``: the response to a query the form refuses."""
    form, export = DOWNLOADS[name](request.user, request.GET, fmt)
    if export is None:
        return refused(request, form)
    if export.count() <= settings.EXPORT_JOB_THRESHOLD_ROWS:
        return stream(fmt, export.filename, export.sheets())
    from .tasks import export_job

    params = {
        "download": name,
        "format": fmt,
        "query": request.GET.urlencode(),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    try:
        job = start_job(request.user, Job.Kind.EXPORT, params, export_job)
    except JobAlreadyRunning as exc:  # the same download asked again: follow that one
        messages.info(request, str(exc))
        return redirect(exc.job) if exc.job else redirect("jobs:list")
    messages.info(
        request,
        _("Large download prepared as a task; you will be notified when it is finished."),
    )
    return redirect(job)


def write_job_file(task, job) -> dict:
    """The work of an export job: the download of ``job.params`` built for its owner,
    written to a temporary file, then to the job's result file (private storage)."""
    params = job.params
    name, fmt = params.get("download"), params.get("format")
    if name not in DOWNLOADS or fmt not in FORMATS:
        raise JobFailed(_("This download does not exist."))
    language = params.get("language")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            form, export = DOWNLOADS[name](job.owner, QueryDict(params.get("query") or ""), fmt)
        except Http404:
            raise JobFailed(_("There is nothing to download for these choices.")) from None
        if export is None:
            raise JobFailed(form_errors(form))
        counter = RowCounter(task, export.count())
        sheets = [
            (title, header, counter.wrap(rows), *rest)
            for title, header, rows, *rest in export.sheets()
        ]
        with tempfile.TemporaryFile() as handle:
            for chunk in chunks(fmt, sheets):
                handle.write(chunk)
            handle.seek(0)
            task.save_result(f"{export.filename}.{fmt}", File(handle))
    return {"rows": counter.done}


class RowCounter:
    """Counts the rows the writer takes and reports them as the job's progress."""

    def __init__(self, task, total: int):
        self.task, self.total, self.done = task, total, 0
        task.progress(0, total, force=True)

    def wrap(self, rows: Iterable) -> Iterator:
        rows = iter(rows)
        while chunk := list(islice(rows, PROGRESS_ROWS)):
            yield from chunk
            self.done += len(chunk)
            self.task.progress(self.done, max(self.total, self.done))


def form_errors(form) -> str:
    """The form's errors as one line, as the refused download's page lists them."""
    parts = [
        f"{form.fields[field].label}: {error}" if field in form.fields else str(error)
        for field, errors in form.errors.items()
        for error in errors
    ]
    return " ".join(parts) or _("Nothing was chosen.")
