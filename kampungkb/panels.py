"""Pages built from panels contributed by several apps (the dashboard, the site page).

A provider is a callable ``(request, scope, **kwargs) -> list[Panel]`` named by dotted path
below; each app adds its own. Each provider must run a bounded number of queries.
"""

from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from .scopes import get_scope

PROVIDERS = {
    "dashboard": [
        "villages.dashboard.panels",
        "activities.dashboard.panels",
        "reports.dashboard.panels",
    ],
    # Public pages: anonymous visitors; panels must show no personal data.
    "landing": ["activities.public.landing_panels"],
    # kwargs: site=<KampungKB> (an active site)
    "public_site": ["activities.public.site_panels"],
    # kwargs: site=<KampungKB>
    "site": [
        "activities.site_panels.panels",
        "reports.site_panels.panels",
    ],
}


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def collect(page: str, request, **kwargs) -> list[Panel]:
    scope = get_scope(request.user)
    panels = []
    for path in PROVIDERS[page]:
        try:
            provider = import_string(path)
        except ImportError:
            continue  # the app has no panels for this page (yet)
        panels.extend(provider(request, scope, **kwargs))
    panels.sort(key=lambda p: p.order)
    return panels
