"""Scheduled reminders (activities.reminders, beat daily at 07:00 WIB): missing monthly
reports on the 1st and 3rd, SK Pokja about to expire, overdue usulan; each once per
recipient and event, however often the task runs."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from activities.models import Usulan
from activities.reminders import send_all
from kampungkb.models import Notification
from kampungkb.tasks import send_reminders

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date


def inbox(user):
    return list(Notification.objects.filter(recipient=user).values_list("subject", flat=True))


def test_a_missing_report_reminds_the_pokja_on_the_1st_and_the_3rd_once_each(
    pokja_a, member_a, pokja_b, site_b, dinas, django_capture_on_commit_callbacks
):
    # Site B sent May's report; site A sent nothing in May.
    submitted = timezone.make_aware(datetime.datetime(2024, 5, 20, 9))
    f.ActivityFactory(site=site_b, date=D(2024, 5, 12), status="submitted", submitted_at=submitted)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_all(D(2024, 6, 1))["report"] == 2
    assert inbox(pokja_a) == ["Laporan bulan 05/2024 belum dikirim"]
    assert len(inbox(member_a)) == 1  # every member with an account, not only the ketua
    assert inbox(pokja_b) == [] and inbox(dinas) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pokja_a.email, member_a.email])
    assert "03/06/2024" in mail.outbox[0].body  # the due date
    # Beat runs again the same day (or two workers ran it): nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_all(D(2024, 6, 1))["report"] == 0
    assert len(mail.outbox) == 2
    # Not on the 2nd; again on the 3rd (the due date) while still missing.
    assert send_all(D(2024, 6, 2))["report"] == 0
    assert send_all(D(2024, 6, 3))["report"] == 2
    assert send_all(D(2024, 6, 3))["report"] == 0
    assert len(inbox(pokja_a)) == 2


def test_a_report_sent_after_the_1st_stops_the_reminder_of_the_3rd(pokja_a, site_a):
    assert send_all(D(2024, 6, 1))["report"] == 1
    submitted = timezone.make_aware(datetime.datetime(2024, 6, 2, 9))
    f.ActivityFactory(site=site_a, date=D(2024, 5, 30), status="submitted", submitted_at=submitted)
    assert send_all(D(2024, 6, 3))["report"] == 0


def test_an_sk_expiring_within_30_days_notifies_the_ketua_and_the_dinas_once(
    pokja_a, member_a, pokja_b, site_a, site_b, dinas
):
    today = timezone.localdate()
    f.ProfileSnapshotFactory(site=site_a, sk_valid_until=today + datetime.timedelta(days=20))
    f.ProfileSnapshotFactory(site=site_b, sk_valid_until=today + datetime.timedelta(days=45))
    assert send_all(today)["sk"] == 2
    assert len(inbox(pokja_a)) == 1 and "Kampung KB A" in inbox(dinas)[0]
    assert inbox(member_a) == [] and inbox(pokja_b) == []
    assert send_all(today)["sk"] == 0
    # Renewed, then about to expire again: a new event.
    f.ProfileSnapshotFactory(
        site=site_a, period=D(2024, 2, 1), sk_valid_until=today + datetime.timedelta(days=10)
    )
    assert send_all(today)["sk"] == 2


def test_an_overdue_usulan_reminds_its_addressee_once(
    pokja_a, opd_x, opd_y, site_a, opd_x_agency, django_capture_on_commit_callbacks
):
    f.UsulanFactory(
        site=site_a,
        opd=opd_x_agency,
        title="Pelatihan kader",
        status=Usulan.Status.SUBMITTED,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    f.UsulanFactory(site=site_a, opd=opd_x_agency, status=Usulan.Status.SUBMITTED)  # not due
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders.delay()  # the beat task
    assert inbox(opd_x) == ["Usulan menunggu jawaban Anda: Pelatihan kader"]
    assert inbox(opd_y) == [] and inbox(pokja_a) == []
    assert [m.to for m in mail.outbox] == [[opd_x.email]]
    send_reminders.delay()
    assert len(inbox(opd_x)) == 1
