"""The monthly report cadence (activities.cadence) and the dashboards that show it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import cadence, workflow
from activities.models import Activity
from reports.recompute import recompute_all

from . import factories as f

pytestmark = pytest.mark.django_db
S = Activity.Status
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def wib(*args):
    return timezone.make_aware(datetime.datetime(*args))


def month_id(day):
    return f"{MONTHS_ID[day.month - 1]} {day.year}"


def reported(site, day, submitted_at, **kwargs):
    return f.ActivityFactory(
        site=site,
        date=day,
        status=kwargs.pop("status", S.SUBMITTED),
        first_submitted_at=submitted_at,
        submitted_at=submitted_at,
        **kwargs,
    )


def test_due_dates_and_the_open_month():
    assert cadence.due_date(datetime.date(2026, 10, 1)) == datetime.date(2026, 11, 3)
    assert cadence.due_date(datetime.date(2026, 12, 1)) == datetime.date(2027, 1, 3)
    assert cadence.deadline(datetime.date(2026, 10, 1)) == wib(2026, 11, 4)
    assert cadence.open_report_month(datetime.date(2026, 11, 3)) == datetime.date(2026, 10, 1)
    assert cadence.open_report_month(datetime.date(2026, 11, 4)) == datetime.date(2026, 11, 1)
    assert cadence.open_report_month(datetime.date(2026, 1, 2)) == datetime.date(2025, 12, 1)
    assert cadence.last_due_month(datetime.date(2026, 11, 28)) == datetime.date(2026, 10, 1)


def test_status_per_month(site_a, opd_x_agency, settings):
    settings.REPORTING_SINCE = datetime.date(2024, 1, 1)
    reported(site_a, datetime.date(2024, 1, 15), wib(2024, 2, 3, 23, 59))  # on the due day
    reported(site_a, datetime.date(2024, 2, 10), wib(2024, 3, 4, 0, 1))  # a minute late
    # March: nothing. April: only a draft. May: only what an agency recorded.
    f.ActivityFactory(site=site_a, date=datetime.date(2024, 4, 5))
    reported(site_a, datetime.date(2024, 5, 5), wib(2024, 5, 6), recorded_by_opd=opd_x_agency)
    # June: sent on time, returned by the Dinas later: still on time.
    reported(site_a, datetime.date(2024, 6, 5), wib(2024, 6, 6), status=S.RETURNED)
    # July: a late one and an on-time one: the first submission counts.
    reported(site_a, datetime.date(2024, 7, 30), wib(2024, 8, 20))
    reported(site_a, datetime.date(2024, 7, 2), wib(2024, 7, 3))

    reports = cadence.month_reports(
        [site_a],
        Activity.objects.all(),
        last=datetime.date(2024, 7, 1),
        today=datetime.date(2024, 9, 1),
    )[site_a.pk]
    assert [(r.month.month, r.status) for r in reports] == [
        (1, "on_time"),
        (2, "late"),
        (3, "missing"),
        (4, "missing"),
        (5, "missing"),
        (6, "on_time"),
        (7, "on_time"),
    ]
    assert reports[6].activities == 2


def test_expected_months_start_at_reporting_since_or_the_declaration(kec_a, settings):
    settings.REPORTING_SINCE = datetime.date(2024, 1, 1)
    old = f.KampungKBFactory(declared_on=datetime.date(2017, 5, 2), kelurahan__kecamatan=kec_a)
    new = f.KampungKBFactory(declared_on=datetime.date(2024, 3, 12), kelurahan__kecamatan=kec_a)
    reports = cadence.month_reports(
        [old, new], Activity.objects.all(), last=datetime.date(2024, 4, 1)
    )
    assert [r.month for r in reports[old.pk]][0] == datetime.date(2024, 1, 1)
    assert len(reports[old.pk]) == 4  # not seven years of "missing"
    assert [r.month for r in reports[new.pk]] == [
        datetime.date(2024, 3, 1),
        datetime.date(2024, 4, 1),
    ]


def test_inactive_months_pause_the_count(site_a, settings):
    settings.REPORTING_SINCE = datetime.date(2024, 1, 1)
    site_a.history.update(history_date=wib(2023, 12, 1))  # registered before 2024
    site_a.is_active = False
    site_a.save()
    site_a.history.filter(is_active=False).update(history_date=wib(2024, 3, 15))
    site_a.is_active = True
    site_a.save()
    latest = site_a.history.order_by("-history_id").first()
    site_a.history.filter(history_id=latest.history_id).update(history_date=wib(2024, 6, 10))
    reports = cadence.month_reports(
        [site_a], Activity.objects.all(), last=datetime.date(2024, 7, 1)
    )[site_a.pk]
    months = [r.month.month for r in reports]
    assert months == [1, 2, 6, 7]  # March to May: inactive at the end of the month


def test_pending_until_due(site_a):
    month = cadence.open_report_month()
    reports = cadence.month_reports([site_a], Activity.objects.all(), first=month, last=month)
    assert [r.status for r in reports[site_a.pk]] == ["pending"]


def test_the_query_count_does_not_grow_with_sites(kec_a, django_assert_num_queries):
    sites = [f.KampungKBFactory(kelurahan__kecamatan=kec_a) for _ in range(3)]
    with django_assert_num_queries(2):
        cadence.month_reports(sites, Activity.objects.all())
    sites += [f.KampungKBFactory(kelurahan__kecamatan=kec_a) for _ in range(30)]
    for site in sites[:10]:
        reported(site, timezone.localdate().replace(day=1), timezone.now())
    with django_assert_num_queries(2):
        cadence.month_reports(sites, Activity.objects.all())


def test_pokja_dashboard_names_the_report_due(client_for, pokja_a, site_a):
    month = cadence.open_report_month()
    due = cadence.due_date(month)
    draft = f.ActivityFactory(site=site_a, date=month, title="Rapat BKB belum dikirim")
    body = client_for(pokja_a).get(reverse("dashboard")).content.decode()
    expected_due = f"{due.day} {MONTHS_ID[due.month - 1]} {due.year}"
    assert f"Laporan {month_id(month)} jatuh tempo {expected_due}" in body
    assert "Masih draf (belum dikirim):" in body
    assert "Rapat BKB belum dikirim" in body
    assert reverse("activities:update", args=[draft.pk]) in body
    assert "Belum ada kegiatan bulan ini yang dikirim." in body


def test_dinas_dashboard_lists_late_and_missing_sites(
    client_for, dinas, pokja_a, site_a, site_b, site_c
):
    last = cadence.last_due_month()
    deadline = cadence.deadline(last)
    reported(site_a, last, deadline - datetime.timedelta(days=2))  # on time
    reported(site_b, last, deadline + datetime.timedelta(hours=1))  # late
    # site C: nothing
    # The panel reads the reports app's monthly rows (kept current on commit; the test
    # transaction never commits, so they are computed here).
    recompute_all()
    body = client_for(dinas).get(reverse("dashboard")).content.decode()
    assert f"Laporan bulanan: {month_id(last)}" in body
    assert "Tepat waktu: 1 · terlambat: 1 · tidak ada: 1" in body
    table = body.split("Kampung KB yang terlambat atau tidak melapor")[1].split("</table>")[0]
    assert "Kampung KB B" in table and "Kampung KB C" in table
    assert "Kampung KB A" not in table
    assert table.index("Kampung KB C") < table.index("Kampung KB B")  # missing first


def test_site_page_shows_the_months(client_for, pokja_a, site_a):
    last = cadence.last_due_month()
    activity = f.ActivityFactory(site=site_a, date=last)
    workflow.submit(activity, pokja_a)
    body = client_for(pokja_a).get(reverse("villages:site-detail", args=[site_a.pk]))
    body = body.content.decode()
    assert "Laporan bulanan (jatuh tempo tanggal 3 bulan berikutnya)" in body
    assert month_id(last) in body
