"""Small display helpers for the report templates."""

from django import template
from django.utils.translation import gettext_lazy as _

from reports.quality import QualityClass

register = template.Library()

CLASS_CSS = {1: "text-bg-secondary", 2: "text-bg-info", 3: "text-bg-primary", 4: "text-bg-success"}
REPORT_LABELS = {
    "on_time": _("On time"),
    "late": _("Late"),
    "missing": _("Missing"),
    "not_due": _("Not due yet"),
}
REPORT_CSS = {
    "on_time": "text-bg-success",
    "late": "text-bg-warning",
    "missing": "text-bg-danger",
    "not_due": "text-bg-light border",
}


@register.filter
def class_label(value):
    if value in (None, ""):
        return "—"
    return QualityClass(int(value)).label


@register.filter
def class_css(value):
    return (
        CLASS_CSS.get(int(value), "text-bg-light") if value not in (None, "") else "text-bg-light"
    )


@register.filter
def report_label(value):
    return REPORT_LABELS.get(value, "—")


@register.filter
def report_css(value):
    return REPORT_CSS.get(value, "text-bg-light")


@register.filter
def pct(value):
    return "—" if value is None else f"{value}%"


@register.filter
def dash(value):
    return "—" if value is None or value == "" else value


@register.filter
def score_css(value):
    """Colour of a 1–4 sub-score cell."""
    return {1: "kkb-score-1", 2: "kkb-score-2", 3: "kkb-score-3", 4: "kkb-score-4"}.get(value, "")
