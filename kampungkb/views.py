from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.models import Count
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.template import loader
from django.utils.formats import number_format
from django.utils.translation import gettext as _
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


def bad_request(request, exception=None):
    """The 400 page (``handler400``). A request over the upload limits (Django refuses it
    when the form is first read) names the limit it broke; any other 400 keeps the page's
    generic text. Rendered without the request, like Django's own handler: the request's
    POST data cannot be read again."""
    context = {}
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        context["too_large"] = _(
            "The form sent more than %(limit)s MB at once. Nothing was saved. Go back, send "
            "smaller files or shorter text, and try again."
        ) % {"limit": number_format(limit, decimal_pos=0 if limit == int(limit) else 1)}
    elif isinstance(exception, TooManyFieldsSent):
        context["too_large"] = _(
            "The form sent more than %(limit)s fields at once. Nothing was saved. Go back "
            "and send less at a time."
        ) % {"limit": number_format(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, force_grouping=True)}
    elif isinstance(exception, TooManyFilesSent):
        context["too_large"] = _(
            "The form sent more than %(limit)s files at once. Nothing was saved. Go back "
            "and send fewer files at a time."
        ) % {"limit": number_format(settings.DATA_UPLOAD_MAX_NUMBER_FILES, force_grouping=True)}
    return HttpResponseBadRequest(loader.get_template("400.html").render(context))
