"""Report pages and their exports. Every queryset starts from ``visible_to(user)``; the
forms only narrow it. An export runs the page's own form and queryset and writes the
page's own columns."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, Prefetch
from django.db.models.functions import Least
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from activities.models import Activity
from kampungkb.bounds import page_in_range
from kampungkb.mixins import SiteScopedMixin
from villages.models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot

from . import downloads
from .charts import chart
from .columns import ACTIVITY_COLUMNS, CLASSIFICATION_COLUMNS, render_rows
from .forms import ActivityReportFilterForm, ClassificationFilterForm, asks_for_hidden_area
from .maps import map_panel
from .models import QualityScore
from .periods import MonthError, latest_scored_month, month_param, parse_month
from .quality import INDEX_LABELS, INDICATORS, QualityClass
from .recompute import figures_of
from .sustainability import add_months, continuity, month_end, report_due_date, report_status


def bad_request(request, form):
    if asks_for_hidden_area(form):
        raise Http404
    return HttpResponseBadRequest(
        render(request, "reports/bad_request.html", {"form": form}).content
    )


# --------------------------------------------------------------------------------------
# Classification table
# --------------------------------------------------------------------------------------
class ClassificationMixin:
    def get_form(self):
        # Always bound: an empty query is a valid form (every filter is optional).
        return ClassificationFilterForm(self.request.GET, user=self.request.user)

    def month(self, form):
        chosen = form.cleaned_data.get("bulan") if form.is_valid() else None
        return chosen or latest_scored_month()

    def rows(self, form, month):
        return downloads.classification_rows(self.request.user, form, month)


class CountedPaginator(Paginator):
    """A paginator that asks ``known_count()`` for the number of rows first and counts
    them itself only when it answers ``None``."""

    def __init__(self, *args, known_count, **kwargs):
        self.known_count = known_count
        super().__init__(*args, **kwargs)

    @cached_property
    def count(self):
        known = self.known_count()
        return known if known is not None else super().count


class ClassificationView(ClassificationMixin, ListView):
    template_name = "reports/classification.html"
    paginate_by = 50
    context_object_name = "rows"

    def get_paginator(self, queryset, per_page, **kwargs):
        return CountedPaginator(queryset, per_page, known_count=self.summary_count, **kwargs)

    def summary_count(self):
        """The number of rows from the month's summary, when it can tell (the one figure
        of the first page that grew with the number of sites)."""
        return downloads.classification_summary_count(
            self.request.user, self.form, self.month_value
        )

    def get_queryset(self):
        self.form = self.get_form()
        self.month_value = self.month(self.form)
        if self.month_value is None:
            return QualityScore.objects.none()
        return self.rows(self.form, self.month_value)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            form=self.form,
            month=self.month_value,
            columns=CLASSIFICATION_COLUMNS,
            table_body=render_rows(CLASSIFICATION_COLUMNS, ctx["rows"]),
            query=self.request.GET.urlencode(),
            classes=QualityClass,
        )
        if self.month_value and ctx["page_obj"].number == 1:
            # The month's choropleth of the user's scope (not narrowed by the filters).
            ctx["map"] = map_panel(self.request.user, self.month_value)
        return ctx


class DownloadView(View):
    """A download of :data:`reports.downloads.DOWNLOADS`: streamed, or a job if large."""

    download = ""

    def get(self, request, fmt):
        return downloads.respond(request, self.download, fmt, refused=bad_request)


class ClassificationExportView(DownloadView):
    download = "klasifikasi"


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------
class ComparisonMixin:
    def get_comparison(self):
        return downloads.comparison_result(self.request.user, self.request.GET)


class ComparisonView(ComparisonMixin, TemplateView):
    template_name = "reports/comparison.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form, result = self.get_comparison()
        ctx.update(form=form, result=result, query=self.request.GET.urlencode())
        return ctx


class ComparisonPrintView(ComparisonView):
    template_name = "reports/comparison_print.html"


class ComparisonExportView(DownloadView):
    download = "perbandingan"


# --------------------------------------------------------------------------------------
# Sustainability
# --------------------------------------------------------------------------------------
SUSTAINABILITY_SORTS = {
    "kontinuitas": ("continuity_pct",),
    "-kontinuitas": ("-continuity_pct",),
    "nama": ("site__name",),
    "kecamatan": ("kecamatan_id",),
    "memudar": ("-is_fading", "continuity_pct"),
}


class SustainabilityListView(ListView):
    """Every visible site's continuity as of the newest complete month; fading sites
    first by default, then the least continuous."""

    template_name = "reports/sustainability_list.html"
    paginate_by = 50
    context_object_name = "rows"

    def get_queryset(self):
        self.month_value = latest_scored_month()
        self.sort = self.request.GET.get("urut") or "memudar"
        if self.sort not in SUSTAINABILITY_SORTS:
            self.sort = "memudar"
        self.fading_only = self.request.GET.get("memudar") == "1"
        if self.month_value is None:
            return QualityScore.objects.none()
        qs = (
            QualityScore.objects.visible_to(self.request.user)
            .filter(period=self.month_value)
            # Sorted on the row's own columns: no join over a whole month's rows.
            .annotate(
                continuity_pct=(F("active_months_12") * 100) / Least(F("month_index") + 1, 12)
            )
        )
        if self.fading_only:
            qs = qs.filter(is_fading=True)
        return qs.order_by(*SUSTAINABILITY_SORTS[self.sort], "site_id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = ctx["rows"]
        ids = [r.site_id for r in rows]
        sites = KampungKB.objects.select_related("kelurahan__kecamatan").in_bulk(ids)
        year_ago = (
            dict(
                QualityScore.objects.visible_to(self.request.user)
                .filter(site_id__in=ids, period=add_months(self.month_value, -12))
                .values_list("site_id", "quality_class")
            )
            if ids
            else {}
        )
        for row in rows:
            row.site = sites[row.site_id]
            row.class_year_ago = year_ago.get(row.site_id)
            row.continuity = continuity(row.active_months_12, row.month_index)
            row.observed = min(12, row.month_index + 1)
            row.report = report_status(row.period, row.report_submitted_at)
            row.change = (
                None if row.class_year_ago is None else row.quality_class - row.class_year_ago
            )
        ctx.update(
            month=self.month_value,
            sort=self.sort,
            sorts=SUSTAINABILITY_SORTS,
            fading_only=self.fading_only,
            classes=QualityClass,
        )
        return ctx


class SiteTimelineView(SiteScopedMixin, TemplateView):
    """A site's month-by-month timeline since its first reporting month."""

    template_name = "reports/site_timeline.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = list(
            QualityScore.objects.visible_to(self.request.user)
            .filter(site=self.site)
            .order_by("period")
        )
        by_month = {r.period: r for r in rows}
        today = timezone.localdate()
        for r in rows:
            r.report = report_status(r.period, r.report_submitted_at, today)
            before = by_month.get(add_months(r.period, -12))
            r.change = None if before is None else r.quality_class - before.quality_class
            r.class_year_ago = before.quality_class if before else None
        ctx.update(
            rows=list(reversed(rows)),
            first=rows[0] if rows else None,
            latest=rows[-1] if rows else None,
            chart=chart(
                "bar",
                [r.period.strftime("%m/%Y") for r in rows],
                [{"label": _("Verified activities"), "data": [r.activity_count for r in rows]}],
                y_min=0,
            ),
            classes=QualityClass,
        )
        return ctx


# --------------------------------------------------------------------------------------
# Printable monthly report of a site
# --------------------------------------------------------------------------------------
class MonthlyReportView(SiteScopedMixin, TemplateView):
    template_name = "reports/monthly_report.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, site = self.request.user, self.site
        error = None
        try:
            month = parse_month(self.request.GET.get("bulan"))
        except MonthError as exc:
            month, error = None, str(exc)
        month = month or latest_scored_month() or timezone.localdate().replace(day=1)
        row = (
            QualityScore.objects.visible_to(user).filter(site=site, period=month).first()
            if not error
            else None
        )
        activities = []
        if not error:
            activities = list(
                Activity.objects.visible_to(user)
                .verified()
                .filter(site=site, date__gte=month, date__lte=month_end(month))
                .prefetch_related("agencies")
                .order_by("date", "pk")
            )

        def current(model):
            return (
                model.objects.visible_to(user)
                .filter(site=site, period__lte=month)
                .order_by("-period")
                .first()
            )

        ctx.update(
            month=month,
            month_value=month_param(month),
            error=error,
            row=row,
            indicators=[
                (ind, row.score_of(ind.key), ind.describe(figures_of(row))) for ind in INDICATORS
            ]
            if row
            else [],
            index_labels=INDEX_LABELS,
            activities=activities,
            participants=sum(a.participants_total for a in activities),
            population=None if error else current(PopulationSnapshot),
            figures=None if error else current(KKBPKSnapshot),
            profile=None if error else current(ProfileSnapshot),
            report=report_status(month, row.report_submitted_at) if row else None,
            due=report_due_date(month),
            printed=timezone.localtime(),
            month_label=date_format(month, "F Y"),
        )
        return ctx


# --------------------------------------------------------------------------------------
# Activity list (filtered) and its export
# --------------------------------------------------------------------------------------
class ActivityReportMixin:
    def get_form(self):
        return ActivityReportFilterForm(self.request.GET, user=self.request.user)

    def filtered(self, form):
        return downloads.activities_queryset(self.request.user, form)

    def activities(self, form):
        return (
            self.filtered(form)
            .select_related("site__kelurahan__kecamatan")
            .prefetch_related(
                Prefetch("agencies", to_attr="agency_list")  # read by columns._agencies
            )
        )


class NoCountPage(Page):
    def __init__(self, object_list, number, paginator, more):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def next_page_number(self):
        return self.number + 1

    def start_index(self):
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1


class NoCountPaginator(Paginator):
    """Pages without ``COUNT(*)``: one row more than a page says whether another follows.
    (Counting five million activities costs more than showing fifty of them.)"""

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        if not page_in_range(number, self.per_page):
            raise EmptyPage(_("That page contains no results"))  # beyond any OFFSET
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(_("That page contains no results"))
        return NoCountPage(rows[: self.per_page], number, self, len(rows) > self.per_page)


class ActivityReportView(ActivityReportMixin, ListView):
    template_name = "reports/activity_list.html"
    paginate_by = 50
    paginator_class = NoCountPaginator
    context_object_name = "activities"

    def get_queryset(self):
        self.form = self.get_form()
        return self.activities(self.form)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            form=self.form,
            columns=ACTIVITY_COLUMNS,
            table_body=render_rows(ACTIVITY_COLUMNS, ctx["activities"]),
            query=self.request.GET.urlencode(),
        )
        return ctx


class ActivityExportView(DownloadView):
    download = "kegiatan"


class SiteRegistryExportView(DownloadView):
    """The site registry: the site list with its filters and sort order."""

    download = "kampung"
