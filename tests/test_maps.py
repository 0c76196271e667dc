"""Maps: the public boundaries file (versioned, compressed, cached), the per-month values
scoped like the pages, and the map panels on the dashboard, report, site and landing."""

import datetime
import gzip
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kampungkb.scopes import DINAS_GROUP, VIEWER_GROUP
from reports.models import QualityScore
from villages.boundaries import TANGSEL_GEOJSON, payload
from villages.models import Kelurahan

from . import factories as f

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2025, 6, 1)
CILENGGANG = "36.74.01.1008"
PAMULANG_BARAT = "36.74.06.1001"
SCORES = [
    "s_pokja", "s_funding", "s_poktan", "s_facilities", "s_companion", "s_data_sources",
    "s_mechanisms", "s_cross_sector", "s_participation", "s_cpr", "s_long_acting",
    "s_unmet_need",
]  # fmt: skip


def score(site, klass, month=MONTH, **extra):
    return QualityScore.objects.create(
        site=site,
        period=month,
        kecamatan=site.kelurahan.kecamatan,
        month_index=0,
        input_index=Decimal("2.00"),
        process_index=Decimal("2.00"),
        output_index=Decimal("2.00"),
        quality_class=klass,
        **dict.fromkeys(SCORES, klass),
        **extra,
    )


@pytest.fixture
def world(db):
    cilenggang = f.KampungKBFactory(
        name="Kampung KB Cilenggang <b>Asri</b>", kelurahan=Kelurahan.objects.get(code=CILENGGANG)
    )
    pamulang = f.KampungKBFactory(
        name="Kampung KB Pamulang Barat", kelurahan=Kelurahan.objects.get(code=PAMULANG_BARAT)
    )
    score(cilenggang, 4, report_submitted_at=datetime.datetime(2025, 7, 3, 9, tzinfo=datetime.UTC))
    score(pamulang, 2)
    camat = f.UserFactory(username="t_camat_pamulang", groups=[VIEWER_GROUP])
    f.AreaAssignmentFactory(user=camat, kecamatan=pamulang.kelurahan.kecamatan)
    return {
        "cilenggang": cilenggang,
        "pamulang": pamulang,
        "dinas": f.UserFactory(username="t_dinas", groups=[DINAS_GROUP], is_staff=True),
        "camat": camat,
    }


# --- boundaries -----------------------------------------------------------------------
def test_boundaries_are_public_compressed_and_kept_a_year_under_their_version(client):
    version = payload().version
    url = f"{reverse('maps:boundaries')}?v={version}"
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert len(response.content) < 60 * 1024  # on the wire
    data = json.loads(gzip.decompress(response.content))
    kelurahan = [x for x in data["features"] if x["properties"]["level"] == "kelurahan"]
    assert len(kelurahan) == 54
    assert {x["properties"]["level"] for x in data["features"]} == {"kelurahan", "kecamatan"}
    cilenggang = next(x for x in kelurahan if x["id"] == CILENGGANG)
    assert cilenggang["properties"]["name"] == "Cilenggang"
    # Without gzip in Accept-Encoding: the plain JSON. Another version: a short cache.
    plain = client.get(f"{reverse('maps:boundaries')}?v=old")
    assert "Content-Encoding" not in plain
    assert json.loads(plain.content) == data
    assert "max-age=300" in plain["Cache-Control"]


def test_boundaries_cost_no_query_once_cached(client):
    client.get(reverse("maps:boundaries"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("maps:boundaries"))
    # Only the request's transaction (ATOMIC_REQUESTS) touches the database.
    assert [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]] == []


def test_loading_boundaries_gives_a_new_version(tmp_path):
    before = payload().version
    data = json.loads(TANGSEL_GEOJSON.read_text(encoding="utf-8"))
    one = next(x for x in data["features"] if x["properties"]["kemendagri_code"] == CILENGGANG)
    one["geometry"]["coordinates"][0].pop(-2)  # one vertex fewer
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [one]}))
    call_command("load_boundaries", str(path), stdout=io.StringIO())
    assert payload().version != before


# --- values ---------------------------------------------------------------------------
def values(client, user, month=MONTH):
    client.force_login(user)
    response = client.get(reverse("maps:values"), {"bulan": month.strftime("%Y-%m")})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.json()


def test_dinas_values_colour_every_site_with_its_class_and_report(client, world):
    # A site of a city without boundaries (Kota Tangerang): not on the map.
    kota = f.KotaFactory(code="36.71", name="Kota Tangerang")
    kecamatan = f.KecamatanFactory(kota=kota, code="36.71.01")
    elsewhere = f.KampungKBFactory(
        kelurahan=f.KelurahanFactory(kecamatan=kecamatan, code="36.71.01.1001")
    )
    data = values(client, world["dinas"])
    assert data["area"] is None
    assert set(data["kelurahan"]) == {CILENGGANG, PAMULANG_BARAT}
    assert elsewhere.kelurahan.code not in data["kelurahan"]
    assert data["kelurahan"][CILENGGANG]["class"] == 4
    site = data["kelurahan"][CILENGGANG]["sites"][0]
    assert site["name"] == "Kampung KB Cilenggang <b>Asri</b>"  # text: map.js never parses it
    assert site["class_label"] == "Berkelanjutan"
    assert site["url"] == reverse("villages:site-detail", args=[world["cilenggang"].pk])
    assert site["report"] == "03/07/2025"
    assert data["kelurahan"][PAMULANG_BARAT]["sites"][0]["report"] == "belum dikirim"
    assert data["labels"]["no_site"] == "belum ada Kampung KB"


def test_a_camat_sees_only_their_kecamatan_coloured(client, world):
    data = values(client, world["camat"])
    assert set(data["kelurahan"]) == {PAMULANG_BARAT}
    pamulang = set(
        Kelurahan.objects.filter(kecamatan__code="36.74.06").values_list("code", flat=True)
    )
    assert set(data["area"]) == pamulang
    assert CILENGGANG not in data["area"]


def test_a_pokja_sees_only_its_own_site(client, world):
    ketua = f.UserFactory(username="t_ketua")
    f.PokjaMemberFactory(site=world["cilenggang"], user=ketua, position="ketua")
    data = values(client, ketua)
    assert set(data["kelurahan"]) == {CILENGGANG}
    assert data["area"] == [CILENGGANG]


def test_values_of_a_month_without_scores_leave_sites_unscored(client, world):
    data = values(client, world["dinas"], datetime.date(2025, 1, 1))
    assert data["kelurahan"][CILENGGANG]["class"] is None
    assert data["kelurahan"][CILENGGANG]["sites"][0]["class_label"] == "Belum dinilai"


def test_a_bad_month_is_refused_in_indonesian(client, world):
    client.force_login(world["dinas"])
    response = client.get(reverse("maps:values"), {"bulan": "2025-13<script>"})
    assert response.status_code == 400
    assert "bukan bulan" in response.content.decode()


def test_values_need_a_login(client, world):
    response = client.get(reverse("maps:values"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def sql_of(client, url):
    """The queries of one request, without the savepoints of its transaction."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.parametrize("role, queries", [("dinas", 1), ("camat", 2)])
def test_values_query_count_does_not_grow_with_sites(client, world, role, queries):
    client.force_login(world[role])
    url = reverse("maps:values") + "?bulan=2025-06"
    payload()  # the boundaries, built once per installation
    before = sql_of(client, url)
    for code in ("36.74.06.1002", "36.74.06.1003", "36.74.01.1001"):
        score(f.KampungKBFactory(kelurahan=Kelurahan.objects.get(code=code)), 3)
    after = sql_of(client, url)
    assert len(after) == len(before)
    # The session, the user, the scope, then the values (and a camat's area).
    assert len(after) <= 3 + queries, after


def test_public_values_give_name_and_class_only(client, world):
    world["cilenggang"].latitude, world["cilenggang"].longitude = (
        Decimal("-6.3105"),
        Decimal("106.6720"),
    )
    world["cilenggang"].save()
    response = client.get(reverse("maps:public-values"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "106.67" not in body and "-6.31" not in body  # no points
    site = response.json()["kelurahan"][CILENGGANG]["sites"][0]
    assert set(site) == {"name", "class", "class_label", "url"}
    assert site["url"] == reverse("public:site-detail", args=[world["cilenggang"].pk])


# --- pages ----------------------------------------------------------------------------
def test_dinas_dashboard_shows_the_map_legend_and_table(client, world, settings):
    settings.REPORTING_SINCE = datetime.date(2025, 1, 1)
    client.force_login(world["dinas"])
    html = client.get(reverse("dashboard")).content.decode()
    assert 'class="kkb-map' in html
    assert f"{reverse('maps:boundaries')}?v={payload().version}" in html
    assert "Keterangan peta" in html and "kkb-swatch-4" in html
    assert "Isi peta sebagai tabel" in html
    assert html.count("belum ada Kampung KB") >= 52  # 54 kelurahan, 2 with a site
    assert "Kampung KB Cilenggang &lt;b&gt;Asri&lt;/b&gt;" in html
    assert "style=" not in html.split('class="kkb-map')[1].split("</section>")[0]


def test_classification_report_has_the_map(client, world):
    client.force_login(world["dinas"])
    html = client.get(reverse("reports:classification"), {"bulan": "2025-06"}).content.decode()
    assert 'id="map-classes"' in html
    assert "data-values=" in html and "bulan=2025-06" in html


def test_site_page_outlines_its_kelurahan_and_point(client, world):
    site = world["cilenggang"]
    site.latitude, site.longitude = Decimal("-6.3105"), Decimal("106.6720")
    site.save()
    client.force_login(world["dinas"])
    html = client.get(reverse("villages:site-detail", args=[site.pk])).content.decode()
    assert 'id="map-site"' in html
    assert "Lokasi di Kelurahan Cilenggang" in html
    assert '"kelurahan": "36.74.01.1008"' in html and '"lat": -6.3105' in html


def test_landing_page_has_the_public_map(client, world):
    html = client.get(reverse("landing")).content.decode()
    assert 'id="map-public"' in html
    assert reverse("maps:public-values") in html
