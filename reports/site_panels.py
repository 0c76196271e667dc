"""The quality panel of a site page: the 12 sub-scores with the figure behind each, what
would lift the site to the next class, and its class history (one query)."""

from django.urls import reverse

from kampungkb.panels import Panel

from .charts import chart
from .models import QualityScore
from .periods import month_param
from .quality import INDEX_KEYS, INDEX_LABELS, INDICATORS, next_class_plan
from .recompute import figures_of
from .sustainability import last_due_month

HISTORY_MONTHS = 24


def panels(request, scope, site=None, **kwargs):
    rows = list(
        QualityScore.objects.visible_to(request.user)
        .filter(site=site)
        .order_by("-period")[:HISTORY_MONTHS]
    )
    if not rows:
        return [Panel("reports/panels/site_quality.html", {"site": site, "row": None}, order=40)]
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
    return [
        Panel(
            "reports/panels/site_quality.html",
            {
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
            },
            order=40,
        )
    ]
