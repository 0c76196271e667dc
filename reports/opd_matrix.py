"""The OPD × site matrix: which agency is present at which Kampung KB in a period, and
where it is absent ("where is the health office not present?").

An agency is present at a site in the period when it has a program there whose period
overlaps it, or took part in (or recorded) a *verified* activity there in it. Everything is
read through the scoped querysets, so each user sees the columns of the sites they may see.
A fixed number of queries, whatever the number of sites, agencies or activities.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Lower
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from activities.models import OPD, Activity, OPDProgram
from kampungkb.exports import Highlight
from kampungkb.forms import DateInput
from villages.models import KampungKB, Kecamatan


class MatrixFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("Until"), widget=DateInput())
    kecamatan = forms.ModelChoiceField(
        label=gettext_lazy("Kecamatan"),
        queryset=Kecamatan.objects.order_by("code"),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of agency"),
        choices=[("", gettext_lazy("All"))] + list(OPD.Kind.choices),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the kecamatan that hold a site the user may see (another one is refused,
        # and the page says the filter was not used, instead of an empty matrix).
        self.fields["kecamatan"].queryset = Kecamatan.objects.filter(
            pk__in=KampungKB.objects.visible_to(user).values("kelurahan__kecamatan")
        ).order_by("code")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the period cannot be before its start."))
        return cleaned


def default_period(today=None):
    today = today or timezone.localdate()
    return datetime.date(today.year, 1, 1), today


@dataclass
class Cell:
    programs: int = 0
    activities: int = 0

    @property
    def present(self) -> bool:
        return bool(self.programs or self.activities)


@dataclass
class Row:
    agency: OPD
    cells: list[Cell]
    present_count: int = 0


@dataclass
class Matrix:
    start: datetime.date
    end: datetime.date
    sites: list
    rows: list[Row] = field(default_factory=list)
    site_totals: list[int] = field(default_factory=list)

    @property
    def present_pairs(self) -> int:
        return sum(r.present_count for r in self.rows)


def matrix_sites(user, kecamatan=None):
    sites = KampungKB.objects.visible_to(user).active()
    if kecamatan is not None:
        sites = sites.filter(kelurahan__kecamatan=kecamatan)
    return sites


def matrix_agencies(user, kind=""):
    agencies = OPD.objects.visible_to(user).active()
    return agencies.filter(kind=kind) if kind else agencies


def build_matrix(user, start, end, kecamatan=None, kind="") -> Matrix:
    sites = matrix_sites(user, kecamatan).select_related("kelurahan__kecamatan")
    sites = list(sites.order_by("kelurahan__code", "name"))
    # Rows show short names.
    agencies = list(matrix_agencies(user, kind).order_by(Lower("short_name"), "name"))
    site_ids = [s.pk for s in sites]

    counts: dict[tuple[int, int], Cell] = defaultdict(Cell)
    programs = (
        OPDProgram.objects.visible_to(user)
        .present_between(start, end)
        .filter(sites__in=site_ids)
        .values_list("opd_id", "sites")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    for opd_id, site_id, n in programs:
        counts[opd_id, site_id].programs += n

    verified = (
        Activity.objects.visible_to(user)
        .verified()
        .filter(date__gte=start, date__lte=end, site_id__in=site_ids)
    )
    through = Activity.agencies.through
    for opd_id, site_id, n in (
        through.objects.filter(activity__in=verified)
        .values_list("opd_id", "activity__site_id")
        .annotate(n=Count("activity_id", distinct=True))
        .order_by()
    ):
        counts[opd_id, site_id].activities += n
    # Recorded by an agency without being listed among its agencies: counted once too.
    listed = through.objects.filter(activity_id=OuterRef("pk"), opd_id=OuterRef("recorded_by_opd"))
    for opd_id, site_id, n in (
        verified.filter(recorded_by_opd__isnull=False)
        .exclude(Exists(listed))
        .values_list("recorded_by_opd", "site_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ):
        counts[opd_id, site_id].activities += n

    matrix = Matrix(start=start, end=end, sites=sites)
    site_totals = [0] * len(sites)
    for agency in agencies:
        cells = [counts.get((agency.pk, s.pk), Cell()) for s in sites]
        present = [c.present for c in cells]
        for i, here in enumerate(present):
            site_totals[i] += here
        matrix.rows.append(Row(agency=agency, cells=cells, present_count=sum(present)))
    matrix.site_totals = site_totals
    return matrix


#: Query parameters that are not filters (so never reported as ignored).
NOT_FILTERS = {"format"}


def read_filters(user, query):
    """The matrix's period and filters from the query, and a notice for each part the user
    gave that is not used: a period that does not parse (the default period is shown), a
    filter value refused by the form, or a parameter the matrix does not have. A valid
    filter still applies when another part is refused; a missing date is the default's."""
    start, end = default_period()
    fields = MatrixFilterForm.base_fields
    given = {k for k, v in query.items() if v.strip()} - NOT_FILTERS
    data = None
    if given & set(fields):
        data = query.copy()
        for name, default in (("start", start), ("end", end)):
            if not data.get(name, "").strip():
                data[name] = default.isoformat()
    form = MatrixFilterForm(data, user=user, initial={"start": start, "end": end})
    kecamatan, kind, notices = None, "", []
    if data is not None:
        form.is_valid()
        cleaned = form.cleaned_data
        if "start" in cleaned and "end" in cleaned:
            start, end = cleaned["start"], cleaned["end"]
        else:
            notices.append(
                _(
                    "The period you gave is not used (see the message under the dates): the "
                    "matrix shows %(start)s to %(end)s."
                )
                % {
                    "start": date_format(start, "SHORT_DATE_FORMAT"),
                    "end": date_format(end, "SHORT_DATE_FORMAT"),
                }
            )
        kecamatan, kind = cleaned.get("kecamatan"), cleaned.get("kind") or ""
        for name in ("kecamatan", "kind"):
            if name in form.errors:
                notices.append(
                    _("Filter “%(filter)s” is not used in this matrix (see the message under it).")
                    % {"filter": fields[name].label}
                )
    unknown = sorted(given - set(fields))
    if unknown:
        names = ", ".join(f"“{name[:40]}”" for name in unknown[:5])
        notices.append(
            ngettext(
                "Filter %(names)s is not used in this matrix: it has no such filter.",
                "Filters %(names)s are not used in this matrix: it has no such filters.",
                len(unknown),
            )
            % {"names": names + (", …" if len(unknown) > 5 else "")}
        )
    return form, start, end, kecamatan, kind, notices


def opd_matrix(request):
    if request.GET.get("format") == "xlsx":
        from .downloads import respond  # streamed, or a job when it is large

        return respond(request, "matriks-opd", "xlsx", refused=None)
    form, start, end, kecamatan, kind, notices = read_filters(request.user, request.GET)
    matrix = build_matrix(request.user, start, end, kecamatan=kecamatan, kind=kind)
    return render(
        request,
        "reports/opd_matrix.html",
        {"form": form, "matrix": matrix, "notices": notices, "query": request.GET.urlencode()},
    )


def xlsx_name(start, end) -> str:
    return f"matriks-opd-{start:%Y%m%d}-{end:%Y%m%d}"


def xlsx_sheets(matrix: Matrix) -> list[tuple]:
    period = f"{matrix.start:%d/%m/%Y}–{matrix.end:%d/%m/%Y}"
    header = (
        [_("Agency (%(period)s)") % {"period": period}]
        + [s.name for s in matrix.sites]
        + [_("Sites present")]
    )
    rows = []
    for row in matrix.rows:
        values = [(c.programs + c.activities) if c.present else Highlight(0) for c in row.cells]
        rows.append([row.agency.name, *values, row.present_count])
    rows.append([_("Agencies present"), *matrix.site_totals, matrix.present_pairs])
    # A generator: an agency's row per site, thousands of rows per agency nationally.
    details = (
        [
            row.agency.name,
            site.name,
            site.kelurahan.code,
            site.kelurahan.name,
            cell.programs,
            cell.activities,
        ]
        for row in matrix.rows
        for site, cell in zip(matrix.sites, row.cells, strict=True)
    )
    return [
        (_("Matrix"), header, rows),
        (
            _("Details"),
            [
                _("Agency"),
                _("Kampung KB"),
                _("Kelurahan code"),
                _("Kelurahan"),
                _("Programs"),
                _("Verified activities"),
            ],
            details,
        ),
    ]
