"""Column definitions shared by a report page and its CSV/XLSX export, so the export
holds exactly what the page shows (the page renders the same columns from the same
queryset; tests compare the two)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby, islice
from operator import itemgetter
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from activities.models import OPD, Activity
from kampungkb.choices import choice_labels
from villages.models import KampungKB

from .quality import INDICATORS, QualityClass


@dataclass(frozen=True)
class Column:
    key: str
    header: Any  # a lazy string
    value: Callable[[Any], Any]
    numeric: bool = False
    sort: str | None = None  # ORM ordering for ?urut=<key>
    # HTML of the cell on the page (the value, formatted); None: the value, escaped.
    html: Callable[[Any, Any], str] | None = None


def render_rows(columns, objects):
    """The ``<tr>`` rows of a table body, built in Python: a report page of 50 rows ×
    19 columns through template tags costs more than its SQL at national scale."""
    lines = []
    for obj in objects:
        cells = []
        for i, column in enumerate(columns):
            value = column.value(obj)
            if column.html is not None:
                content = column.html(obj, value)
            else:
                content = conditional_escape(_display(value))
            tag = "th" if i == 0 else "td"
            scope = (
                ' scope="row" class="fw-normal"'
                if i == 0
                else (' class="text-end"' if column.numeric else "")
            )
            cells.append(f"<{tag}{scope}>{content}</{tag}>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - every cell is escaped above


def _display(value):
    if value is None:
        return "—"
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return formats.localize(value) if isinstance(value, Decimal | float) else str(value)


def header_row(columns):
    return [str(c.header) for c in columns]


def value_row(columns, obj):
    return [c.value(obj) for c in columns]


def _class_label(row):
    return str(QualityClass(row.quality_class).label)


CLASS_CSS = {1: "text-bg-secondary", 2: "text-bg-info", 3: "text-bg-primary", 4: "text-bg-success"}


def _site_link(row, value):
    return format_html(
        '<a href="{}">{}</a>', reverse("villages:site-detail", args=[row.site_id]), value
    )


def _class_badge(row, value):
    return format_html('<span class="badge {}">{}</span>', CLASS_CSS[row.quality_class], value)


def _score_cell(row, value):
    return format_html('<span class="kkb-score kkb-score-{}">{}</span>', value, value)


CLASSIFICATION_COLUMNS = (
    Column("site", _("Kampung KB"), lambda r: r.site.name, sort="site__name", html=_site_link),
    Column(
        "kelurahan", _("Kelurahan"), lambda r: r.site.kelurahan.name, sort="site__kelurahan__name"
    ),
    Column(
        "kecamatan",
        _("Kecamatan"),
        lambda r: r.site.kelurahan.kecamatan.name,
        sort="site__kelurahan__kecamatan__name",
    ),
    Column("class", _("Class"), _class_label, sort="quality_class", html=_class_badge),
    Column("input", _("Input"), lambda r: r.input_index, numeric=True, sort="input_index"),
    Column("process", _("Process"), lambda r: r.process_index, numeric=True, sort="process_index"),
    Column("output", _("Output"), lambda r: r.output_index, numeric=True, sort="output_index"),
) + tuple(
    Column(
        i.key,
        i.label,
        (lambda key: lambda r: r.score_of(key))(i.key),
        numeric=True,
        html=_score_cell,
    )
    for i in INDICATORS
)


def _agencies(activity):
    # A list prefetched by the activity report's queryset (ActivityReportMixin:
    # Prefetch(to_attr=...)); ``agencies.all()`` would build a manager and a queryset per
    # row, a tenth of the time of a download of thousands of activities.
    return ", ".join(str(a) for a in activity.agency_list)


ACTIVITY_COLUMNS = (
    Column("date", _("Date"), lambda a: a.date),
    Column("title", _("Title"), lambda a: a.title),
    Column("site", _("Kampung KB"), lambda a: a.site.name),
    Column("kecamatan", _("Kecamatan"), lambda a: a.site.kelurahan.kecamatan.name),
    Column("category", _("Family function"), lambda a: a.get_category_display()),
    Column("poktan", _("Poktan"), lambda a: a.get_poktan_display()),
    Column("men", _("Participants (men)"), lambda a: a.participants_male, numeric=True),
    Column("women", _("Participants (women)"), lambda a: a.participants_female, numeric=True),
    Column("agencies", _("Agencies and partners"), _agencies),
    Column("status", _("Status"), lambda a: a.get_status_display()),
)

# The export of ACTIVITY_COLUMNS (activity_export_rows) reads plain values: the choices
# among them stored as their codes, shown by activity_export_display.
EXPORT_CHOICES = {"category": "category", "poktan": "poktan", "status": "status"}
EXPORT_CHUNK = 5000


def activity_export_rows(activities, chunk_size=EXPORT_CHUNK) -> Iterator[tuple]:
    """The ACTIVITY_COLUMNS of ``activities`` (a filtered, ordered queryset) as tuples of
    plain values, choices as stored: no model instance, no per-row lookup of a label — a
    national export has millions of rows. The activities are read without joins; per
    chunk of rows, one query gives their agencies and one the sites not met before (name
    and kecamatan, kept: at most one entry per site)."""
    rows = activities.values_list(
        "pk",
        "date",
        "title",
        "site_id",
        "category",
        "poktan",
        "participants_male",
        "participants_female",
        "status",
    ).iterator(chunk_size=chunk_size)
    sites = {}
    while chunk := list(islice(rows, chunk_size)):
        if new := {row[3] for row in chunk}.difference(sites):
            found = KampungKB.objects.filter(pk__in=new).values_list(
                "pk", "name", "kelurahan__kecamatan__name"
            )
            sites.update((pk, (name, kecamatan)) for pk, name, kecamatan in found)
            for gone in new.difference(sites):  # deleted since the rows were read
                sites[gone] = (None, None)
        names = agency_names([row[0] for row in chunk]).get
        yield from [
            (date, title, *sites[site], category, poktan, men, women, names(pk), status)
            for pk, date, title, site, category, poktan, men, women, status in chunk
        ]


def agency_names(activity_ids) -> dict[int, str]:
    """activity id → its agencies as the page shows them (``str(opd)``, by name, comma
    separated); none for an activity without agencies. Raw SQL, the ids in one parameter
    on PostgreSQL: the ORM's ``__in`` (and the driver) handle each of thousands of ids in
    Python, longer than the database takes to answer."""
    if connection.vendor == "postgresql":
        among, params = "= ANY(%s::bigint[])", ["{" + ",".join(map(str, activity_ids)) + "}"]
    else:
        among, params = f"IN ({', '.join(['%s'] * len(activity_ids))})", list(activity_ids)
    qn = connection.ops.quote_name
    # Table names from the models, ids as parameters; the name as str(opd) gives it.
    sql = (
        "SELECT t.activity_id, COALESCE(NULLIF(o.short_name, ''), o.name) "  # noqa: S608
        f"FROM {qn(Activity.agencies.through._meta.db_table)} t "
        f"JOIN {qn(OPD._meta.db_table)} o ON o.id = t.opd_id "
        f"WHERE t.activity_id {among} ORDER BY t.activity_id, o.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        links = cursor.fetchall()
    return {
        activity_id: ", ".join(name for _, name in group)
        for activity_id, group in groupby(links, itemgetter(0))
    }


def activity_export_display():
    """Per column of ``activity_export_rows``, None or the function that shows a stored
    value: a choice's label in the active language, as ``get_FOO_display``."""
    display = []
    for column in ACTIVITY_COLUMNS:
        if field := EXPORT_CHOICES.get(column.key):
            labels = {
                value: str(label)
                for value, label in choice_labels(Activity._meta.get_field(field)).items()
            }
            display.append(lambda value, labels=labels: labels.get(value, value))
        else:
            display.append(None)
    return display
