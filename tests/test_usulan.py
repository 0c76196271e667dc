"""Usulan both ways: the allowed transitions (and every illegal one), who may take each
step, scope on sending, due dates and overdue lists, notifications (once per transition),
the inbox, and the pages' role matrix."""

import datetime
import html
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from activities import usulan_services as services
from activities.models import Activity, Usulan, UsulanTransition
from kampungkb.models import Notification
from kampungkb.notifications import notify

from . import factories as f
from .queries import count_queries

pytestmark = pytest.mark.django_db

S = Usulan.Status


@pytest.fixture
def up(pokja_a, site_a, opd_x_agency, opd_x, django_capture_on_commit_callbacks):
    """An usulan site A sent to agency X (coordinated by opd_x)."""
    with django_capture_on_commit_callbacks(execute=True):
        usulan = services.submit(
            user=pokja_a,
            direction="up",
            site=site_a,
            opd=opd_x_agency,
            kind="training",
            title="Pelatihan kader BKB",
        )
    mail.outbox.clear()
    return usulan


@pytest.fixture
def down(opd_x, opd_x_agency, site_a, pokja_a, django_capture_on_commit_callbacks):
    """Agency X offers a program to site A (whose ketua is pokja_a)."""
    with django_capture_on_commit_callbacks(execute=True):
        (usulan,) = services.offer(
            user=opd_x, opd=opd_x_agency, sites=[site_a], kind="program", title="Posbindu"
        )
    mail.outbox.clear()
    return usulan


# --------------------------------------------------------------------------------------
# The workflow
# --------------------------------------------------------------------------------------
def test_submission_starts_the_trail_with_a_14_day_answer_date(up, pokja_a):
    assert up.status == S.SUBMITTED
    assert up.due_on == timezone.localdate() + datetime.timedelta(days=14)
    step = up.transitions.get()
    assert (step.from_status, step.to_status, step.user) == ("", S.SUBMITTED, pokja_a)


PATHS = [
    [S.UNDER_REVIEW, S.ACCEPTED, S.CARRIED_OUT],
    [S.ACCEPTED, S.CARRIED_OUT],
    [S.REJECTED],
    [S.UNDER_REVIEW, S.REJECTED],
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: "-".join(p))
def test_every_allowed_path(path, up, opd_x, opd_x_agency, site_a):
    program = f.OPDProgramFactory(opd=opd_x_agency, sites=[site_a])
    for status in path:
        services.transition(
            up,
            status,
            user=opd_x,
            reason="Anggaran habis" if status == S.REJECTED else "",
            program=program if status == S.CARRIED_OUT else None,
        )
        assert up.status == status
    assert list(up.transitions.values_list("to_status", flat=True)) == [S.SUBMITTED, *path]
    if path[-1] == S.CARRIED_OUT:
        assert up.carried_out_program == program
    if path[-1] == S.REJECTED:
        assert up.rejection_reason == "Anggaran habis"


ALLOWED = {(frm, to) for frm, targets in services.TRANSITIONS.items() for to in targets}
ILLEGAL = [(frm, to) for frm in S.values for to in S.values if (frm, to) not in ALLOWED]


@pytest.mark.parametrize("frm,to", ILLEGAL)
def test_illegal_transitions_are_refused(frm, to, up, dinas, site_a, opd_x_agency):
    Usulan.objects.filter(pk=up.pk).update(
        status=frm,
        rejection_reason="x" if frm == S.REJECTED else "",
        carried_out_program=f.OPDProgramFactory(opd=opd_x_agency, sites=[site_a])
        if frm == S.CARRIED_OUT
        else None,
    )
    up.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.transition(up, to, user=dinas, reason="alasan")
    assert "tidak dapat diubah menjadi" in str(refused.value.message_dict["to_status"])
    up.refresh_from_db()
    assert up.status == frm
    assert up.transitions.count() == 1
    assert not Notification.objects.filter(event_key__startswith=f"usulan:{up.pk}:").exclude(
        event_key=f"usulan:{up.pk}:{up.transitions.get().pk}"
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejection_needs_a_reason(reason, up, opd_x):
    with pytest.raises(ValidationError) as refused:
        services.transition(up, S.REJECTED, user=opd_x, reason=reason)
    assert refused.value.message_dict == {"reason": ["Tuliskan alasan penolakan usulan."]}
    up.refresh_from_db()
    assert up.status == S.SUBMITTED


def test_the_database_also_refuses_a_rejection_without_reason(up):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Usulan.objects.filter(pk=up.pk).update(status=S.REJECTED, rejection_reason="")


def test_carried_out_links_what_did_it(up, opd_x, opd_y_agency, site_a, site_b, opd_x_agency):
    services.transition(up, S.ACCEPTED, user=opd_x)
    with pytest.raises(ValidationError) as refused:
        services.transition(up, S.CARRIED_OUT, user=opd_x)
    assert "Tautkan kegiatan atau program OPD" in str(refused.value)
    elsewhere = f.ActivityFactory(site=site_b, status="verified")
    with pytest.raises(ValidationError):
        services.transition(up, S.CARRIED_OUT, user=opd_x, activity=elsewhere)
    other_agency = f.OPDProgramFactory(opd=opd_y_agency, sites=[site_a])
    with pytest.raises(ValidationError):
        services.transition(up, S.CARRIED_OUT, user=opd_x, program=other_agency)
    not_here = f.OPDProgramFactory(opd=opd_x_agency, sites=[site_b])
    with pytest.raises(ValidationError):
        services.transition(up, S.CARRIED_OUT, user=opd_x, program=not_here)
    up.refresh_from_db()
    assert up.status == S.ACCEPTED
    here = f.ActivityFactory(site=site_a, date=timezone.localdate(), status="verified")
    services.transition(up, S.CARRIED_OUT, user=opd_x, activity=here)
    assert up.carried_out_activity == here


@pytest.mark.parametrize(
    "role,may",
    [
        ("opd_x", True),
        ("dinas", True),
        ("pokja_a", False),  # the sender does not answer its own usulan
        ("opd_y", False),
        ("pokja_b", False),
        ("viewer_b", False),
    ],
)
def test_only_the_addressee_answers_a_bottom_up_usulan(role, may, up, cast):
    user = cast[role]
    assert (S.ACCEPTED in services.allowed_targets(up, user)) is may
    if may:
        services.transition(up, S.ACCEPTED, user=user)
        assert up.status == S.ACCEPTED
    else:
        with pytest.raises(PermissionDenied):
            services.transition(up, S.ACCEPTED, user=user)
        up.refresh_from_db()
        assert up.status == S.SUBMITTED


@pytest.mark.parametrize(
    "role,may",
    [("pokja_a", True), ("dinas", True), ("member_a", False), ("opd_x", False), ("pokja_b", False)],
)
def test_the_sites_managers_answer_an_offer(role, may, down, cast):
    assert (S.ACCEPTED in services.allowed_targets(down, cast[role])) is may


def test_either_party_records_that_it_was_carried_out(up, opd_x, pokja_a, site_a):
    services.transition(up, S.ACCEPTED, user=opd_x)
    assert services.allowed_targets(up, pokja_a) == [S.CARRIED_OUT]
    activity = f.ActivityFactory(site=site_a, date=timezone.localdate())
    services.transition(up, S.CARRIED_OUT, user=pokja_a, activity=activity)
    assert up.status == S.CARRIED_OUT


def test_sending_outside_ones_scope_is_refused(cast, site_a, site_b, opd_x_agency, opd_y_agency):
    closed = f.KampungKBFactory(is_active=False)
    attempts = [
        ("pokja_a", "up", site_b, opd_x_agency),  # another site
        ("viewer_b", "up", site_a, opd_x_agency),  # a viewer sends nothing
        ("opd_x", "up", site_a, opd_x_agency),  # a coordinator is not the site's Pokja
        ("opd_x", "down", site_a, opd_y_agency),  # offering for another agency
        ("opd_x", "down", closed, opd_x_agency),  # an inactive site
        ("pokja_a", "down", site_a, opd_x_agency),  # a Pokja offers nothing
    ]
    for role, direction, site, opd in attempts:
        with pytest.raises(PermissionDenied):
            services.submit(
                user=cast[role], direction=direction, site=site, opd=opd, kind="other", title="x"
            )
    assert not Usulan.objects.exists()


def test_overdue_is_open_and_past_its_due_date(opd_x_agency, site_a):
    today = timezone.localdate()
    late = f.UsulanFactory(opd=opd_x_agency, site=site_a, due_on=today - datetime.timedelta(1))
    f.UsulanFactory(opd=opd_x_agency, site=site_a, due_on=today)  # due today: not yet late
    f.UsulanFactory(
        opd=opd_x_agency, site=site_a, due_on=today - datetime.timedelta(5), status=S.ACCEPTED
    )
    assert list(Usulan.objects.overdue()) == [late]
    assert late.is_overdue


# --------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------
def test_submission_notifies_the_addressee_once(
    pokja_a, site_a, opd_x_agency, opd_x, opd_y, django_capture_on_commit_callbacks
):
    second = f.UserFactory(username="t_opd_x2", groups=["opd"], is_staff=True)
    opd_x_agency.coordinators.add(second)
    with django_capture_on_commit_callbacks(execute=True):
        usulan = services.submit(
            user=pokja_a, direction="up", site=site_a, opd=opd_x_agency, kind="service", title="IVA"
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([opd_x.email, second.email])
    message = mail.outbox[0]
    assert message.subject == "[Portal Kampung KB] Usulan baru dari Kampung KB A: IVA"
    assert "Mohon dijawab paling lambat" in message.body
    assert usulan.get_absolute_url() in message.body
    assert Notification.objects.filter(recipient=opd_x, link=usulan.get_absolute_url()).count() == 1
    assert not Notification.objects.filter(recipient__in=[pokja_a, opd_y]).exists()


def test_each_transition_notifies_the_other_parties_once(
    up, opd_x, pokja_a, member_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(up, S.UNDER_REVIEW, user=opd_x)
    assert [m.to for m in mail.outbox] == [[pokja_a.email]]  # the ketua sent it
    assert "Sedang ditelaah" in mail.outbox[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.transition(up, S.UNDER_REVIEW, user=opd_x)  # again: illegal
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(up, S.REJECTED, user=opd_x, reason="Kuota penuh")
    assert [m.to for m in mail.outbox] == [[pokja_a.email]]
    assert "Alasan: Kuota penuh" in mail.outbox[0].body
    assert Notification.objects.filter(recipient=pokja_a).count() == 2
    # The actor hears nothing of their own step (opd_x only had the submission).
    assert Notification.objects.filter(recipient=opd_x).count() == 1
    assert not Notification.objects.filter(recipient=member_a).exists()


def test_usulan_to_the_kb_agency_reaches_the_dinas(
    pokja_a, site_a, dinas, django_capture_on_commit_callbacks
):
    kb = f.OPDFactory(name="DPMP3AKB Uji", is_kb_agency=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(user=pokja_a, direction="up", site=site_a, opd=kb, kind="other", title="x")
    assert [m.to for m in mail.outbox] == [[dinas.email]]


def test_an_agency_without_coordinator_is_answered_by_the_dinas(
    pokja_a, site_a, dinas, django_capture_on_commit_callbacks
):
    lonely = f.OPDFactory(name="Dinas Tanpa Koordinator")
    with django_capture_on_commit_callbacks(execute=True):
        usulan = services.submit(
            user=pokja_a, direction="up", site=site_a, opd=lonely, kind="other", title="x"
        )
    assert [m.to for m in mail.outbox] == [[dinas.email]]
    assert usulan in Usulan.objects.addressed_to(dinas)


def test_a_notification_goes_out_once_per_event(pokja_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([pokja_a], subject="Uji", body="Isi", link="/", event_key="uji:1")
        notify([pokja_a], subject="Uji", body="Isi", link="/", event_key="uji:1")
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(recipient=pokja_a).count() == 1


def test_a_rolled_back_transition_sends_nothing(up, opd_x, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.transition(up, S.ACCEPTED, user=opd_x)
                raise RuntimeError("a later step failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    up.refresh_from_db()
    assert up.status == S.SUBMITTED


def test_the_offered_site_hears_of_an_offer(
    opd_x, opd_x_agency, site_a, site_b, pokja_a, pokja_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.offer(
            user=opd_x, opd=opd_x_agency, sites=[site_a, site_b], kind="program", title="Posbindu"
        )
    assert len({u.offer_group for u in sent}) == 1 and len(sent) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pokja_a.email, pokja_b.email])
    assert "Tawaran dari DX: Posbindu" in mail.outbox[0].subject


# --------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------
ROLES = ["anonymous", "dinas", "pokja_a", "member_a", "pokja_b", "viewer_b", "opd_x", "opd_y"]
MATRIX = {
    "usulan-list": [302, 200, 200, 200, 200, 200, 200, 200],
    "usulan-create": [302, 200, 200, 200, 200, 403, 403, 403],
    "usulan-offer": [302, 200, 403, 403, 403, 403, 200, 200],
    "usulan-detail": [302, 200, 200, 200, 404, 404, 200, 404],
    "inbox": [302, 200, 200, 200, 200, 200, 200, 200],
}


@pytest.mark.parametrize("page_name", MATRIX)
def test_role_page_matrix(page_name, cast, up, client_for):
    url = reverse(f"coordination:{page_name}", args=[up.pk] if page_name == "usulan-detail" else [])
    got = {role: client_for(cast[role]).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, MATRIX[page_name], strict=True))


def test_answering_on_the_portal_is_for_the_addressee_only(cast, up, client_for):
    url = reverse("coordination:usulan-detail", args=[up.pk])
    data = {"to_status": S.ACCEPTED}
    expected = {"pokja_a": 403, "member_a": 403, "pokja_b": 404, "viewer_b": 404, "opd_y": 404}
    for role, status in expected.items():
        assert client_for(cast[role]).post(url, data).status_code == status, role
    up.refresh_from_db()
    assert up.status == S.SUBMITTED
    response = client_for(cast["opd_x"]).post(url, data)
    assert response.status_code == 302
    up.refresh_from_db()
    assert up.status == S.ACCEPTED


def test_pokja_sends_an_usulan_from_the_page(
    client_for, pokja_a, site_a, opd_x_agency, opd_x, django_capture_on_commit_callbacks
):
    data = {
        "site": site_a.pk,
        "opd": opd_x_agency.pk,
        "kind": "training",
        "title": "Pelatihan PIK-R",
        "description": "Untuk 20 remaja",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(pokja_a).post(reverse("coordination:usulan-create"), data)
    usulan = Usulan.objects.get(title="Pelatihan PIK-R")
    assert response["Location"] == usulan.get_absolute_url()
    assert (usulan.direction, usulan.site, usulan.opd, usulan.created_by) == (
        "up",
        site_a,
        opd_x_agency,
        pokja_a,
    )
    assert [m.to for m in mail.outbox] == [[opd_x.email]]


def test_crafted_post_for_another_site_saves_nothing(client_for, pokja_a, site_b, opd_x_agency):
    data = {"site": site_b.pk, "opd": opd_x_agency.pk, "kind": "other", "title": "Curang"}
    response = client_for(pokja_a).post(reverse("coordination:usulan-create"), data)
    assert response.status_code == 200
    assert "Masukkan pilihan yang valid" in response.content.decode()
    assert not Usulan.objects.exists()


def test_coordinator_offers_to_several_sites_from_the_page(
    client_for, opd_x, opd_x_agency, opd_y_agency, site_a, site_b
):
    url = reverse("coordination:usulan-offer")
    data = {
        "opd": opd_x_agency.pk,
        "sites": [site_a.pk, site_b.pk],
        "kind": "program",
        "title": "Skrining lansia",
    }
    assert client_for(opd_x).post(url, data).status_code == 302
    assert set(Usulan.objects.values_list("site", "direction", "opd")) == {
        (site_a.pk, "down", opd_x_agency.pk),
        (site_b.pk, "down", opd_x_agency.pk),
    }
    crafted = {**data, "opd": opd_y_agency.pk, "title": "Atas nama Y"}
    assert client_for(opd_x).post(url, crafted).status_code == 200
    assert not Usulan.objects.filter(title="Atas nama Y").exists()


def test_rejecting_on_the_portal_without_reason_explains_and_saves_nothing(
    client_for, down, pokja_a
):
    url = reverse("coordination:usulan-detail", args=[down.pk])
    response = client_for(pokja_a).post(url, {"to_status": S.REJECTED, "reason": ""})
    assert response.status_code == 200
    assert "Tuliskan alasan penolakan usulan." in response.content.decode()
    down.refresh_from_db()
    assert down.status == S.SUBMITTED and down.transitions.count() == 1


def test_the_list_filters_narrow_the_users_usulan(client_for, up, down, opd_x, opd_y):
    body = client_for(opd_x).get(reverse("coordination:usulan-list") + "?box=in").content
    assert "Pelatihan kader BKB" in body.decode() and "Posbindu" not in body.decode()
    body = client_for(opd_x).get(reverse("coordination:usulan-list") + "?box=out").content
    assert "Posbindu" in body.decode() and "Pelatihan kader BKB" not in body.decode()
    body = client_for(opd_y).get(reverse("coordination:usulan-list")).content.decode()
    assert "Posbindu" not in body and "Pelatihan kader BKB" not in body


def test_overdue_usulan_on_the_addressees_dashboard(client_for, up, opd_x, pokja_a, dinas):
    Usulan.objects.filter(pk=up.pk).update(due_on=timezone.localdate() - datetime.timedelta(2))
    body = client_for(opd_x).get(reverse("dashboard")).content.decode()
    assert "1 usulan sudah melewati batas jawaban." in body
    assert "Pelatihan kader BKB" in body and "Lewat tenggat" in body
    body = client_for(dinas).get(reverse("dashboard")).content.decode()
    assert "Jawaban yang lewat tenggat di seluruh kota" in body
    body = client_for(pokja_a).get(reverse("dashboard")).content.decode()
    assert "melewati batas jawaban" not in body  # not theirs to answer
    assert "Lewat tenggat" in body  # but they see their sent usulan is late


def test_inbox_counts_unread_and_marks_read(client_for, up, opd_x):
    client = client_for(opd_x)
    notification = Notification.objects.get(recipient=opd_x)
    body = client.get(reverse("coordination:inbox")).content.decode()
    assert "1 pesan belum dibaca" in body
    assert "Usulan baru dari Kampung KB A" in body
    response = client.get(reverse("coordination:inbox-open", args=[notification.pk]))
    assert response["Location"] == up.get_absolute_url()
    notification.refresh_from_db()
    assert notification.read_at is not None
    body = client.get(reverse("dashboard")).content.decode()
    assert "0 pesan belum dibaca" in body


@pytest.mark.parametrize("link", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/"])
def test_a_notification_link_never_leaves_the_portal(client_for, up, opd_x, link):
    notification = Notification.objects.get(recipient=opd_x)
    Notification.objects.filter(pk=notification.pk).update(link=link)
    response = client_for(opd_x).get(reverse("coordination:inbox-open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/"


def test_opening_the_usulan_reads_its_notifications(client_for, up, opd_x):
    client_for(opd_x).get(up.get_absolute_url())
    assert not Notification.objects.filter(recipient=opd_x, read_at__isnull=True).exists()


def test_mark_all_read_and_nobody_elses_notifications(client_for, up, opd_x, opd_y):
    notification = Notification.objects.get(recipient=opd_x)
    assert (
        client_for(opd_y)
        .get(reverse("coordination:inbox-open", args=[notification.pk]))
        .status_code
        == 404
    )
    client_for(opd_y).post(reverse("coordination:inbox-read-all"))
    notification.refresh_from_db()
    assert notification.read_at is None
    client_for(opd_x).post(reverse("coordination:inbox-read-all"))
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_the_menu_shows_the_unread_count(client_for, up, opd_x):
    body = client_for(opd_x).get(reverse("villages:site-list")).content.decode()
    badge = '<span class="badge rounded-pill text-bg-warning">1<span class="visually-hidden">'
    assert badge + " belum dibaca" in body


@pytest.mark.parametrize("role", ["opd_x", "pokja_a", "dinas"])
@pytest.mark.parametrize("page_name", ["usulan-list", "inbox", "dashboard", "usulan-detail"])
def test_query_counts_do_not_grow_with_usulan(
    role, page_name, cast, client_for, up, site_a, opd_x_agency, django_assert_max_num_queries
):
    def build(n):
        for i in range(n):
            usulan = services.submit(
                user=cast["pokja_a"],
                direction="up",
                site=site_a,
                opd=opd_x_agency,
                kind="other",
                title=f"Usulan {i}",
                email=False,
            )
            services.transition(usulan, S.UNDER_REVIEW, user=cast["opd_x"], email=False)

    url = (
        reverse("dashboard")
        if page_name == "dashboard"
        else reverse(f"coordination:{page_name}", args=[up.pk] if "detail" in page_name else [])
    )
    client = client_for(cast[role])
    build(1)
    few = count_queries(client, url)
    build(15)
    many = count_queries(client, url)
    assert few == many, f"{page_name}: {few} queries, then {many}"
    with django_assert_max_num_queries(25):
        client.get(url)


def test_usulan_rows_keep_their_history(up, opd_x):
    services.transition(up, S.ACCEPTED, user=opd_x)
    history = up.history.order_by("history_date")
    assert [h.status for h in history] == [S.SUBMITTED, S.ACCEPTED]
    assert UsulanTransition.objects.filter(usulan=up).count() == 2


def test_a_draft_that_carried_out_an_usulan_stays_the_pokjas(cast, up, client_for, site_a, kec_a):
    """Regression: the usulan page (and its admin page) showed the title of the activity
    linked as carrying it out to everyone who sees the usulan, also when that activity was
    a site's draft, which the agency and the area viewers may not see."""
    viewer_a = f.UserFactory(groups=["viewer"])
    f.AreaAssignmentFactory(user=viewer_a, kecamatan=kec_a)
    services.transition(up, S.ACCEPTED, user=cast["opd_x"])
    draft = f.ActivityFactory(site=site_a, date=timezone.localdate(), title="Draf pelaksana")
    services.transition(up, S.CARRIED_OUT, user=cast["pokja_a"], activity=draft)
    portal = up.get_absolute_url()
    admin_page = reverse("admin:activities_usulan_change", args=[up.pk])

    def shows_title(user, url):
        response = client_for(user).get(url)
        assert response.status_code == 200
        return "Draf pelaksana" in response.content.decode()

    for user in (cast["pokja_a"], cast["dinas"]):
        assert shows_title(user, portal)
    assert shows_title(cast["dinas"], admin_page)
    for user in (cast["opd_x"], viewer_a):
        assert not shows_title(user, portal)
        assert "Sebuah kegiatan Kampung KB yang belum dapat Anda lihat." in (
            client_for(user).get(portal).content.decode()
        )
    assert not shows_title(cast["opd_x"], admin_page)
    # Once verified, the activity is the agency's to read too.
    Activity.objects.filter(pk=draft.pk).update(status=Activity.Status.VERIFIED)
    assert shows_title(cast["opd_x"], portal)
    assert shows_title(cast["opd_x"], admin_page)


def test_inbox_pages_link_to_the_next_page(client_for, opd_x):
    Notification.objects.bulk_create(
        [
            Notification(recipient=opd_x, subject=f"Pesan {i}", event_key=f"uji-{i}")
            for i in range(30)
        ]
    )
    client = client_for(opd_x)
    first = client.get(reverse("coordination:inbox")).content.decode()
    assert "Halaman 1 dari 2" in first
    href = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1)
    second = client.get(reverse("coordination:inbox") + html.unescape(href)).content.decode()
    assert "Halaman 2 dari 2" in second
