"""Maps: the kelurahan choropleth of the dashboard, the classification report, the site
page and the landing page (static/js/map.js draws them with the vendored Leaflet).

Two requests feed a map: the boundaries (public geography, the same for everyone, sent
once and kept by the browser under a versioned URL) and the values of one month for the
user's scope (one query, a few KB).
"""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import FilteredRelation, Q
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.formats import date_format
from django.utils.html import _json_script_escapes
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from kampungkb.scopes import get_scope
from villages.boundaries import meta, payload
from villages.models import KampungKB

from .dashboard import CLASS_COLORS as DASHBOARD_CLASS_COLORS
from .periods import MonthError, latest_scored_month, month_param, parse_month
from .quality import QualityClass

# The class badges' colours, as on the dashboard's charts (static/css/map.css repeats
# them for the legend); map.js draws a kelurahan without a site light grey and dashed.
CLASS_COLORS = dict(enumerate(DASHBOARD_CLASS_COLORS, start=1))


class MapJSONEncoder(DjangoJSONEncoder):
    """``<``, ``>`` and ``&`` written as ``\\u003C``… (as ``json_script`` does): a site's
    name typed by a Pokja never appears as markup in a response, whatever reads it."""

    def encode(self, o):
        return super().encode(o).translate(_json_script_escapes)


def map_json(data) -> JsonResponse:
    return JsonResponse(data, encoder=MapJSONEncoder)


BOUNDARIES_MAX_AGE = 365 * 24 * 60 * 60


@require_safe
@login_not_required
def boundaries(request):
    """The boundaries FeatureCollection: public geography, precompressed. Under the
    current ``?v=`` it never changes (a new load gives a new version), so browsers and
    proxies keep it for a year; under any other query, for five minutes."""
    data = payload()
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(
        data.gzipped if gzip_ok else data.body, content_type="application/geo+json"
    )
    if gzip_ok:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    if request.GET.get("v") == data.version:
        patch_cache_control(response, public=True, max_age=BOUNDARIES_MAX_AGE, immutable=True)
    else:
        patch_cache_control(response, public=True, max_age=300)
    return response


def boundaries_url() -> str:
    return f"{reverse('maps:boundaries')}?v={meta().version}"


def site_rows(user, month: datetime.date | None, public=False):
    """The active sites the user reads, with their class of ``month`` (None: not scored
    that month) and that month's report date: one query (a LEFT JOIN on the month's
    quality row). ``public``: every active site, for the landing page (name and class)."""
    sites = KampungKB.objects.public() if public else KampungKB.objects.visible_to(user)
    # Only the cities whose boundaries are loaded (Tangsel): the map cannot show the rest,
    # and a national installation's 83,000 sites must not ride along (a national map by
    # kecamatan is later work).
    kota_codes = {code[:5] for code, *_rest in meta().kelurahan}
    return list(
        sites.filter(is_active=True, kelurahan__kecamatan__kota__code__in=kota_codes)
        .annotate(
            score=FilteredRelation("quality_scores", condition=Q(quality_scores__period=month))
        )
        .order_by("kelurahan__code", "name")
        .values_list(
            "pk", "name", "kelurahan__code", "score__quality_class", "score__report_submitted_at"
        )
    )


def values(user, month: datetime.date | None, public=False) -> dict:
    """Per kelurahan code: its best class that month and its sites (name, class, link,
    report date), plus the kelurahan codes the user's scope covers (``area``; None: the
    whole map), so a camat's map leaves the rest of the city plain outlines."""
    rows = site_rows(user, month, public=public)
    kelurahan = {}
    for pk, name, code, klass, reported in rows:
        entry = kelurahan.setdefault(code, {"class": None, "sites": []})
        if klass and (entry["class"] is None or klass > entry["class"]):
            entry["class"] = klass
        site = {
            "name": name,
            "class": klass,
            "class_label": str(QualityClass(klass).label) if klass else _("Not scored yet"),
        }
        if public:
            site["url"] = reverse("public:site-detail", args=[pk])
        else:
            site["url"] = reverse("villages:site-detail", args=[pk])
            site["report"] = (
                date_format(reported.date(), "SHORT_DATE_FORMAT") if reported else _("not sent")
            )
        entry["sites"].append(site)
    scope = get_scope(user)
    area = None
    if not public and not scope.reads_all_sites:
        wanted = set(kelurahan)
        if scope.kecamatan_ids or scope.kelurahan_ids:
            # The area viewer's whole area, sites or not: kelurahan codes from the cached
            # boundaries' table would need ids; one small query instead.
            from villages.models import Kelurahan

            wanted |= set(
                Kelurahan.objects.filter(
                    Q(kecamatan_id__in=scope.kecamatan_ids) | Q(pk__in=scope.kelurahan_ids)
                ).values_list("code", flat=True)
            )
        area = sorted(wanted)
    return {
        "month": month_param(month) if month else None,
        "month_label": date_format(month, "F Y") if month else "",
        "kelurahan": kelurahan,
        "area": area,
        "colors": CLASS_COLORS,
        "labels": {
            "no_site": _("no Kampung KB yet"),
            "report": _("Monthly report"),
            "outside": _("outside your area"),
            "kel": _("Kel."),
        },
    }


def _month(request):
    try:
        return parse_month(request.GET.get("bulan")) or latest_scored_month(), None
    except MonthError as exc:
        return None, HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")


@require_safe
def values_view(request):
    """One month's values for the logged-in user's scope (``?bulan=YYYY-MM``; default the
    newest scored month). Private: the middleware marks it ``private, no-store``."""
    month, error = _month(request)
    if error:
        return error
    return map_json(values(request.user, month))


@require_safe
@login_not_required
def public_values(request):
    """The landing page's map: every active site's name and latest class, nothing else
    (no report dates, no points)."""
    month = latest_scored_month()
    response = map_json(values(None, month, public=True))
    patch_cache_control(response, public=True, max_age=300)
    return response


def map_context(values_url: str, *, month=None, site=None) -> dict:
    """What templates/reports/includes/map.html needs (no query once the boundaries are
    cached)."""
    return {
        "boundaries_url": boundaries_url(),
        "values_url": values_url,
        "month": month,
        "site": site,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "class_colors": [(str(c.label), CLASS_COLORS[c.value]) for c in QualityClass],
    }


def table_rows(data: dict) -> list[dict]:
    """The map's equivalent table (what screen readers and print use): one row per
    kelurahan of the user's area, in code order, with its sites."""
    area = set(data["area"]) if data["area"] is not None else None
    rows = []
    for code, name, _kec_code, kec_name in meta().kelurahan:
        if area is not None and code not in area:
            continue
        entry = data["kelurahan"].get(code)
        rows.append(
            {"kecamatan": kec_name, "kelurahan": name, "sites": entry["sites"] if entry else []}
        )
    return rows


# --------------------------------------------------------------------------------------
# Panels (kampungkb.panels)
# --------------------------------------------------------------------------------------
def dashboard_panels(request, scope):
    """The Dinas's whole city; an area viewer's kecamatan/kelurahan coloured, the rest
    plain outlines. Two queries (the month, the table's values) once boundaries are cached."""
    from kampungkb.panels import Panel

    if not (scope.is_dinas or scope.is_viewer):
        return []
    month = latest_scored_month()
    return [Panel("reports/panels/map.html", map_panel(request.user, month), order=11)]


def map_panel(user, month) -> dict:
    query = f"?bulan={month_param(month)}" if month else ""
    data = values(user, month)
    return {
        "map": map_context(reverse("maps:values") + query, month=month),
        "rows": table_rows(data),
        "month": month,
    }


def site_panels(request, scope, site):
    """The site's kelurahan outlined and its point (no query: boundaries are cached)."""
    from kampungkb.panels import Panel

    return [Panel("reports/panels/site_map.html", site_map(site), order=5)]


def site_map(site) -> dict:
    data = meta()
    return {
        "map": map_context(
            None,
            site={
                "kelurahan": site.kelurahan.code,
                "name": site.name,
                "lat": float(site.latitude) if site.latitude is not None else None,
                "lng": float(site.longitude) if site.longitude is not None else None,
            },
        ),
        "has_boundary": any(row[0] == site.kelurahan.code for row in data.kelurahan),
        "site": site,
    }


def landing_panels(request, scope):
    """The public map: each active site's name and latest class by kelurahan; no points."""
    from kampungkb.panels import Panel

    return [
        Panel(
            "reports/panels/public_map.html",
            {"map": map_context(reverse("maps:public-values"))},
            order=5,
        )
    ]
