from django import template

from kampungkb.models import Notification

register = template.Library()

USULAN_BADGES = {
    "submitted": "text-bg-primary",
    "under_review": "text-bg-info",
    "accepted": "text-bg-success",
    "rejected": "text-bg-danger",
    "carried_out": "text-bg-dark",
}


@register.filter
def usulan_badge(status):
    """The Bootstrap badge class of an usulan status."""
    return USULAN_BADGES.get(status, "text-bg-secondary")


@register.simple_tag(takes_context=True)
def unread_notifications(context):
    """The signed-in user's unread inbox count (one query, once per page)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return unread_count(request)


def unread_count(request) -> int:
    """Counted once per request (the menu badge and the dashboard panel share it)."""
    cache = request.__dict__
    if "_unread_notifications" not in cache:
        cache["_unread_notifications"] = (
            Notification.objects.visible_to(request.user).unread().count()
        )
    return cache["_unread_notifications"]
