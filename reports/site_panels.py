"""The quality panel of a site page: the 12 sub-scores with the figure behind each, what
would lift the site to the next class, and its class history.

The panel changes only when the site's quality rows do (a recompute replaces them), yet it
is a quarter of the work of the page a Pokja opens most. Its HTML is therefore cached,
under a key made of what it is built from: the version of the site's rows (their number,
newest id, newest computation time and newest month: one query), the language, the
month whose report is due and the site's name (in the chart). A recompute gives new ids
and times, so a changed row is never shown from the cache, whatever the cache backend and
however many workers share it.
"""

import hashlib

from django.core.cache import cache
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from kampungkb.panels import Panel

from .charts import chart
from .models import QualityScore
from .periods import month_param
from .quality import INDEX_KEYS, INDEX_LABELS, INDICATORS, next_class_plan
from .recompute import figures_of
from .sustainability import last_due_month

HISTORY_MONTHS = 24
TEMPLATE = "reports/panels/site_quality.html"
CACHE_SECONDS = 6 * 3600


def panels(request, scope, site=None, **kwargs):
    rows = QualityScore.objects.visible_to(request.user).filter(site=site)
    version = rows.aggregate(
        n=Count("pk"), pk=Max("pk"), at=Max("computed_at"), month=Max("period")
    )
    if not version["n"]:
        return [Panel(TEMPLATE, {"site": site, "row": None}, order=40)]
    key = cache_key(site, version)
    html = cache.get(key)
    if html is None:
        html = render_to_string(TEMPLATE, {"panel": panel_context(site, rows)})
        cache.set(key, html, CACHE_SECONDS)
    return [Panel("includes/panel_html.html", {"html": mark_safe(html)}, order=40)]  # noqa: S308 - rendered (escaped) by the template above


def cache_key(site, version) -> str:
    # The site's name is in the chart; the due month moves the printable report's link.
    material = "|".join(
        str(part)
        for part in (
            get_language(),
            version["n"],
            version["pk"],
            version["at"].isoformat(),
            version["month"].isoformat(),
            last_due_month().isoformat(),
            site.name,
        )
    )
    return f"site-quality:{site.pk}:{hashlib.sha256(material.encode()).hexdigest()[:32]}"


def panel_context(site, rows) -> dict:
    """What the panel shows, from the site's newest ``HISTORY_MONTHS`` rows (one query)."""
    rows = list(rows.order_by("-period")[:HISTORY_MONTHS])
    row = rows[0]
    figures = figures_of(row)
    groups = []
    for index in INDEX_KEYS:
        groups.append(
            {
                "key": index,
                "label": INDEX_LABELS[index],
                "value": getattr(row, f"{index}_index"),
                "indicators": [
                    {
                        "label": ind.label,
                        "score": row.score_of(ind.key),
                        "max": ind.max_score,
                        "figure": ind.describe(figures),
                    }
                    for ind in INDICATORS
                    if ind.index == index
                ],
            }
        )
    history = list(reversed(rows))
    report_month = min(last_due_month(), row.period)
    return {
        "site": site,
        "row": row,
        "groups": groups,
        "plan": next_class_plan(figures),
        "history": rows,
        "chart": chart(
            "line",
            [r.period.strftime("%m/%Y") for r in history],
            [{"label": site.name, "data": [r.quality_class for r in history]}],
            y_min=1,
            y_max=4,
        ),
        "timeline_url": reverse("reports:site-timeline", args=[site.pk]),
        "report_url": reverse("reports:monthly-report", args=[site.pk])
        + f"?bulan={month_param(report_month)}",
        "compare_url": reverse("reports:comparison") + f"?kampung={site.pk}",
    }
