"""A site's point must lie inside its own kelurahan's polygon, not only inside the city's
bounding box; the demo sites all get such a point."""

import pytest
from shapely.geometry import Point, shape

from villages.boundaries import representative_point
from villages.forms import KampungKBForm
from villages.models import Boundary, KampungKB, Kelurahan

from .test_site_rules import site_form_data

pytestmark = pytest.mark.django_db

CILENGGANG = "36.74.01.1008"
SERPONG = "36.74.01.1009"
PAMULANG_BARAT = "36.74.06.1001"


def geometry(code):
    return Boundary.objects.get(code=code).geometry


def test_representative_point_of_cilenggang_is_accepted():
    lat, lng = representative_point(geometry(CILENGGANG))
    assert shape(geometry(CILENGGANG)).contains(Point(lng, lat))
    kel = Kelurahan.objects.get(code=CILENGGANG)
    form = KampungKBForm(data=site_form_data(kel, latitude=str(lat), longitude=str(lng)))
    assert form.is_valid(), form.errors


def test_cilenggang_kantor_lurah_is_inside_cilenggang():
    # Kantor Kelurahan Cilenggang, Jl. Raya Cilenggang (about -6.3105, 106.6720).
    kel = Kelurahan.objects.get(code=CILENGGANG)
    form = KampungKBForm(data=site_form_data(kel, latitude="-6.3105", longitude="106.6720"))
    assert form.is_valid(), form.errors
    # ... and the same point is refused for the neighbouring Kelurahan Serpong.
    serpong = Kelurahan.objects.get(code=SERPONG)
    form = KampungKBForm(data=site_form_data(serpong, latitude="-6.3105", longitude="106.6720"))
    assert not form.is_valid()
    assert form.errors["latitude"] == ["Titik lokasi berada di luar Kelurahan Serpong."]


def test_a_point_in_pamulang_is_refused_for_a_site_in_serpong():
    lat, lng = representative_point(geometry(PAMULANG_BARAT))
    serpong = Kelurahan.objects.get(code=SERPONG)
    form = KampungKBForm(data=site_form_data(serpong, latitude=str(lat), longitude=str(lng)))
    assert not form.is_valid()
    # Inside the city's box, so it is the polygon, not the box, that refuses it.
    assert form.errors["latitude"] == ["Titik lokasi berada di luar Kelurahan Serpong."]


def test_every_demo_site_has_a_point_inside_its_kelurahan_and_reseeding_keeps_it():
    from villages.demo import seed

    seed()
    sites = list(KampungKB.objects.filter(is_demo=True).select_related("kelurahan"))
    assert sites
    points = {}
    for site in sites:
        assert site.latitude is not None, site.name
        polygon = shape(geometry(site.kelurahan.code))
        assert polygon.contains(Point(float(site.longitude), float(site.latitude))), site.name
        site.full_clean()
        points[site.pk] = (site.latitude, site.longitude)
    seed()
    again = KampungKB.objects.filter(is_demo=True).values_list("pk", "latitude", "longitude")
    assert {pk: (lat, lng) for pk, lat, lng in again} == points
