import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREE = [
    "Kampung KB Muncul Berdaya (Setu)",
    "Kampung KB Jagung Lestari (Serpong Utara)",
    "Kampung KB Bambu Apus Asri (Pamulang)",
]


def test_dinas_compares_three_sites_and_downloads_the_xlsx(login, demo):
    page = login("dinas", viewport={"width": 1280, "height": 900})
    page.get_by_role("button", name="Laporan").click()
    page.get_by_role("link", name="Bandingkan Kampung KB").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bandingkan Kampung KB")
    page.get_by_label("Kampung KB (2–6)").select_option(label=THREE)
    page.get_by_role("button", name="Bandingkan", exact=True).click()

    expect(page.get_by_text("Indeks dan skor indikator")).to_be_visible()
    summary = page.locator("table", has_text="Indeks dan skor indikator")
    for name in (
        "Kampung KB Muncul Berdaya",
        "Kampung KB Jagung Lestari",
        "Kampung KB Bambu Apus Asri",
    ):
        expect(summary.get_by_role("columnheader", name=name)).to_be_visible()
    # Every chart is drawn (Chart.js) and has its table.
    for chart in ("chart-indices", "chart-history", "chart-functions", "chart-kb"):
        canvas = page.locator(f"#{chart}-canvas")
        expect(canvas).to_be_visible()
        assert canvas.evaluate("c => c.width > 0 && Chart.getChart(c) !== undefined")
    # The URL can be shared: it holds the choice.
    assert page.url.count("kampung=") == 3

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh XLSX").click()
    download = download_info.value
    assert download.suggested_filename.startswith("perbandingan-kampung-")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        workbook = load_workbook(io.BytesIO(fh.read()), read_only=True)
    first = next(iter(workbook.worksheets))
    rows = [list(r) for r in first.iter_rows(values_only=True)]
    # The sheet is the page's first table: same columns in the same order, same rows.
    shown_header = summary.locator("thead th").all_inner_texts()
    assert rows[0] == shown_header
    assert sorted(rows[0][1:]) == sorted(n.split(" (")[0] for n in THREE)
    shown_first_column = summary.locator("tbody th").all_inner_texts()
    assert [r[0] for r in rows[1:]] == shown_first_column
    assert len(workbook.worksheets) == 6


def test_comparison_works_on_a_phone(login, demo):
    page = login("dinas")
    page.goto(demo.url + "/laporan/perbandingan/")
    page.get_by_label("Kampung KB (2–6)").select_option(label=THREE[:2])
    page.get_by_role("button", name="Bandingkan", exact=True).click()
    expect(page.get_by_text("Indeks dan skor indikator")).to_be_visible()
    assert_no_horizontal_scroll(page)


def test_camat_dashboard_and_classification_on_a_phone(login, demo):
    page = login("camat")
    expect(page.get_by_role("heading", name="Kampung KB per kelas per kecamatan")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.goto(demo.url + "/laporan/klasifikasi/")
    expect(page.get_by_role("link", name="Kampung KB Bambu Apus Asri")).to_be_visible()
    expect(page.get_by_role("link", name="Kampung KB Muncul Berdaya")).to_have_count(0)
    assert_no_horizontal_scroll(page)
