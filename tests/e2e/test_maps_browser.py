"""The maps in real Chromium, on a phone (360 px) and a desktop: drawn from the portal
alone (no request leaves the test server: no tiles, no CDN), no CSP violation (Leaflet
positions through the CSSOM only), a tap on a kelurahan opens its popup, the legend and
the equivalent table are on the page, axe finds nothing serious."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from villages.boundaries import representative_point
from villages.models import Boundary

from .conftest import PHONE
from .test_csp_and_accessibility import (  # noqa: F401 - the fixture is used by name
    csp_violations,
    serious_axe_violations,
    watched,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
CILENGGANG = "36.74.01.1008"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "has_touch": True}


@pytest.fixture
def requests_seen(page):
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def outside(urls):
    return [
        u for u in urls if urlsplit(u).scheme != "data" and urlsplit(u).hostname not in LOCAL_HOSTS
    ]


def tap_kelurahan(page, map_id, code):
    """Tap a point surely inside the kelurahan (its representative point), not the centre
    of its bounding box, which may lie in a neighbour."""
    lat, lng = representative_point(Boundary.objects.get(code=code).geometry)
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([id, lat, lng]) => {
            const el = document.getElementById(id);
            const p = el.kkbMap.latLngToContainerPoint([lat, lng]);
            const box = el.getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [map_id, lat, lng],
    )
    page.touchscreen.tap(x, y)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_dinas_dashboard_map(watched, login, demo, requests_seen, viewport):  # noqa: F811
    page = login("dinas", viewport)
    page.goto(f"{demo.url}/dasbor/")
    expect(page.locator("#map-classes")).to_have_attribute("data-ready", "1")
    expect(page.locator("#map-classes path.kkb-kel")).to_have_count(54)

    tap_kelurahan(page, "map-classes", CILENGGANG)
    popup = page.locator("#map-classes .leaflet-popup-content")
    expect(popup).to_contain_text("Kel. Cilenggang")
    expect(popup).to_contain_text("Kampung KB Cilenggang Sejahtera")
    expect(popup).to_contain_text("Laporan bulanan")
    expect(popup.get_by_role("link", name="Kampung KB Cilenggang Sejahtera")).to_be_visible()

    legend = page.get_by_role("list", name="Keterangan peta")
    expect(legend).to_contain_text("belum ada Kampung KB")
    page.get_by_text("Isi peta sebagai tabel").click()
    table = page.locator(".kkb-map-table table")
    expect(table.get_by_role("row", name="Cilenggang")).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_count(54)

    assert csp_violations(page) == []
    assert serious_axe_violations(page) == []
    assert outside(requests_seen) == []
    assert any("/peta/batas.geojson?v=" in u for u in requests_seen)


def test_landing_and_site_maps(watched, demo, requests_seen):  # noqa: F811
    page = watched
    page.set_viewport_size(PHONE)
    page.goto(f"{demo.url}/")
    expect(page.locator("#map-public")).to_have_attribute("data-ready", "1")
    expect(page.locator("#map-public path.kkb-kel")).to_have_count(54)
    tap_kelurahan(page, "map-public", CILENGGANG)
    expect(page.locator("#map-public .leaflet-popup-content")).to_contain_text(
        "Kampung KB Cilenggang Sejahtera"
    )
    # The public popup has no report date and the public map no points.
    expect(page.locator("#map-public .leaflet-popup-content")).not_to_contain_text("Laporan")
    expect(page.locator("#map-public .kkb-site-point")).to_have_count(0)
    assert csp_violations(page) == []
    assert serious_axe_violations(page) == []
    assert outside(requests_seen) == []


def test_site_page_map(watched, login, demo, requests_seen):  # noqa: F811
    from villages.models import KampungKB

    site = KampungKB.objects.get(name="Kampung KB Cilenggang Sejahtera")
    page = login("dinas", PHONE)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{demo.url}/kampung/{site.pk}/")
    page.wait_for_load_state("networkidle")
    assert errors == []
    expect(page.locator("#map-site")).to_have_attribute("data-ready", "1")
    expect(page.locator("#map-site path.kkb-kel")).to_have_count(1)
    expect(page.locator("#map-site path.kkb-site-point")).to_have_count(1)
    assert csp_violations(page) == []
    assert serious_axe_violations(page) == []
    assert outside(requests_seen) == []
