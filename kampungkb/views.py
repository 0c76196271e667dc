from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_safe

from villages.models import KampungKB
from villages.services import sites_by_kecamatan

from .panels import collect


@login_not_required
@require_safe  # HEAD too: monitoring tools probe the home page with it
def landing(request):
    """Public landing page: active sites per kecamatan and counts. No personal data."""
    public_sites = KampungKB.objects.public()
    groups = sites_by_kecamatan(public_sites)
    ctx = {
        "groups": groups,
        "site_count": sum(len(sites) for _, sites in groups),
        "kecamatan_with_site": sum(1 for _, sites in groups if sites),
        "kelurahan_count": public_sites.aggregate(n=Count("kelurahan", distinct=True))["n"],
    }
    ctx["panels"] = collect("landing", request)
    return render(request, "kampungkb/landing.html", ctx)


def dashboard(request):
    """One dashboard per person; a user holding several roles sees each role's panels."""
    return render(request, "kampungkb/dashboard.html", {"panels": collect("dashboard", request)})
