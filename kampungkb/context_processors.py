from django.conf import settings

from .scopes import get_scope


def portal(request):
    """The portal's name and the user's scope (for menus; never for access decisions)."""
    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_CITY": settings.PORTAL_CITY,
        "scope": get_scope(user),
    }
