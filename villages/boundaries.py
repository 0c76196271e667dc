"""Kelurahan boundaries (GeoJSON polygons) and the kecamatan/kota outlines built from them.

The format is the one of ``villages/data/tangsel_kelurahan.geojson``: a FeatureCollection
of Polygon/MultiPolygon features in WGS 84 (longitude, latitude), each with a
``kemendagri_code`` property naming a kelurahan already in the master data. Every feature
is checked first; if any is bad nothing is saved and the errors are reported by feature
number. Loading is idempotent (features are matched by their code). The kecamatan and kota
outlines are the union of their kelurahan, computed here once, not on each request.
Used by a data migration and by ``manage.py load_boundaries``.
"""

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import transaction
from django.utils.html import _json_script_escapes
from django.utils.translation import gettext as _
from shapely.geometry import shape

TANGSEL_GEOJSON = Path(__file__).resolve().parent / "data" / "tangsel_kelurahan.geojson"
# Every input bounded: a national file of ~84,000 desa simplified to 4 m is ~250 MB, a
# city's a few hundred KB; one kelurahan has at most a few thousand vertices.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FEATURES = 100_000
MAX_VERTICES = 50_000
# Indonesia (with a margin): a point outside is a wrong file or lat/lon written swapped.
INDONESIA = {"min_lng": 94.0, "max_lng": 142.0, "min_lat": -11.5, "max_lat": 6.5}
# Outlines are rounded to 0.00001 degree (~1 m), like the source file.
GRID = 0.00001


class BoundaryError(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class LoadResult:
    kelurahan: int = 0
    kecamatan: int = 0
    kota: int = 0


def _in_box(points, box) -> bool:
    return all(
        box["min_lng"] <= x <= box["max_lng"] and box["min_lat"] <= y <= box["max_lat"]
        for x, y in points
    )


def _points(geom):
    for polygon in getattr(geom, "geoms", [geom]):
        yield from polygon.exterior.coords
        for ring in polygon.interiors:
            yield from ring.coords


def _geometry_problem(raw):
    """The shapely geometry of a GeoJSON geometry dict, or (None, the reason it is bad)."""
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        return None, _("the geometry must be a Polygon or a MultiPolygon")
    try:
        geom = shape(raw)
    except (TypeError, ValueError, IndexError, AttributeError, shapely.errors.ShapelyError):
        return None, _("the polygon's coordinates are malformed")
    if geom.is_empty:
        return None, _("the polygon is empty")
    points = list(_points(geom))
    if len(points) > MAX_VERTICES:
        return None, _("the polygon has more than %(n)d points") % {"n": MAX_VERTICES}
    if geom.has_z:
        return None, _("the polygon's coordinates must be 2D (longitude, latitude)")
    if not _in_box(points, INDONESIA):
        swapped = [(y, x) for x, y in points]
        if _in_box(swapped, INDONESIA):
            return None, _(
                "the coordinates are in (latitude, longitude) order; GeoJSON needs "
                "(longitude, latitude)"
            )
        return None, _("the polygon lies outside Indonesia")
    if not geom.is_valid:
        return None, _("the polygon is invalid (%(reason)s), e.g. its edges cross") % {
            "reason": shapely.is_valid_reason(geom)
        }
    return geom, None


def parse(text: str, kelurahan_by_code: dict) -> dict:
    """Check the GeoJSON text against the known kelurahan ({code: (kecamatan code, kota
    bounding box or None)}). Returns {code: shapely geometry}; raises BoundaryError."""
    if len(text) > MAX_FILE_BYTES:
        raise BoundaryError([_("The file is larger than 50 MB.")])
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BoundaryError(
            [
                _("Line %(line)d: not valid JSON (%(error)s).")
                % {"line": getattr(exc, "lineno", 1), "error": getattr(exc, "msg", exc)}
            ]
        ) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or data.get("type") != "FeatureCollection":
        raise BoundaryError([_("The file is not a GeoJSON FeatureCollection.")])
    if not features:
        raise BoundaryError([_("The file contains no features.")])
    if len(features) > MAX_FEATURES:
        raise BoundaryError([_("The file has more than %(n)d features.") % {"n": MAX_FEATURES}])
    errors, shapes, seen = [], {}, {}
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        code = str(props.get("kemendagri_code") or "").strip()[:20]
        problems = []
        if not code:
            problems.append(_("the kemendagri_code property is missing"))
        elif code not in kelurahan_by_code:
            problems.append(_("unknown kelurahan code “%(code)s”") % {"code": code})
        elif code in seen:
            problems.append(
                _("code “%(code)s” already appears in feature %(n)d")
                % {"code": code, "n": seen[code]}
            )
        geom, problem = _geometry_problem(
            feature.get("geometry") if isinstance(feature, dict) else None
        )
        if problem:
            problems.append(problem)
        if geom is not None and code in kelurahan_by_code:
            kecamatan_code, box = kelurahan_by_code[code]
            claimed = str(props.get("kecamatan_code") or "")
            if claimed and claimed != kecamatan_code:
                problems.append(
                    _("it names kecamatan “%(claimed)s” but the kelurahan is in “%(actual)s”")
                    % {"claimed": claimed[:20], "actual": kecamatan_code}
                )
            if box and not _in_box(_points(geom), box):
                problems.append(_("the polygon lies (partly) outside its city's bounding box"))
        if problems:
            errors.append(
                _("Feature %(n)d (%(code)s): %(problems)s.")
                % {"n": number, "code": code or "?", "problems": "; ".join(problems)}
            )
        else:
            seen[code] = number
            shapes[code] = geom
    if errors:
        raise BoundaryError(errors)
    return shapes


def _rounded(geom) -> dict:
    geom = shapely.set_precision(geom, GRID)
    return json.loads(shapely.to_geojson(geom))


def outline(geoms) -> dict:
    """The union of neighbouring polygons, without the slivers simplification leaves
    between them (closed with a 2 m buffer out and back)."""
    merged = shapely.union_all([g.buffer(2 * GRID, join_style="mitre") for g in geoms])
    return _rounded(merged.buffer(-2 * GRID, join_style="mitre"))


def load(text: str, apps=None) -> LoadResult:
    """Validate, then save every boundary and the affected outlines (all or nothing)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Kota = apps.get_model("villages", "Kota")
    Kecamatan = apps.get_model("villages", "Kecamatan")
    Kelurahan = apps.get_model("villages", "Kelurahan")
    Boundary = apps.get_model("villages", "Boundary")
    boxes = {}
    for kota in Kota.objects.all():
        corners = (kota.min_latitude, kota.max_latitude, kota.min_longitude, kota.max_longitude)
        if None not in corners:
            boxes[kota.pk] = dict(
                zip(("min_lat", "max_lat", "min_lng", "max_lng"), map(float, corners), strict=True)
            )
    known = {
        code: (kec_code, boxes.get(kota_id))
        for code, kec_code, kota_id in Kelurahan.objects.values_list(
            "code", "kecamatan__code", "kecamatan__kota_id"
        )
    }
    shapes = parse(text, known)
    result = LoadResult()
    with transaction.atomic():
        for code, geom in shapes.items():
            Boundary.objects.update_or_create(
                code=code, defaults={"level": "kelurahan", "geometry": _rounded(geom)}
            )
            result.kelurahan += 1
        kecamatan_codes = {known[code][0] for code in shapes}
        for kecamatan in Kecamatan.objects.filter(code__in=kecamatan_codes):
            codes = Kelurahan.objects.filter(kecamatan=kecamatan).values("code")
            _save_outline(Boundary, kecamatan.code, "kecamatan", codes)
            result.kecamatan += 1
        for kota in Kota.objects.filter(kecamatan_set__code__in=kecamatan_codes).distinct():
            codes = Kelurahan.objects.filter(kecamatan__kota=kota).values("code")
            _save_outline(Boundary, kota.code, "kota", codes)
            result.kota += 1
        # Forgotten now (this process, this connection) and again once an outer
        # transaction commits, so no other process rebuilds it from the old rows meanwhile.
        transaction.on_commit(forget_payload)
    forget_payload()
    return result


def _save_outline(Boundary, code, level, kelurahan_codes):
    rows = Boundary.objects.filter(code__in=kelurahan_codes).values_list("geometry", flat=True)
    Boundary.objects.update_or_create(
        code=code, defaults={"level": level, "geometry": outline([shape(g) for g in rows])}
    )


def load_tangsel(apps=None) -> LoadResult:
    return load(TANGSEL_GEOJSON.read_text(encoding="utf-8"), apps=apps)


def contains(boundary: dict | None, lat, lng) -> bool:
    """Whether (lat, lng) lies inside or on the edge of a stored boundary (True if none)."""
    if not boundary:
        return True
    return shape(boundary).covers(shapely.Point(float(lng), float(lat)))


def representative_point(boundary: dict) -> tuple[float, float]:
    """A point surely inside the polygon (not the centroid, which may fall outside a
    crescent-shaped kelurahan), as (lat, lng) rounded to 6 decimals like the site fields."""
    point = shape(boundary).representative_point()
    return round(point.y, 6), round(point.x, 6)


# --------------------------------------------------------------------------------------
# The map's boundaries file, built once and kept in the cache
# --------------------------------------------------------------------------------------
PAYLOAD_CACHE_KEY = "maps:boundaries:1"
# The version and names alone (a few KB): what a page needs, without the 250 KB body.
META_CACHE_KEY = "maps:boundaries-meta:1"


@dataclass
class Meta:
    version: str
    # [(kelurahan code, name, kecamatan code, kecamatan name)], in code order: the map's
    # equivalent table reads the names from here without a query.
    kelurahan: list


@dataclass
class Payload(Meta):
    body: bytes = b""
    gzipped: bytes = b""


def meta() -> Meta:
    from django.core.cache import cache

    cached = cache.get(META_CACHE_KEY)
    return cached if cached is not None else payload()


def payload() -> Payload:
    """The kelurahan polygons and kecamatan outlines as one GeoJSON FeatureCollection,
    versioned by a hash of its bytes. Three queries when the cache is cold, none after;
    ``load()`` forgets it once its transaction commits."""
    from django.core.cache import cache

    cached = cache.get(PAYLOAD_CACHE_KEY)
    if cached is not None:
        return cached
    from .models import Boundary, Kecamatan, Kelurahan

    names = {
        code: (name, kec_code, kec_name)
        for code, name, kec_code, kec_name in Kelurahan.objects.values_list(
            "code", "name", "kecamatan__code", "kecamatan__name"
        )
    }
    kecamatan = dict(Kecamatan.objects.values_list("code", "name"))
    features, rows = [], []
    for code, level, geometry in Boundary.objects.filter(
        level__in=("kelurahan", "kecamatan")
    ).values_list("code", "level", "geometry"):
        if level == "kelurahan" and code in names:
            name, kec_code, kec_name = names[code]
            properties = {"level": level, "name": name, "kec": kec_code}
            rows.append((code, name, kec_code, kec_name))
        elif level == "kecamatan":
            properties = {"level": level, "name": kecamatan.get(code, code)}
        else:
            continue
        features.append(
            {"type": "Feature", "id": code, "properties": properties, "geometry": geometry}
        )
    body = (
        json.dumps(
            {"type": "FeatureCollection", "features": features},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        .translate(_json_script_escapes)  # names as data, never markup (as json_script)
        .encode()
    )
    version = hashlib.sha256(body).hexdigest()[:12]
    result = Payload(
        version=version,
        kelurahan=rows,
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
    )
    cache.set_many(
        {PAYLOAD_CACHE_KEY: result, META_CACHE_KEY: Meta(version=version, kelurahan=rows)},
        None,
    )
    return result


def forget_payload():
    from django.core.cache import cache

    cache.delete_many([PAYLOAD_CACHE_KEY, META_CACHE_KEY])
