"""The verification workflow: every legal transition, every illegal one (400), the wrong
actor (403), reasons, the status trail, versions and stale actions (409)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from activities import workflow
from activities.models import Activity, ActivityTransition

from . import factories as f

pytestmark = pytest.mark.django_db
S = Activity.Status


def test_the_whole_cycle_keeps_its_trail(client_for, pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a)
    workflow.submit(activity, pokja_a)
    workflow.return_(activity, dinas, "Foto belum ada")
    workflow.submit(activity, pokja_a)
    workflow.verify(activity, dinas)
    workflow.reopen(activity, dinas, "Peserta tercatat ganda")
    activity.refresh_from_db()
    assert activity.status == S.RETURNED
    assert activity.version == 6
    trail = list(
        ActivityTransition.objects.filter(activity=activity).values_list(
            "from_status", "to_status", "user__username", "reason"
        )
    )
    assert trail == [
        ("draft", "submitted", "t_pokja_a", ""),
        ("submitted", "returned", "t_dinas", "Foto belum ada"),
        ("returned", "submitted", "t_pokja_a", ""),
        ("submitted", "verified", "t_dinas", ""),
        ("verified", "returned", "t_dinas", "Peserta tercatat ganda"),
    ]
    body = client_for(pokja_a).get(reverse("activities:detail", args=[activity.pk])).content
    body = body.decode()
    assert "Riwayat status" in body
    assert "Peserta tercatat ganda" in body and "Foto belum ada" in body
    assert "Dikembalikan oleh Dinas:" in body


def test_first_submission_time_is_kept_on_resubmission(pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a)
    first = workflow.submit(activity, pokja_a).first_submitted_at
    workflow.return_(activity, dinas, "Lengkapi peserta")
    again = workflow.submit(activity, pokja_a)
    assert again.first_submitted_at == first
    assert again.submitted_at > first


ILLEGAL = [
    # (starting status, action, actor)
    (S.SUBMITTED, workflow.SUBMIT, "pokja_a"),
    (S.VERIFIED, workflow.SUBMIT, "pokja_a"),
    (S.DRAFT, workflow.VERIFY, "dinas"),
    (S.RETURNED, workflow.VERIFY, "dinas"),
    (S.VERIFIED, workflow.VERIFY, "dinas"),
    (S.DRAFT, workflow.RETURN, "dinas"),
    (S.VERIFIED, workflow.RETURN, "dinas"),
    (S.RETURNED, workflow.RETURN, "dinas"),
    (S.DRAFT, workflow.REOPEN, "dinas"),
    (S.SUBMITTED, workflow.REOPEN, "dinas"),
    (S.RETURNED, workflow.REOPEN, "dinas"),
]


@pytest.mark.parametrize(("start", "action", "actor"), ILLEGAL)
def test_illegal_transitions_are_refused_with_400(start, action, actor, cast, client_for, site_a):
    activity = f.ActivityFactory(site=site_a, status=start)
    url = reverse(f"activities:{action}", args=[activity.pk])
    response = client_for(cast[actor]).post(url, {"reason": "alasan"})
    assert response.status_code == 400
    assert "tidak dapat" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == start
    assert activity.version == 1
    assert not activity.transitions.exists()


@pytest.mark.parametrize("action", [workflow.VERIFY, workflow.RETURN, workflow.REOPEN])
def test_only_the_dinas_verifies_returns_or_reopens(action, pokja_a, member_a, site_a):
    start = S.VERIFIED if action == workflow.REOPEN else S.SUBMITTED
    for user in (pokja_a, member_a):
        activity = f.ActivityFactory(site=site_a, status=start)
        with pytest.raises(PermissionDenied):
            workflow.transition(activity, user, action, reason="alasan")
        activity.refresh_from_db()
        assert activity.status == start


@pytest.mark.parametrize("action", [workflow.RETURN, workflow.REOPEN])
def test_return_and_reopen_need_a_reason(action, client_for, dinas, site_a):
    start = S.VERIFIED if action == workflow.REOPEN else S.SUBMITTED
    activity = f.ActivityFactory(site=site_a, status=start)
    url = reverse(f"activities:{action}", args=[activity.pk])
    response = client_for(dinas).post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Tuliskan alasan" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == start


def test_a_stale_action_is_refused_with_409(client_for, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    seen = activity.version
    workflow.verify(activity, dinas)  # someone else was quicker
    url = reverse("activities:return", args=[activity.pk])
    response = client_for(dinas).post(url, {"reason": "Foto buram", "version": seen})
    assert response.status_code == 409
    assert "Dinas telah memverifikasi kegiatan ini" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == S.VERIFIED


def test_verified_activity_is_locked_until_reopened(client_for, pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.VERIFIED)
    assert not Activity.objects.editable_by(pokja_a).filter(pk=activity.pk).exists()
    assert not Activity.objects.editable_by(dinas).filter(pk=activity.pk).exists()
    workflow.reopen(activity, dinas, "Tanggal salah")
    assert Activity.objects.editable_by(pokja_a).filter(pk=activity.pk).exists()


def test_buttons_follow_the_allowed_actions(client_for, pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    url = reverse("activities:detail", args=[activity.pk])
    pokja_page = client_for(pokja_a).get(url).content.decode()
    dinas_page = client_for(dinas).get(url).content.decode()
    verify_url = reverse("activities:verify", args=[activity.pk])
    assert verify_url not in pokja_page
    assert verify_url in dinas_page
    assert reverse("activities:return", args=[activity.pk]) in dinas_page
    assert reverse("activities:update", args=[activity.pk]) not in pokja_page


def test_htmx_verify_from_the_queue_answers_with_the_row(client_for, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED, title="Kelas BKB")
    client = client_for(dinas)
    response = client.post(
        reverse("activities:verify", args=[activity.pk]),
        {"version": activity.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="card mb-3 queue-item"' in body and "<html" not in body
    assert "“Kelas BKB” sudah diverifikasi." in body
    activity.refresh_from_db()
    assert activity.status == S.VERIFIED


def test_htmx_return_without_reason_shows_the_error_in_place(client_for, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    response = client_for(dinas).post(
        reverse("activities:return", args=[activity.pk]),
        {"reason": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Tuliskan alasan" in body and "<html" not in body
    activity.refresh_from_db()
    assert activity.status == S.SUBMITTED


def test_queue_lists_submitted_oldest_first(client_for, dinas, site_a, site_b, pokja_a, pokja_b):
    first = f.ActivityFactory(site=site_b, title="Pertama diajukan")
    second = f.ActivityFactory(site=site_a, title="Kedua diajukan")
    f.ActivityFactory(site=site_a, title="Masih draf")
    workflow.submit(first, pokja_b)
    workflow.submit(second, pokja_a)
    body = client_for(dinas).get(reverse("activities:queue")).content.decode()
    assert "Masih draf" not in body
    assert body.index("Pertama diajukan") < body.index("Kedua diajukan")


def test_returned_activity_reaches_the_pokja_dashboard(client_for, pokja_a, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, title="Senam lansia")
    workflow.submit(activity, pokja_a)
    workflow.return_(activity, dinas, "Jumlah peserta perempuan belum diisi")
    body = client_for(pokja_a).get(reverse("dashboard")).content.decode()
    assert "1 kegiatan dikembalikan oleh Dinas" in body
    # The reason comes first, then the activity, one tap from editing.
    assert body.index("Jumlah peserta perempuan belum diisi") < body.index("Senam lansia")
    assert reverse("activities:update", args=[activity.pk]) in body


@pytest.mark.parametrize("action", [workflow.RETURN, workflow.REOPEN])
def test_a_too_long_reason_names_the_limit(action, client_for, dinas, site_a):
    start = S.VERIFIED if action == workflow.REOPEN else S.SUBMITTED
    activity = f.ActivityFactory(site=site_a, status=start)
    url = reverse(f"activities:{action}", args=[activity.pk])
    response = client_for(dinas).post(url, {"reason": "x" * 1234})
    assert response.status_code == 400
    assert "Alasan paling banyak 1.000 karakter (Anda menulis 1.234)." in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == start
    # Exactly at the limit is accepted, counting a line break (sent as CRLF) as one, as the
    # textarea's maxlength does.
    reason = "x\r\n" * (workflow.REASON_MAX_LENGTH // 2)
    response = client_for(dinas).post(url, {"reason": reason})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == S.RETURNED


def test_htmx_too_long_reason_keeps_the_text_and_names_the_limit(client_for, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    response = client_for(dinas).post(
        reverse("activities:return", args=[activity.pk]),
        {"reason": "y" * 1001},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Alasan paling banyak 1.000 karakter (Anda menulis 1.001)." in body
    assert 'maxlength="1000"' in body and "y" * 1001 in body


def test_the_workflow_refuses_a_too_long_reason_from_any_caller(dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    with pytest.raises(workflow.ReasonTooLong):
        workflow.return_(activity, dinas, "z" * 1001)
    activity.refresh_from_db()
    assert activity.status == S.SUBMITTED
