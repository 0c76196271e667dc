"""Role × action matrix for every activity and Pokja member view: out-of-scope objects
answer 404 (on read and on every write, also by crafted POST), out-of-scope actions 403,
anonymous users go to the login page."""

import pytest
from django.urls import reverse

from activities.models import Activity, ActivityPhoto, PokjaMember

from . import factories as f

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "dinas", "pokja_a", "member_a", "pokja_b", "viewer_b", "opd_x"]
S = Activity.Status


def statuses(cast, client_for, url, method="get", data=None):
    got = {}
    for role in ROLES:
        client = client_for(cast[role])
        response = client.get(url) if method == "get" else client.post(url, data or {})
        got[role] = response.status_code
    return got


def expect(codes):
    return dict(zip(ROLES, codes, strict=True))


@pytest.fixture
def draft_a(site_a):
    return f.ActivityFactory(site=site_a, title="Draf situs A")


@pytest.fixture
def verified_a(site_a):
    return f.ActivityFactory(site=site_a, status=S.VERIFIED, title="Terverifikasi situs A")


# --------------------------------------------------------------------------------------
# Pages (GET)
# --------------------------------------------------------------------------------------
PAGE_MATRIX = {
    # name: (url builder, expected per role)
    "list": (lambda a: reverse("activities:list"), [302, 200, 200, 200, 200, 200, 200]),
    "create": (lambda a: reverse("activities:create"), [302, 200, 200, 200, 200, 403, 200]),
    "create-at-site": (
        lambda a: reverse("activities:create") + f"?site={a.site_id}",
        [302, 200, 200, 200, 404, 404, 200],
    ),
    "detail-draft": (
        lambda a: reverse("activities:detail", args=[a.pk]),
        [302, 200, 200, 200, 404, 404, 404],
    ),
    "update-draft": (
        lambda a: reverse("activities:update", args=[a.pk]),
        [302, 200, 200, 200, 404, 404, 404],
    ),
    "queue": (lambda a: reverse("activities:queue"), [302, 200, 403, 403, 403, 403, 403]),
    "members": (
        lambda a: reverse("activities:members", args=[a.site_id]),
        [302, 200, 200, 200, 404, 404, 403],
    ),
    "member-create": (
        lambda a: reverse("activities:member-create", args=[a.site_id]),
        [302, 200, 200, 403, 404, 404, 403],
    ),
}


@pytest.mark.parametrize("page_name", PAGE_MATRIX)
def test_page_matrix(page_name, cast, client_for, draft_a):
    build, codes = PAGE_MATRIX[page_name]
    assert statuses(cast, client_for, build(draft_a)) == expect(codes)


def test_verified_activity_is_readable_by_agencies_and_locked_for_everyone(
    cast, client_for, verified_a
):
    detail = reverse("activities:detail", args=[verified_a.pk])
    assert statuses(cast, client_for, detail) == expect([302, 200, 200, 200, 404, 404, 200])
    update = reverse("activities:update", args=[verified_a.pk])
    assert statuses(cast, client_for, update) == expect([302, 403, 403, 403, 404, 404, 403])


def test_member_edit_and_delete_matrix(cast, client_for, site_a):
    member = f.PokjaMemberFactory(site=site_a, name="Ibu Bendahara", position="bendahara")
    for name in ("activities:member-update", "activities:member-delete"):
        url = reverse(name, args=[site_a.pk, member.pk])
        assert statuses(cast, client_for, url) == expect([302, 200, 200, 403, 404, 404, 403])


def test_member_of_another_site_is_not_found_under_this_site(client_for, pokja_a, site_b):
    other = f.PokjaMemberFactory(site=site_b, position="bendahara")
    site_a_pk = PokjaMember.objects.get(user=pokja_a).site_id
    url = reverse("activities:member-update", args=[site_a_pk, other.pk])
    assert client_for(pokja_a).get(url).status_code == 404


def test_area_viewer_of_the_kecamatan_reads_submitted_but_not_drafts(client_for, site_a, kec_a):
    viewer = f.UserFactory(groups=["viewer"])
    f.AreaAssignmentFactory(user=viewer, kecamatan=kec_a)
    draft = f.ActivityFactory(site=site_a)
    submitted = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    client = client_for(viewer)
    assert client.get(reverse("activities:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("activities:detail", args=[submitted.pk])).status_code == 200
    assert client.get(reverse("activities:update", args=[submitted.pk])).status_code == 403
    assert client.get(reverse("activities:members", args=[site_a.pk])).status_code == 200
    assert client.get(reverse("activities:member-create", args=[site_a.pk])).status_code == 403


# --------------------------------------------------------------------------------------
# Workflow actions (POST), each role on a fresh activity
# --------------------------------------------------------------------------------------
ACTION_MATRIX = {
    # action: (starting status, reason, expected per role, status after success)
    "submit": (S.DRAFT, "", [302, 302, 302, 302, 404, 404, 404], S.SUBMITTED),
    "verify": (S.SUBMITTED, "", [302, 302, 403, 403, 404, 404, 404], S.VERIFIED),
    "return": (S.SUBMITTED, "Foto kurang jelas", [302, 302, 403, 403, 404, 404, 404], S.RETURNED),
    "reopen": (S.VERIFIED, "Peserta ganda", [302, 302, 403, 403, 404, 404, 403], S.RETURNED),
}


@pytest.mark.parametrize("action", ACTION_MATRIX)
def test_action_matrix(action, cast, client_for, site_a):
    start, reason, codes, success = ACTION_MATRIX[action]
    for role, code in expect(codes).items():
        activity = f.ActivityFactory(site=site_a, status=start)
        url = reverse(f"activities:{action}", args=[activity.pk])
        response = client_for(cast[role]).post(url, {"reason": reason})
        assert response.status_code == code, (role, response.status_code)
        activity.refresh_from_db()
        if role == "anonymous":
            assert response["Location"].startswith(reverse("login"))
        expected_status = success if code == 302 and role != "anonymous" else start
        assert activity.status == expected_status, role
        assert activity.transitions.exists() == (expected_status != start), role


def test_actions_answer_only_post(client_for, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    response = client_for(dinas).get(reverse("activities:verify", args=[activity.pk]))
    assert response.status_code == 405
    activity.refresh_from_db()
    assert activity.status == S.SUBMITTED


# --------------------------------------------------------------------------------------
# Crafted writes
# --------------------------------------------------------------------------------------
def activity_data(site, **overrides):
    data = {
        "site": site.pk,
        "title": "Penyuluhan KB",
        "date": "2024-05-10",
        "category": "reproduksi",
        "participants_male": 3,
        "participants_female": 10,
        "origin": "pokja",
        "photo-TOTAL_FORMS": 0,
        "photo-INITIAL_FORMS": 0,
        "photo-MIN_NUM_FORMS": 0,
        "photo-MAX_NUM_FORMS": 5,
    }
    data.update(overrides)
    return data


def test_editing_another_sites_activity_by_crafted_post_is_404(cast, client_for, draft_a):
    url = reverse("activities:update", args=[draft_a.pk])
    data = activity_data(draft_a.site, title="Diubah", version=draft_a.version)
    for role in ("pokja_b", "viewer_b", "opd_x"):
        assert client_for(cast[role]).post(url, data).status_code == 404, role
    draft_a.refresh_from_db()
    assert draft_a.title == "Draf situs A"


def test_pokja_cannot_post_an_activity_for_another_site(client_for, pokja_b, site_a):
    client = client_for(pokja_b)
    # The hidden site field edited to site A: refused by the narrowed choices.
    response = client.post(reverse("activities:create"), activity_data(site_a))
    assert response.status_code == 200
    assert "Anda hanya dapat mencatat kegiatan untuk Kampung KB tempat Anda bergabung." in (
        response.content.decode()
    )
    # The site in the URL: site A does not exist for pokja B.
    url = reverse("activities:create") + f"?site={site_a.pk}"
    assert client.post(url, activity_data(site_a)).status_code == 404
    assert not Activity.objects.exists()


def test_viewer_cannot_create_activities(client_for, viewer_b, site_c):
    response = client_for(viewer_b).post(reverse("activities:create"), activity_data(site_c))
    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_member_management_by_crafted_post(cast, client_for, site_a):
    url = reverse("activities:member-create", args=[site_a.pk])
    data = {"name": "Penyusup", "position": "ketua"}
    for role in ("member_a", "pokja_b", "viewer_b", "opd_x"):
        assert client_for(cast[role]).post(url, data).status_code in (403, 404), role
    assert not PokjaMember.objects.filter(name="Penyusup").exists()
    member = f.PokjaMemberFactory(site=site_a, name="Ibu Sekretaris", position="sekretaris")
    delete = reverse("activities:member-delete", args=[site_a.pk, member.pk])
    for role in ("member_a", "pokja_b", "viewer_b", "opd_x"):
        assert client_for(cast[role]).post(delete).status_code in (403, 404), role
    assert PokjaMember.objects.filter(pk=member.pk).exists()


def test_photo_files_follow_the_activity_scope(cast, client_for, draft_a):
    photo = f.ActivityPhotoFactory(activity=draft_a, is_public=True)
    for name in ("activities:photo", "activities:photo-thumb"):
        url = reverse(name, args=[photo.pk])
        assert statuses(cast, client_for, url) == expect([302, 200, 200, 200, 404, 404, 404])
    # Public only once verified, even when marked public.
    public = reverse("activities:public-photo", args=[photo.pk])
    assert client_for(None).get(public).status_code == 404
    Activity.objects.filter(pk=draft_a.pk).update(status=S.VERIFIED)
    assert client_for(None).get(public).status_code == 200
    ActivityPhoto.objects.filter(pk=photo.pk).update(is_public=False)
    assert client_for(None).get(public).status_code == 404


def test_lists_show_only_what_the_user_may_see(cast, client_for, site_a, site_b, site_c):
    f.ActivityFactory(site=site_a, title="Kegiatan A draf")
    f.ActivityFactory(site=site_b, title="Kegiatan B diajukan", status=S.SUBMITTED)
    f.ActivityFactory(site=site_c, title="Kegiatan C diajukan", status=S.SUBMITTED)
    f.ActivityFactory(site=site_c, title="Kegiatan C draf")
    f.ActivityFactory(site=site_b, title="Kegiatan B terverifikasi", status=S.VERIFIED)
    titles = [
        "Kegiatan A draf",
        "Kegiatan B diajukan",
        "Kegiatan C diajukan",
        "Kegiatan C draf",
        "Kegiatan B terverifikasi",
    ]

    def seen(role):
        body = client_for(cast[role]).get(reverse("activities:list")).content.decode()
        return {t for t in titles if t in body}

    assert seen("dinas") == set(titles)
    assert seen("pokja_a") == {"Kegiatan A draf"}
    assert seen("pokja_b") == {"Kegiatan B diajukan", "Kegiatan B terverifikasi"}
    assert seen("viewer_b") == {"Kegiatan C diajukan"}
    assert seen("opd_x") == {"Kegiatan B terverifikasi"}


def test_the_site_filter_offers_only_visible_sites(client_for, pokja_a, site_a, site_b):
    body = client_for(pokja_a).get(reverse("activities:list")).content.decode()
    assert "Kampung KB A" in body
    assert "Kampung KB B" not in body
    # Filtering by another site's id shows nothing of it.
    f.ActivityFactory(site=site_b, title="Rahasia B")
    body = client_for(pokja_a).get(reverse("activities:list"), {"site": site_b.pk})
    assert "Rahasia B" not in body.content.decode()


def test_duplicate_photo_badge_counts_only_activities_the_user_may_see(
    cast, client_for, site_a, site_b
):
    """Regression: the activity list flagged "Duplicate photo" when the same photo was on
    *any* other activity, so an agency reading a verified activity learnt of a Pokja's
    draft (or another site's activity) it may not see. The Dinas still sees every match."""
    verified = f.ActivityFactory(site=site_b, status=S.VERIFIED, title="Terverifikasi B")
    draft = f.ActivityFactory(site=site_a, title="Draf A")
    shown = f.ActivityPhotoFactory(activity=verified)
    hidden = f.ActivityPhotoFactory(activity=draft)
    ActivityPhoto.objects.filter(pk=hidden.pk).update(sha256=shown.sha256)

    def flagged(role):
        body = client_for(cast[role]).get(reverse("activities:list")).content.decode()
        assert "Terverifikasi B" in body
        return "Foto duplikat" in body

    assert flagged("dinas")
    assert not flagged("opd_x")
    # A duplicate among the activities the user does see is still flagged.
    other = f.ActivityFactory(site=site_a, status=S.VERIFIED, title="Terverifikasi A")
    ActivityPhoto.objects.filter(pk=hidden.pk).update(activity=other)
    assert flagged("opd_x")
