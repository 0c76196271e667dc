"""Report pages and exports: who sees what (role × page), the camat sees only their
kecamatan everywhere, bad input gets a clear message and no 500, exports hold exactly
what the page shows, and query counts do not grow with the data."""

import csv
import datetime
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.demo import FADING_SITE, STEADY_SITE
from activities.models import Activity
from reports import summary
from reports.models import MonthSummary, QualityScore
from reports.periods import latest_scored_month
from reports.quality import QualityClass
from reports.recompute import recompute_all
from reports.sustainability import add_months, last_due_month, month_diff

from . import factories as f
from .queries import count_queries

pytestmark = pytest.mark.django_db

D = datetime.date
ROLES = ["anonymous", "dinas", "pokja_a", "member_a", "pokja_b", "viewer_b", "opd_x"]


def seed_site(site, strength=1.0, months_active=None):
    """Snapshots and a history of verified activities for a site: one a month from
    01/2024, for ``months_active`` months (default: up to the last complete month)."""
    if months_active is None:
        months_active = month_diff(last_due_month(), D(2024, 1, 1)) + 1
    f.ProfileSnapshotFactory(
        site=site,
        period=D(2024, 1, 1),
        fund_apbd=True,
        fund_csr=strength > 0.5,
        has_bkb=True,
        has_bkr=strength > 0.5,
        has_sekretariat=True,
        companion="plkb" if strength > 0.5 else "kader",
        has_sk_lurah=True,
        ds_pendataan_keluarga=True,
        mech_planning="monthly",
    )
    f.PopulationSnapshotFactory(site=site, period=D(2024, 1, 1))
    f.KKBPKSnapshotFactory(site=site, period=D(2024, 1, 1))
    partner = f.OPDFactory()
    activities = []
    for i in range(months_active):
        day = add_months(D(2024, 1, 1), i).replace(day=10)
        activities.append(
            f.ActivityFactory.build(
                site=site,
                date=day,
                status="verified",
                category="reproduksi" if i % 2 else "ekonomi",
                poktan="bkb" if i % 3 == 0 else "",
                submitted_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))),
            )
        )
    # In bulk (no per-row signals): the tests recompute the monthly rows themselves.
    Activity.objects.bulk_create(activities)
    Activity.agencies.through.objects.bulk_create(
        [Activity.agencies.through(activity_id=a.pk, opd_id=partner.pk) for a in activities]
    )


@pytest.fixture
def data(cast, site_a, site_b, site_c):
    seed_site(site_a, 1.0)
    seed_site(site_b, 0.3, months_active=12)
    seed_site(site_c, 0.8)
    f.ActivityFactory(site=site_a, date=D(2024, 3, 5), status="draft", title="Draf rahasia A")
    recompute_all()
    return cast


def body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def csv_rows(response):
    return list(csv.reader(io.StringIO(body(response))))


def xlsx_sheets(response):
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook}


# --------------------------------------------------------------------------------------
# Role × page
# --------------------------------------------------------------------------------------
def urls(site_a, site_b):
    compare = f"?kampung={site_a.pk}&kampung={site_b.pk}"
    return {
        "classification": reverse("reports:classification"),
        "classification-csv": reverse("reports:classification-export", args=["csv"]),
        "comparison": reverse("reports:comparison") + compare,
        "comparison-xlsx": reverse("reports:comparison-export", args=["xlsx"]) + compare,
        "comparison-print": reverse("reports:comparison-print") + compare,
        "sustainability": reverse("reports:sustainability"),
        "timeline": reverse("reports:site-timeline", args=[site_a.pk]),
        "monthly": reverse("reports:monthly-report", args=[site_a.pk]),
        "activities": reverse("reports:activities"),
        "activities-csv": reverse("reports:activities-export", args=["csv"]),
        "sites-csv": reverse("reports:sites-export", args=["csv"]),
    }


# anonymous, dinas, pokja_a, member_a, pokja_b, viewer_b, opd_x
MATRIX = {
    "classification": [302, 200, 200, 200, 200, 200, 200],
    "classification-csv": [302, 200, 200, 200, 200, 200, 200],
    # Site A and B: pokja_a and member_a may see A only, pokja_b B only → the other id
    # is "not found or outside your area" (the page says so; the export answers 404).
    "comparison": [302, 200, 200, 200, 200, 200, 200],
    "comparison-xlsx": [302, 200, 404, 404, 404, 404, 200],
    "comparison-print": [302, 200, 200, 200, 200, 200, 200],
    "sustainability": [302, 200, 200, 200, 200, 200, 200],
    "timeline": [302, 200, 200, 200, 404, 404, 200],
    "monthly": [302, 200, 200, 200, 404, 404, 200],
    "activities": [302, 200, 200, 200, 200, 200, 200],
    "activities-csv": [302, 200, 200, 200, 200, 200, 200],
    "sites-csv": [302, 200, 200, 200, 200, 200, 200],
}


@pytest.mark.parametrize("page_name", MATRIX)
def test_role_page_matrix(page_name, data, client_for, site_a, site_b):
    url = urls(site_a, site_b)[page_name]
    got = {role: client_for(data[role]).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, MATRIX[page_name], strict=True))


# --------------------------------------------------------------------------------------
# The camat of one kecamatan sees only its sites — everywhere
# --------------------------------------------------------------------------------------
def test_camat_sees_only_their_kecamatan(data, client_for, site_a, site_b, site_c):
    client = client_for(data["viewer_b"])
    pages = {
        "dashboard": reverse("dashboard"),
        "classification": reverse("reports:classification"),
        "sustainability": reverse("reports:sustainability"),
        "activities": reverse("reports:activities"),
        "classification-csv": reverse("reports:classification-export", args=["csv"]),
        "classification-xlsx": reverse("reports:classification-export", args=["xlsx"]),
        "activities-csv": reverse("reports:activities-export", args=["csv"]),
        "activities-xlsx": reverse("reports:activities-export", args=["xlsx"]),
        "sites-csv": reverse("reports:sites-export", args=["csv"]),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = str(xlsx_sheets(response)) if name.endswith("xlsx") else body(response)
        assert "Kampung KB C" in text, name
        assert "Kampung KB A" not in text and "Kampung KB B" not in text, name
        assert "Draf rahasia A" not in text, name


def test_camat_cannot_compare_or_export_another_kecamatan(
    data, client_for, site_a, site_c, kec_a, kec_b
):
    client = client_for(data["viewer_b"])
    page = client.get(reverse("reports:comparison"), {"kampung": [site_a.pk, site_c.pk]})
    assert page.status_code == 200
    text = body(page)
    assert f"Kampung KB nomor {site_a.pk} tidak ditemukan atau berada di luar wilayah Anda." in text
    assert "Kampung KB A" not in text
    for fmt in ("xlsx", "csv"):
        export = client.get(
            reverse("reports:comparison-export", args=[fmt]), {"kampung": [site_a.pk, site_c.pk]}
        )
        assert export.status_code == 404
        export = client.get(
            reverse("reports:comparison-export", args=[fmt]),
            {"mode": "kecamatan", "kecamatan": [kec_a.pk, kec_b.pk]},
        )
        assert export.status_code == 404
    # Exports filtered by another kecamatan, by URL tampering: 404.
    for name in ("classification-export", "activities-export", "sites-export"):
        response = client.get(reverse(f"reports:{name}", args=["csv"]), {"kecamatan": kec_a.pk})
        assert response.status_code == 404, name
    response = client.get(reverse("reports:activities-export", args=["csv"]), {"situs": site_a.pk})
    assert response.status_code == 404


def test_camat_dashboard_counts_only_their_sites(data, client_for):
    text = body(client_for(data["viewer_b"]).get(reverse("dashboard")))
    assert "Kampung KB per kelas per kecamatan" in text
    assert "Kecamatan B" in text and "Kecamatan A" not in text
    classes = text[text.index('id="classes-h"') :]
    total_row = re.search(r"<tfoot>(.*?)</tfoot>", classes, re.S).group(1)
    assert re.findall(r">(\d+)</th>", total_row)[-1] == "1"  # site C only


# --------------------------------------------------------------------------------------
# Dashboard content
# --------------------------------------------------------------------------------------
def test_dinas_dashboard_lists_fading_first_and_reports_and_freshness(data, client_for, site_b):
    text = body(client_for(data["dinas"]).get(reverse("dashboard")))
    # Site B had activities only in its first 12 months (2024): fading since 2025.
    fading = text.index("Kampung KB yang memudar")
    assert fading < text.index("Kampung KB per kelas per kecamatan")
    assert "1 Kampung KB memudar." in text
    fading_card = text[fading : text.index("</section>", fading)]
    assert "Kampung KB B" in fading_card and "Kampung KB A" not in fading_card
    # Each problem is shown once: the monthly reports and the Pokja without a ketua are
    # the activities app's panels, the stale profiles the reports app's.
    headings = re.findall(r"<h2[^>]*>([^<]*)", text)
    assert len([h for h in headings if h.startswith("Laporan bulanan")]) == 1
    assert "Pokja yang perlu ditindaklanjuti" in text
    assert "Data yang perlu diperbarui" in text
    # Profiles of 01/2024 are more than a year old.
    assert "3 profil tidak diperbarui lebih dari setahun" in text
    assert "Perubahan kelas dari" in text


def test_dashboard_without_quality_rows(client_for, dinas):
    text = body(client_for(dinas).get(reverse("dashboard")))
    assert "Data kualitas belum dihitung." in text


# --------------------------------------------------------------------------------------
# Site page panel: the 12 sub-scores with their figures and what lifts the class
# --------------------------------------------------------------------------------------
def test_site_page_shows_sub_scores_figures_and_next_class(data, client_for, site_b):
    text = body(client_for(data["dinas"]).get(reverse("villages:site-detail", args=[site_b.pk])))
    assert "Klasifikasi kualitas" in text
    for label in (
        "Pokja",
        "Sumber dana",
        "Poktan yang dimiliki",
        "Sarana (sekretariat, Rumah DataKu)",
        "Pendamping PLKB dan regulasi",
        "Sumber data yang digunakan",
        "Mekanisme operasional yang dijalankan",
        "Instansi lintas sektor (12 bulan terakhir)",
        "Partisipasi poktan",
        "CPR (peserta KB / PUS)",
        "Metode kontrasepsi jangka panjang (MKJP)",
        "Unmet need",
    ):
        assert label in text, label
    assert "1 dari 6" in text  # one funding source
    assert "Untuk naik kelas" in text
    assert "Tambah 1 sumber dana lagi (menjadi 2 dari 6)." in text
    assert "Riwayat kelas" in text


def quality_panel(text):
    """The quality panel of a site page, as HTML."""
    start = text.index('<section class="card mt-3" aria-labelledby="quality-h">')
    return text[start : text.index("</section>", start)]


def test_site_page_reuses_its_quality_panel_until_the_rows_change(data, client_for, site_b):
    """The panel's HTML is cached (reports/site_panels.py): a second view reads one query
    less and shows the same panel; a recompute, a rename or the other language shows the
    new panel at once."""
    client = client_for(data["dinas"])
    url = reverse("villages:site-detail", args=[site_b.pk])
    cold = count_queries(client, url)  # the cache emptied first
    with CaptureQueriesContext(connection) as warm:
        first = quality_panel(body(client.get(url)))
    assert len(warm.captured_queries) == cold - 1
    assert quality_panel(body(client.get(url))) == first
    assert "<td>1 dari 6</td>" in first  # funding sources

    # A second funding source from this month: the rows are recomputed, the panel follows.
    f.ProfileSnapshotFactory(
        site=site_b,
        period=timezone.localdate().replace(day=1),
        fund_apbd=True,
        fund_csr=True,
        has_bkb=True,
        has_sekretariat=True,
        has_sk_lurah=True,
        ds_pendataan_keluarga=True,
        mech_planning="monthly",
    )
    recompute_all()
    changed = quality_panel(body(client.get(url)))
    assert "<td>2 dari 6</td>" in changed
    assert "Tambah 1 sumber dana lagi (menjadi 2 dari 6)." not in changed

    site_b.name = "Kampung KB Mawar Baru"
    site_b.save()
    assert "Kampung KB Mawar Baru" in quality_panel(body(client.get(url)))

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = quality_panel(body(client.get(url)))
    assert "Quality classification" in english
    assert "Klasifikasi kualitas" not in english


@pytest.mark.parametrize("role", ["pokja_b", "viewer_b"])
def test_a_cached_quality_panel_is_shown_to_no_one_outside_the_site(role, data, client_for, site_a):
    url = reverse("villages:site-detail", args=[site_a.pk])
    assert "Klasifikasi kualitas" in body(client_for(data["dinas"]).get(url))  # now cached
    response = client_for(data[role]).get(url)
    assert response.status_code == 404
    assert "Klasifikasi kualitas" not in body(response)
    assert site_a.name not in body(response)


# --------------------------------------------------------------------------------------
# Comparison: bad input
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, message",
    [
        ({"kampung": []}, None),  # the empty form, no message
        ({"mode": "kampung"}, None),
        ({"kampung": ["{a}"]}, "Pilih minimal 2 Kampung KB untuk dibandingkan (Anda memilih 1)."),
        (
            {"kampung": ["{a}"] * 2},
            "Pilih minimal 2 Kampung KB untuk dibandingkan (Anda memilih 1).",
        ),
        ({"kampung": ["{a}", "999999"]}, "Kampung KB nomor 999999 tidak ditemukan"),
        ({"kampung": ["{a}", "abc"]}, "Kampung KB nomor abc tidak ditemukan"),
        (
            {"kampung": ["{a}", "{b}", "{c}"], "dari": "2025-06", "sampai": "2024-06"},
            "Periode terbalik: 06/2025 jatuh setelah 06/2024.",
        ),
        ({"kampung": ["{a}", "{b}"], "dari": "2024-13"}, "bukan bulan yang valid"),
        ({"kampung": ["{a}", "{b}"], "sampai": "2999-01"}, "tidak boleh di masa depan"),
        ({"kampung": ["{a}", "{b}"], "dari": "2010-01"}, "dimulai tahun 2016"),
        (
            {"kampung": ["{a}", "{b}"], "dari": "2016-01", "sampai": "2016-06"},
            "Belum ada data kualitas untuk 01/2016–06/2016.",
        ),
        (
            {"mode": "kecamatan", "kecamatan": ["{ka}"]},
            "Pilih minimal 2 kecamatan untuk dibandingkan (Anda memilih 1).",
        ),
    ],
)
def test_comparison_bad_input(params, message, data, client_for, site_a, site_b, site_c, kec_a):
    ids = {"{a}": site_a.pk, "{b}": site_b.pk, "{c}": site_c.pk, "{ka}": kec_a.pk}
    query = {
        k: ([str(ids.get(x, x)) for x in v] if isinstance(v, list) else v)
        for k, v in params.items()
    }
    response = client_for(data["dinas"]).get(reverse("reports:comparison"), query)
    assert response.status_code == 200
    text = body(response)
    if message:
        assert message in text
    assert "Indeks dan skor indikator" not in text  # no result shown


def test_comparison_with_fifty_sites(data, client_for, kec_a):
    sites = [f.KampungKBFactory(kelurahan__kecamatan=kec_a) for _ in range(50)]
    response = client_for(data["dinas"]).get(
        reverse("reports:comparison"), {"kampung": [s.pk for s in sites]}
    )
    assert response.status_code == 200
    assert "Bandingkan paling banyak 6 Kampung KB sekaligus (Anda memilih 50)." in body(response)
    export = client_for(data["dinas"]).get(
        reverse("reports:comparison-export", args=["xlsx"]), {"kampung": [s.pk for s in sites]}
    )
    assert export.status_code == 400
    assert "Bandingkan paling banyak 6 Kampung KB" in export.content.decode()
    many = client_for(data["dinas"]).get(
        reverse("reports:comparison"), {"kampung": list(range(1, 500))}
    )
    assert many.status_code == 200
    assert "(Anda memilih 499)" in body(many)


@pytest.mark.parametrize(
    "name, params",
    [
        ("classification-export", {"bulan": "2024-99"}),
        ("classification-export", {"kelas": "9"}),
        ("activities-export", {"dari": "2025-02-01", "sampai": "2024-01-01"}),
        ("activities-export", {"dari": "kemarin"}),
    ],
)
def test_exports_refuse_bad_input_with_a_message(name, params, data, client_for):
    response = client_for(data["dinas"]).get(reverse(f"reports:{name}", args=["csv"]), params)
    assert response.status_code == 400
    assert "Pilihan pada alamat halaman tidak valid" in response.content.decode()


def test_report_pages_survive_bad_input(data, client_for, site_a):
    client = client_for(data["dinas"])
    cases = [
        (reverse("reports:classification"), {"bulan": "x", "urut": "hack", "kota": "abc"}),
        (reverse("reports:classification"), {"page": "999"}),
        (reverse("reports:sustainability"), {"urut": "'; drop table", "page": "abc"}),
        (reverse("reports:monthly-report", args=[site_a.pk]), {"bulan": "2024-13"}),
        (reverse("reports:monthly-report", args=[site_a.pk]), {"bulan": "2015-01"}),
        (reverse("reports:activities"), {"dari": "31/02/2024", "status": "nope"}),
    ]
    for url, params in cases:
        assert client.get(url, params).status_code in (200, 404), (url, params)
    text = body(
        client.get(reverse("reports:monthly-report", args=[site_a.pk]), {"bulan": "2024-13"})
    )
    assert "bukan bulan yang valid" in text


# --------------------------------------------------------------------------------------
# Exports hold what the page shows
# --------------------------------------------------------------------------------------
def norm(value):
    """A cell as shown (Indonesian decimals) or exported, comparable."""
    if value is None or value == "—":
        return None
    text = str(value).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return text


def page_table(text, marker="<tbody>"):
    """The text of each row's cells in the page's (first) data table body."""
    import re

    tbody = text.split(marker, 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", tbody, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def test_classification_export_matches_the_page(data, client_for):
    client = client_for(data["dinas"])
    page = body(client.get(reverse("reports:classification"), {"urut": "-output"}))
    shown = page_table(page.split("kkb-class-table", 1)[1])
    exported = csv_rows(
        client.get(reverse("reports:classification-export", args=["csv"]), {"urut": "-output"})
    )
    assert exported[0][:4] == ["Kampung KB", "Kelurahan", "Kecamatan", "Kelas"]
    assert len(exported) - 1 == len(shown) == 3
    for shown_row, exported_row in zip(shown, exported[1:], strict=True):
        assert [c.replace(",", ".") for c in shown_row] == exported_row
    sheets = xlsx_sheets(
        client.get(reverse("reports:classification-export", args=["xlsx"]), {"urut": "-output"})
    )
    (rows,) = sheets.values()
    assert [[norm(c) for c in r] for r in rows[1:]] == [[norm(c) for c in r] for r in shown]


def test_comparison_export_matches_the_page(data, client_for, site_a, site_b, site_c):
    client = client_for(data["dinas"])
    query = {"kampung": [site_a.pk, site_b.pk, site_c.pk], "dari": "2024-06", "sampai": "2025-05"}
    text = body(client.get(reverse("reports:comparison"), query))
    assert "Indeks dan skor indikator, Mei 2025" in text
    sheets = list(
        xlsx_sheets(client.get(reverse("reports:comparison-export", args=["xlsx"]), query)).values()
    )
    assert len(sheets) == 6
    first_sheet = sheets[0]
    assert first_sheet[0] == ["Angka", "Kampung KB A", "Kampung KB B", "Kampung KB C"]
    # Every table of the page is a sheet, cell for cell.
    tables = text.split("<tbody>")[1:]
    assert len(tables) == len(sheets)
    for table_html, sheet in zip(tables, sheets, strict=True):
        shown = page_table("<tbody>" + table_html)
        assert [[norm(c) for c in r] for r in shown] == [
            [norm(c) for c in r] for r in sheet[1:]
        ] or (shown == [["Tidak ada dalam periode ini."]] and sheet[1:] == [])
    flat = csv_rows(client.get(reverse("reports:comparison-export", args=["csv"]), query))
    assert flat[0] == ["Angka", "Kampung KB A", "Kampung KB B", "Kampung KB C"]
    assert len(flat) == len(first_sheet)
    # Shareable: the same URL gives the same page.
    assert body(client.get(reverse("reports:comparison"), query)).count(
        "Kampung KB B"
    ) == text.count("Kampung KB B")


def test_comparison_of_kecamatan(data, client_for, kec_a, kec_b):
    client = client_for(data["dinas"])
    query = {
        "mode": "kecamatan",
        "kecamatan": [kec_a.pk, kec_b.pk],
        "dari": "2024-01",
        "sampai": "2024-12",
    }
    text = body(client.get(reverse("reports:comparison"), query))
    assert "Rata-rata kelas" in text and "Kecamatan A" in text and "Kecamatan B" in text
    flat = csv_rows(client.get(reverse("reports:comparison-export", args=["csv"]), query))
    compared = next(r for r in flat if r[0] == "Kampung KB yang dibandingkan")
    assert compared[1:] == ["2", "1"]
    sheets = list(
        xlsx_sheets(client.get(reverse("reports:comparison-export", args=["xlsx"]), query)).values()
    )
    activity_sheet = sheets[3]
    assert activity_sheet[0][0] == "Fungsi keluarga"
    total = next(r for r in activity_sheet if r[0] == "Jumlah")
    assert total[1:] == [24, 12]  # Jan–Dec 2024: A and B 12 each; C 12


def test_activity_export_matches_the_page(data, client_for, site_a):
    client = client_for(data["dinas"])
    params = {"status": "verified", "dari": "2024-03-01", "sampai": "2024-08-31"}
    text = body(client.get(reverse("reports:activities"), params))
    shown = page_table(text)
    exported = csv_rows(client.get(reverse("reports:activities-export", args=["csv"]), params))
    assert exported[0][:3] == ["Tanggal", "Judul", "Kampung KB"]
    assert len(shown) == len(exported) - 1 == 18  # 6 months × 3 sites
    assert shown == exported[1:]


def test_site_registry_export_matches_the_site_list(data, client_for, kec_a):
    client = client_for(data["dinas"])
    params = {"kecamatan": kec_a.pk, "sort": "-name"}
    text = body(client.get(reverse("villages:site-list"), params))
    exported = csv_rows(client.get(reverse("reports:sites-export", args=["csv"]), params))
    assert [r[0] for r in exported[1:]] == ["Kampung KB B", "Kampung KB A"]
    assert text.index("Kampung KB B") < text.index("Kampung KB A")
    assert exported[0][:3] == ["Kampung KB", "Kelurahan", "Kecamatan"]


# --------------------------------------------------------------------------------------
# Monthly printable report and timeline
# --------------------------------------------------------------------------------------
def test_monthly_report_is_printable(data, client_for, site_a):
    text = body(
        client_for(data["dinas"]).get(
            reverse("reports:monthly-report", args=[site_a.pk]), {"bulan": "2024-05"}
        )
    )
    assert "Laporan Bulanan Kampung KB" in text
    assert "Periode: Mei 2024" in text
    assert "Dinas Pemberdayaan Masyarakat, Pemberdayaan Perempuan" in text  # kop
    assert "Lurah " + site_a.kelurahan.name in text and "Kepala DPMP3AKB" in text
    assert "10/05/2024" in text  # the month's verified activity
    assert "Draf rahasia A" not in text
    assert "reports-print.js" in text and "onclick" not in text


def test_timeline_shows_month_by_month(data, client_for, site_b):
    text = body(client_for(data["dinas"]).get(reverse("reports:site-timeline", args=[site_b.pk])))
    assert "Linimasa Kampung KB B" in text
    assert "01/2024" in text and "Memudar" in text
    assert "Tepat waktu" in text
    assert 'data-chart="chart-timeline"' in text and "<script>" not in text.split("</footer>")[0]


def test_sustainability_list_sorted_by_continuity(data, client_for):
    client = client_for(data["dinas"])
    text = body(client.get(reverse("reports:sustainability"), {"urut": "kontinuitas"}))
    assert text.index("Kampung KB B") < text.index("Kampung KB A")
    text = body(client.get(reverse("reports:sustainability"), {"memudar": "1"}))
    assert "Kampung KB B" in text and "Kampung KB A" not in text


# --------------------------------------------------------------------------------------
# Query counts do not grow with the data
# --------------------------------------------------------------------------------------


def report_urls(sites, kecamatan):
    three = "&".join(f"kampung={s.pk}" for s in sites[:3])
    return {
        "dashboard": reverse("dashboard"),
        "classification": reverse("reports:classification"),
        "classification-xlsx": reverse("reports:classification-export", args=["xlsx"]),
        "comparison": reverse("reports:comparison") + "?" + three,
        "comparison-kecamatan": reverse("reports:comparison")
        + f"?mode=kecamatan&kecamatan={kecamatan[0].pk}&kecamatan={kecamatan[1].pk}",
        "comparison-xlsx": reverse("reports:comparison-export", args=["xlsx"]) + "?" + three,
        "sustainability": reverse("reports:sustainability"),
        "site-page": reverse("villages:site-detail", args=[sites[0].pk]),
        "timeline": reverse("reports:site-timeline", args=[sites[0].pk]),
        "monthly": reverse("reports:monthly-report", args=[sites[0].pk]) + "?bulan=2024-05",
        "activities": reverse("reports:activities"),
        "activities-csv": reverse("reports:activities-export", args=["csv"]),
        "sites-csv": reverse("reports:sites-export", args=["csv"]),
    }


def test_query_counts_do_not_grow_with_the_data(
    dinas, kec_a, kec_b, client_for, django_assert_max_num_queries, monkeypatch
):
    def build(n, kecamatan):
        sites = [f.KampungKBFactory(kelurahan__kecamatan=kecamatan) for _ in range(n)]
        for site in sites:
            seed_site(site, 0.7, months_active=6)
        return sites

    client = client_for(dinas)
    small = build(3, kec_a) + build(1, kec_b)
    recompute_all(last=D(2024, 12, 1))
    urls = report_urls(small, [kec_a, kec_b])
    few = {name: count_queries(client, url) for name, url in urls.items()}
    build(12, kec_a)
    build(12, kec_b)
    recompute_all(last=D(2024, 12, 1))
    many = {name: count_queries(client, url) for name, url in urls.items()}
    assert few == many, "queries with 4 sites vs 28 sites differ"
    # Past SITE_SELECT_LIMIT the site choosers switch from a drop-down list to a search:
    # the same number of queries (at 54 sites and at 83,000 alike).
    monkeypatch.setattr("reports.forms.SITE_SELECT_LIMIT", 10)
    searching = {name: count_queries(client, url) for name, url in urls.items()}
    assert searching == many, "queries with a drop-down list vs a search differ"
    assert "(pilih kecamatan dulu)" in body(client.get(urls["activities"]))
    # A second city: the area filters switch from the one city's kecamatan list to
    # "choose a kota first", with the same number of queries again.
    f.KecamatanFactory(kota=f.KotaFactory(code="36.71", name="Kota Tangerang"), code="36.71.01")
    cities = {name: count_queries(client, url) for name, url in urls.items()}
    assert cities == many, "queries with one city vs several differ"
    assert "(pilih kota dulu)" in body(client.get(urls["classification"]))
    # The dashboard and the site page gather the panels of every app (villages, activities,
    # coordination, reports), with a larger fixed budget.
    budgets = {"dashboard": 36, "site-page": 32}
    for name, url in urls.items():
        with django_assert_max_num_queries(budgets.get(name, 25)):
            client.get(url)


def test_quality_rows_in_the_admin_are_read_only_and_for_the_dinas(data, client_for, site_a):
    url = reverse("admin:reports_qualityscore_changelist")
    response = client_for(data["dinas"]).get(url)
    assert response.status_code == 200
    assert "Kampung KB A" in body(response)
    assert client_for(data["opd_x"]).get(url).status_code == 403
    row = site_a.quality_scores.first()
    change = client_for(data["dinas"]).get(
        reverse("admin:reports_qualityscore_change", args=[row.pk])
    )
    assert change.status_code == 200 and 'name="_save"' not in body(change)
    assert (
        client_for(data["dinas"]).get(reverse("admin:reports_qualityscore_add")).status_code == 403
    )


def test_demo_seed_adds_quality_rows_once(client_for):
    from django.core.management import call_command

    from reports.models import QualityScore

    call_command("seed_demo", stdout=io.StringIO())
    rows, activities = QualityScore.objects.count(), Activity.objects.count()
    assert rows > 0 and activities > 0
    call_command("seed_demo", stdout=io.StringIO())
    assert (QualityScore.objects.count(), Activity.objects.count()) == (rows, activities)
    # The demo shows both stories of DESIGN §8: the site that faded after its first year is
    # flagged in the latest month, the steady one never.
    latest = QualityScore.objects.order_by("-period").values_list("period", flat=True)[0]
    fading = QualityScore.objects.filter(period=latest, is_fading=True)
    assert fading.filter(site__name=FADING_SITE).exists()
    assert not QualityScore.objects.filter(is_fading=True, site__name=STEADY_SITE).exists()


def test_area_filters_offer_all_in_indonesian(data, client_for):
    """An empty area filter reads "Semua" (all), like the other filters, not "---------"."""
    client = client_for(data["dinas"])
    for name in ("reports:activities", "reports:classification"):
        text = body(client.get(reverse(name)))
        selects = dict(
            re.findall(r'<select name="(\w+)"[^>]*>\s*<option value=""[^>]*>([^<]*)<', text)
        )
        assert selects["kota"] == "Semua" and selects["kecamatan"] == "Semua", selects
        assert "---------" not in text


def test_classification_counts_its_rows_from_the_month_summary(
    dinas, kec_a, kec_b, viewer_b, client_for
):
    """For a user who reads every site, the table's total comes from the month's summary
    (no count of the month's quality rows) when the filters are city, class or fading;
    other filters, a month without a summary and a scoped user count the rows. Every way
    gives the number of rows the pages list."""
    other_city = f.KecamatanFactory(
        kota=f.KotaFactory(code="36.71", name="Kota Tangerang"), code="36.71.01"
    )
    for kecamatan, strengths in (
        (kec_a, (1.0, 0.7, 0.2)),
        (kec_b, (0.2, 0.2)),
        (other_city, (1.0,)),
    ):
        for i, strength in enumerate(strengths):
            # A site that stopped after a year fades; the others keep reporting.
            months = 12 if i == 1 else None
            seed_site(f.KampungKBFactory(kelurahan__kecamatan=kecamatan), strength, months)
    recompute_all()
    month = latest_scored_month()
    rows = QualityScore.objects.filter(period=month)
    # The seeded profiles all classify as Dasar; give some rows other classes (and their
    # summary with them) so that the class filter has several answers.
    ids = list(rows.order_by("site_id").values_list("pk", flat=True))
    rows.filter(pk__in=ids[:2]).update(quality_class=QualityClass.DEVELOPING)
    rows.filter(pk=ids[-1]).update(quality_class=QualityClass.SUSTAINABLE)
    summary.rebuild([month])
    classes = set(rows.values_list("quality_class", flat=True))
    assert len(classes) > 1 and rows.filter(is_fading=True).exists()

    def shown(client, **params):
        with CaptureQueriesContext(connection) as ctx:
            page = body(
                client.get(reverse("reports:classification"), {"bulan": f"{month:%Y-%m}", **params})
            )
        counted = any(
            "COUNT(" in q["sql"] and 'FROM "reports_qualityscore"' in q["sql"]
            for q in ctx.captured_queries
        )
        return int(re.search(r'role="status">(\d+) Kampung KB', page).group(1)), counted

    client = client_for(dinas)
    tangsel = kec_a.kota
    for params, expected in [
        ({}, rows),
        ({"kota": tangsel.pk}, rows.filter(kecamatan__kota=tangsel)),
        ({"memudar": "on"}, rows.filter(is_fading=True)),
        (
            {"kota": tangsel.pk, "memudar": "on"},
            rows.filter(kecamatan__kota=tangsel, is_fading=True),
        ),
        *(({"kelas": c}, rows.filter(quality_class=c)) for c in classes),
    ]:
        assert shown(client, **params) == (expected.count(), False), params
    for params, expected in [
        ({"kota": tangsel.pk, "kecamatan": kec_b.pk}, rows.filter(kecamatan=kec_b)),
        ({"cari": "Kampung"}, rows.filter(site__name__icontains="Kampung")),
    ]:
        assert shown(client, **params) == (expected.count(), True), params
    # A scoped user counts their own rows: the summary holds every city's.
    assert shown(client_for(viewer_b)) == (rows.filter(kecamatan=kec_b).count(), True)
    # No summary for the month (it is rebuilt with the rows; here it is gone): counted.
    MonthSummary.objects.filter(period=month).delete()
    assert shown(client) == (rows.count(), True)
