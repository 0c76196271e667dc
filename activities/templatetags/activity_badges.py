from django import template
from django.utils.html import format_html

register = template.Library()

STATUS_BADGES = {
    "verified": "text-bg-success",
    "submitted": "text-bg-primary",
    "returned": "text-bg-warning",
}


@register.filter
def status_badge(activity):
    """An activity's status as a Bootstrap badge. A filter rather than an ``{% include %}``:
    lists and panels show one per activity, and each include rendered a sub-template."""
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(activity.status, "text-bg-secondary"),
        activity.get_status_display(),
    )
