"""Pages built from panels contributed by several apps (the dashboard, the site page).

A provider is a callable ``(request, scope, **kwargs) -> list[Panel]`` named by dotted path
below; each app adds its own. Each provider must run a bounded number of queries.
"""

from dataclasses import dataclass, field
from importlib import import_module

from django.utils.module_loading import import_string, module_has_submodule

from .scopes import get_scope

PROVIDERS = {
    "dashboard": [
        "villages.dashboard.panels",
        "activities.dashboard.panels",
        "activities.coordination_panels.dashboard_panels",
        "reports.dashboard.panels",
        "reports.maps.dashboard_panels",
    ],
    # Public pages: anonymous visitors; panels must show no personal data.
    "landing": ["activities.public.landing_panels", "reports.maps.landing_panels"],
    # kwargs: site=<KampungKB> (an active site)
    "public_site": ["activities.public.site_panels"],
    # kwargs: site=<KampungKB>
    "site": [
        "activities.site_panels.panels",
        "activities.coordination_panels.site_panels",
        "reports.site_panels.panels",
        "reports.maps.site_panels",
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
        if not module_exists(path.rsplit(".", 1)[0]):
            continue  # the app has no panels for this page (yet)
        panels.extend(import_string(path)(request, scope, **kwargs))
    panels.sort(key=lambda p: p.order)
    return panels


def module_exists(dotted: str) -> bool:
    """True when ``app.module`` exists (errors *inside* it are not hidden)."""
    package, _, name = dotted.rpartition(".")
    return module_has_submodule(import_module(package), name)
