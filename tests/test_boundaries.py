"""Kelurahan boundaries: Tangsel's load on migrate; load_boundaries checks every feature
(all or nothing) and is idempotent; the outlines are the union of their kelurahan."""

import copy
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from villages.boundaries import TANGSEL_GEOJSON
from villages.models import Boundary

pytestmark = pytest.mark.django_db

CILENGGANG = "36.74.01.1008"


def tangsel():
    return json.loads(TANGSEL_GEOJSON.read_text(encoding="utf-8"))


def feature(data, code):
    return next(f for f in data["features"] if f["properties"]["kemendagri_code"] == code)


def run(tmp_path, data):
    path = tmp_path / "batas.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("load_boundaries", str(path), stdout=out, stderr=err)
    return out.getvalue()


def test_migrate_loads_the_54_kelurahan_and_their_outlines():
    assert Boundary.objects.filter(level="kelurahan", code__startswith="36.74.").count() == 54
    assert Boundary.objects.filter(level="kecamatan").count() == 7
    kota = shape(Boundary.objects.get(code="36.74").geometry)
    assert kota.is_valid
    # The union has no slivers left between neighbours: one polygon, ~147 km².
    assert kota.geom_type == "Polygon"
    cilenggang = shape(Boundary.objects.get(code=CILENGGANG).geometry)
    serpong = shape(Boundary.objects.get(code="36.74.01").geometry)
    assert serpong.buffer(0.0001).contains(cilenggang)
    assert kota.buffer(0.0001).contains(serpong)


def test_load_boundaries_good_file_is_idempotent(tmp_path):
    before = Boundary.objects.get(code=CILENGGANG).geometry
    assert "54 kelurahan, 7 kecamatan, 1" in run(tmp_path, tangsel())
    assert "54 kelurahan, 7 kecamatan, 1" in run(tmp_path, tangsel())
    assert Boundary.objects.count() == 54 + 7 + 1
    assert Boundary.objects.get(code=CILENGGANG).geometry == before


def test_load_boundaries_replaces_one_kelurahan_and_rebuilds_its_outlines(tmp_path):
    data = tangsel()
    one = feature(data, CILENGGANG)
    # A square well inside Cilenggang's old outline.
    x, y = shape(one["geometry"]).representative_point().coords[0]
    d = 0.001
    square = [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]
    one["geometry"] = {"type": "Polygon", "coordinates": square}
    run(tmp_path, {"type": "FeatureCollection", "features": [one]})
    assert shape(Boundary.objects.get(code=CILENGGANG).geometry).area == pytest.approx(
        4 * d * d, rel=0.01
    )
    assert Boundary.objects.filter(level="kelurahan").count() == 54


def _swap(coords):
    if isinstance(coords[0], (int, float)):
        return [coords[1], coords[0]]
    return [_swap(c) for c in coords]


def bad_cases():
    def unknown(f):
        f["properties"]["kemendagri_code"] = "36.74.09.1001"

    def bowtie(f):
        f["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[106.67, -6.31], [106.68, -6.32], [106.68, -6.31], [106.67, -6.32]]],
        }

    def swapped(f):
        f["geometry"]["coordinates"] = _swap(f["geometry"]["coordinates"])

    def outside(f):
        # A valid polygon in Kota Bandung, not in Tangsel.
        f["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[107.60, -6.91], [107.61, -6.91], [107.61, -6.90], [107.60, -6.90]]],
        }

    def wrong_parent(f):
        f["properties"]["kecamatan_code"] = "36.74.06"

    def point(f):
        f["geometry"] = {"type": "Point", "coordinates": [106.67, -6.31]}

    def garbage(f):
        f["geometry"] = {"type": "Polygon", "coordinates": [["a", "b"]]}

    return [
        (unknown, "kode kelurahan “36.74.09.1001” tidak dikenal"),
        (bowtie, "Self-intersection"),
        (swapped, "(lintang, bujur)"),
        (outside, "di luar kotak batas kotanya"),
        (wrong_parent, "menyebut kecamatan “36.74.06”"),
        (point, "Polygon atau MultiPolygon"),
        (garbage, "koordinat poligon tidak berbentuk benar"),
    ]


@pytest.mark.parametrize("spoil, message", bad_cases())
def test_load_boundaries_rejects_a_bad_feature_and_saves_nothing(tmp_path, spoil, message):
    data = tangsel()
    before = copy.deepcopy(Boundary.objects.get(code="36.74.01.1001").geometry)
    # The first feature is changed to something good, the 9th (Cilenggang) spoiled.
    data["features"][0]["geometry"]["coordinates"][0].reverse()
    spoil(data["features"][8])
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_boundaries", str(path), stderr=err)
    assert "tidak ada yang disimpan" in str(excinfo.value)
    assert "Fitur 9" in err.getvalue()
    assert message in err.getvalue()
    assert Boundary.objects.get(code="36.74.01.1001").geometry == before


def test_load_boundaries_reports_bad_json_by_line(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}', encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_boundaries", str(path), stderr=err)
    assert "Baris 2" in err.getvalue()
