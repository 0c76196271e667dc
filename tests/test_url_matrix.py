"""The access matrix, generated from the URLconf.

Every URL pattern of ``kampungkb.urls`` (the admin included) × every role of the cast ×
GET and POST, with the URL filled with the user's own objects and other sites' /
kecamatan's / OPD's. For each response:

* the status is the one the classification (``tests/url_classes.py``) allows;
* the body holds none of the *markers* (distinctive strings stored in non-public data:
  SK numbers, member names, a closed site's name, draft and submitted activities, an
  activity's description, usulan, notifications, other people's imports) of objects the
  role may not see;
* a POST by a role that may not write there changes no row (nor a status, a site, a read
  mark: :func:`domain_state`); a permitted POST is rolled back after its checks, so every
  role meets the same world.

A URL pattern that is not classified fails ``test_every_url_is_classified``.
"""

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

from activities.models import Activity, ActivityPhoto, ImportBatch, PokjaMember, Usulan
from jobs.models import Job
from kampungkb.models import Notification
from kampungkb.settings.base import BASE_DIR
from reports.recompute import recompute
from reports.sustainability import last_due_month
from villages.models import KampungKB

from . import factories as f
from .url_classes import (
    ACTIVE_SITES,
    ACTIVITIES_MANAGED,
    ACTIVITIES_READ,
    ACTIVITY_EDIT,
    ACTIVITY_READ,
    ACTIVITY_REOPEN,
    ACTIVITY_RETURN,
    ACTIVITY_STATUS,
    ACTIVITY_SUBMIT,
    ACTIVITY_VERIFY,
    ADMIN_CATCH_ALL,
    ADMIN_LOGIN,
    ADMIN_POST,
    ADMIN_STAFF,
    ADMIN_USER_PASSWORD,
    CLASSIFICATION,
    COMPARE_EXPORT,
    DEBUG_MEDIA,
    DINAS,
    DINAS_READ,
    FORM_ROLES,
    IMPORT_ACTION,
    IMPORT_KINDS,
    IMPORT_READ,
    IMPORT_TEMPLATE,
    IMPORTS_PENDING,
    IMPORTS_READ,
    JOB_READ,
    JOBS_READ,
    LOGIN,
    LOGIN_ACTION,
    LOGIN_LIST,
    LOGIN_PAGE,
    NOTIFICATION_OPEN,
    NOTIFICATION_RECIPIENT,
    OBJECT_KINDS,
    PHOTO_READ,
    PHOTOS_READ,
    PUBLIC,
    PUBLIC_PHOTO,
    PUBLIC_PHOTOS,
    PUBLIC_POST,
    PUBLIC_SITE,
    PUBLIC_SITES,
    SITE_MANAGE,
    SITE_MEMBERS,
    SITE_NESTED_READ,
    SITE_READ,
    SITES_MANAGED,
    SITES_READ,
    STAFF_ROLES,
    USULAN_ANSWER,
    USULAN_READ,
    USULAN_VISIBLE,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "dinas", "pokja_a", "member_a", "pokja_b", "viewer_b", "opd_x", "opd_y"]
ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "delete", "history", "simple_history")
DOMAIN_APPS = ("villages", "activities", "reports", "kampungkb", "auth", "jobs")

# Who may see the people of a site (names, phones): not the OPD coordinators.
MEMBERS_READ = {
    "dinas": {"site_a", "site_b", "site_c", "site_inactive"},
    "pokja_a": {"site_a"},
    "member_a": {"site_a"},
    "pokja_b": {"site_b"},
    "viewer_b": {"site_c"},
}
# The workflow actions: (who may act, statuses it starts from). "recorder": whoever records
# the activity (ACTIVITIES_MANAGED); "dinas": the Dinas alone.
ACTIVITY_ACTIONS = {
    ACTIVITY_SUBMIT: ("recorder", {"draft", "returned"}),
    ACTIVITY_VERIFY: ("dinas", {"submitted"}),
    ACTIVITY_RETURN: ("dinas", {"submitted"}),
    ACTIVITY_REOPEN: ("dinas", {"verified"}),
}
# Classes whose pages send anonymous users to the login page.
LOGIN_REQUIRED = {
    LOGIN,
    LOGIN_LIST,
    DINAS,
    SITE_READ,
    SITE_MANAGE,
    DINAS_READ,
    SITE_NESTED_READ,
    SITE_MEMBERS,
    LOGIN_ACTION,
    COMPARE_EXPORT,
    ACTIVITY_READ,
    ACTIVITY_EDIT,
    PHOTO_READ,
    USULAN_READ,
    NOTIFICATION_OPEN,
    IMPORT_TEMPLATE,
    IMPORT_READ,
    IMPORT_ACTION,
    JOB_READ,
    *FORM_ROLES,
    *ACTIVITY_ACTIONS,
}


# --- The URLconf ----------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    key: str  # URL name with namespace, or the route of an unnamed pattern
    route: str
    name: str | None


def iter_routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_routes(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Route(name or route, route, name)


def admin_model_view(route: Route):
    """``(model, view)`` when the route is a page of a registered ModelAdmin."""
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin/{opts.app_label}/{opts.model_name}/"
        if route.name:
            for view in ADMIN_MODEL_VIEWS:
                if route.name == f"admin:{opts.app_label}_{opts.model_name}_{view}":
                    return model, view
        elif route.route == f"{base}<path:object_id>/":
            return model, "redirect"
    return None


def test_every_url_is_classified():
    unclassified = [
        r.key for r in iter_routes() if r.key not in CLASSIFICATION and not admin_model_view(r)
    ]
    assert unclassified == [], (
        "Classify these URL patterns in tests/url_classes.py (one line each): "
        + ", ".join(unclassified)
    )


def test_the_walk_finds_the_known_pages():
    """Guards the walker itself: if it found nothing, the matrix would pass vacuously."""
    keys = {r.key for r in iter_routes()}
    assert {"landing", "villages:site-update", "public:site-detail", "admin:index"} <= keys
    assert any(admin_model_view(r) for r in iter_routes())


# --- The world: the cast plus objects carrying markers ----------------------------------
@pytest.fixture
def world(cast, site_a, site_b, site_c, site_inactive, opd_x_agency, opd_y_agency, viewer_b):
    sites = {"site_a": site_a, "site_b": site_b, "site_c": site_c, "site_inactive": site_inactive}
    markers = []  # (marker, predicate(role) -> may see)
    members = {}
    for name, site in sites.items():
        tag = name.split("_")[1].upper()
        f.ProfileSnapshotFactory(site=site, sk_number=f"SKRAHASIA-{tag}")
        members[f"member_{tag.lower()}"] = f.PokjaMemberFactory(
            site=site, name=f"Anggota Rahasia {tag}", phone=f"08991{tag}"
        )
        markers.append((f"SKRAHASIA-{tag}", lambda role, n=name: n in SITES_READ[role]))
        markers.append(
            (f"Anggota Rahasia {tag}", lambda role, n=name: n in MEMBERS_READ.get(role, ()))
        )
    markers.append(("Kampung KB Nonaktif", lambda role: "site_inactive" in SITES_READ[role]))
    S = Activity.Status
    # A draft activity is the Pokja's until submitted: not the OPD's, not the viewers'.
    activities = {
        "act_a_draft": f.ActivityFactory(
            site=site_a, title="Kegiatan Draf Rahasia", status=S.DRAFT
        ),
        "act_a_submitted": f.ActivityFactory(
            site=site_a, title="Kegiatan Diajukan Rahasia A", status=S.SUBMITTED
        ),
        # Verified titles are public; the description is not.
        "act_b_verified": f.ActivityFactory(
            site=site_b, status=S.VERIFIED, description="Uraian Rahasia B"
        ),
        "act_c_opd_x": f.ActivityFactory(
            site=site_c,
            title="Kegiatan Rahasia DX di C",
            status=S.SUBMITTED,
            recorded_by_opd=opd_x_agency,
        ),
    }
    for name, marker in (
        ("act_a_draft", "Kegiatan Draf Rahasia"),
        ("act_a_submitted", "Kegiatan Diajukan Rahasia A"),
        ("act_b_verified", "Uraian Rahasia B"),
        ("act_c_opd_x", "Kegiatan Rahasia DX di C"),
    ):
        markers.append((marker, lambda role, n=name: n in ACTIVITIES_READ[role]))
    closed = f.ActivityFactory(site=site_inactive, status=S.VERIFIED)
    photos = {
        "photo_a_draft": f.ActivityPhotoFactory(activity=activities["act_a_draft"], is_public=True),
        "photo_b_public": f.ActivityPhotoFactory(
            activity=activities["act_b_verified"], is_public=True
        ),
        "photo_b_private": f.ActivityPhotoFactory(
            activity=activities["act_b_verified"], is_public=False
        ),
        "photo_inactive_public": f.ActivityPhotoFactory(activity=closed, is_public=True),
    }
    usulan = {
        "usulan_a_to_x": f.UsulanFactory(
            direction=Usulan.Direction.UP,
            site=site_a,
            opd=opd_x_agency,
            title="Usulan Rahasia AX",
            created_by=cast["pokja_a"],
        ),
        "usulan_y_to_c": f.UsulanFactory(
            direction=Usulan.Direction.DOWN,
            site=site_c,
            opd=opd_y_agency,
            title="Usulan Rahasia YC",
            created_by=cast["opd_y"],
        ),
        "usulan_a_to_x_done": f.UsulanFactory(
            direction=Usulan.Direction.UP,
            site=site_a,
            opd=opd_x_agency,
            title="Usulan Rahasia AX selesai",
            created_by=cast["pokja_a"],
            status=Usulan.Status.CARRIED_OUT,
            carried_out_activity=activities["act_a_draft"],
        ),
    }
    for name, item in usulan.items():
        markers.append((item.title, lambda role, n=name: n in USULAN_VISIBLE[role]))
    notes = {}
    for name, role in NOTIFICATION_RECIPIENT.items():
        notes[name] = Notification.objects.create(
            recipient=cast[role],
            subject=f"Pesan Rahasia untuk {role}",
            link="/dasbor/",
            event_key=f"matrix-{role}",
        )
        markers.append((f"Pesan Rahasia untuk {role}", lambda r, owner=role: r == owner))
    content = f.xlsx_bytes([["kode_kelurahan"]])
    batches = {}
    for name, role, kind in (
        ("batch_pokja_a", "pokja_a", ImportBatch.Kind.ACTIVITIES),
        ("batch_opd_y", "opd_y", ImportBatch.Kind.PROGRAMS),
    ):
        file_name = f"impor-rahasia-{role}.xlsx"
        batches[name] = ImportBatch.objects.create(
            kind=kind,
            status=ImportBatch.Status.CHECKED,
            uploaded_by=cast[role],
            file_name=file_name,
            file_size=len(content),
            sha256=name.ljust(64, "0"),
            content=content,
        )
        markers.append((file_name, lambda r, n=name: n in IMPORTS_READ.get(r, ())))
    jobs = {}
    for name, role in (("job_pokja_a", "pokja_a"), ("job_opd_y", "opd_y")):
        job = Job.objects.create(
            owner=cast[role], kind=Job.Kind.EXPORT, state=Job.State.DONE, params={"n": name}
        )
        file_name = f"hasil-rahasia-{role}.csv"
        job.result_file.save(file_name, ContentFile(f"Isi Rahasia {role}".encode()))
        job.result_name = file_name
        job.save()
        jobs[name] = job
        for marker in (file_name, f"Isi Rahasia {role}"):
            markers.append((marker, lambda r, n=name: n in JOBS_READ.get(r, ())))
    # Quality rows of the last complete month (the classification and comparison need one).
    month = last_due_month()
    recompute(month, month)
    objects = {
        **sites,
        **activities,
        **photos,
        **members,
        **usulan,
        **notes,
        **batches,
        **jobs,
        "opd_x_agency": opd_x_agency,
        "opd_y_agency": opd_y_agency,
        "user_pokja_a": cast["pokja_a"],
        "superuser": f.UserFactory(username="t_root", is_superuser=True, is_staff=True),
    }
    other_kelurahan = f.KelurahanFactory()  # where a crafted POST tries to move a site
    return {
        "users": cast,
        "objects": objects,
        "markers": markers,
        "post": {**CRAFTED_POST, "kelurahan": other_kelurahan.pk},
    }


def assert_no_leak(world, role, response, where):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    leaked = [m for m, may_see in world["markers"] if not may_see(role) and m in text]
    assert leaked == [], f"{role} sees {leaked} at {where} ({response.status_code})"


def domain_counts():
    return {
        model._meta.label: model._base_manager.count()
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
    }


def domain_state():
    """The row counts plus the fields a crafted request could change without adding or
    removing a row (a status, a site, a read mark)."""
    fields = {
        Activity: ("status", "version", "title", "site_id", "recorded_by_opd_id"),
        ActivityPhoto: ("activity_id", "is_public"),
        PokjaMember: ("name", "site_id", "position", "user_id", "active_until"),
        KampungKB: ("name", "kelurahan_id", "is_active"),
        Usulan: ("status", "site_id", "opd_id", "title"),
        ImportBatch: ("status", "uploaded_by_id", "created_count"),
        Notification: ("recipient_id", "read_at"),
    }
    state = domain_counts()
    for model, names in fields.items():
        state[model._meta.label + " rows"] = list(
            model._base_manager.order_by("pk").values_list("pk", *names)
        )
    return state


CRAFTED_POST = {
    # Enough for the site and snapshot forms to save, if the role were allowed to.
    "name": "Dipindahkan",
    "coverage": "kelurahan",
    "declared_on": "01/01/2019",
    "period": "2024-03",
    "companion": "none",
    "members_count": "3",
    "trained_members_count": "0",
    "families": "10",
    "pus": "0",
    "language": "en",
    "next": "/",
    "post": "yes",
    # Workflow actions: the version the user saw and a reason, so only the actor is wrong.
    "version": "1",
    "reason": "Alasan uji",
}


# --- Pages outside the admin's ModelAdmins ---------------------------------------------
def expected_get(access, role, site):
    anon = role == "anonymous"
    if access == PUBLIC:
        return {200}
    if access == PUBLIC_POST:
        return {302, 405}  # set_language redirects; logout is POST-only
    if access == LOGIN_PAGE:
        return {200} if anon else {302}
    if access in (LOGIN, LOGIN_LIST):
        return {302} if anon else {200}
    if access == DINAS:
        return {302} if anon else {200} if role == "dinas" else {403}
    if access == SITE_READ:
        return {302} if anon else {200} if site in SITES_READ[role] else {404}
    if access == SITE_MANAGE:
        if anon:
            return {302}
        if site in SITES_MANAGED.get(role, ()):
            return {200}
        return {403} if site in SITES_READ[role] else {404}
    if access == PUBLIC_SITE:
        return {200} if site in PUBLIC_SITES else {404}
    if access == ADMIN_STAFF:
        # Staff reach the page (some answer 403/404 to a request without parameters);
        # everyone else is sent to the admin login.
        return {200, 302, 403, 404} if role in STAFF_ROLES else {302}
    if access == ADMIN_LOGIN:
        return {302} if role in STAFF_ROLES else {200}
    if access == ADMIN_POST:
        return {405} if role in STAFF_ROLES else {302}
    if access == ADMIN_CATCH_ALL:
        return {404} if role in STAFF_ROLES else {302}
    if access == ADMIN_USER_PASSWORD:
        if role not in STAFF_ROLES:
            return {302}
        return {200} if role == "dinas" and site == "user_pokja_a" else {403}
    if access == PUBLIC_PHOTO:
        return {200} if site in PUBLIC_PHOTOS else {404}
    if anon:
        assert access in LOGIN_REQUIRED, access
        return {302}
    if access == DINAS_READ:
        return {200} if role == "dinas" else {403}
    if access == SITE_NESTED_READ:
        return {200} if site in SITES_READ[role] else {404}
    if access == SITE_MEMBERS:
        if site in MEMBERS_READ.get(role, ()):
            return {200}
        return {403} if site in SITES_READ[role] else {404}
    if access in (LOGIN_ACTION, IMPORT_ACTION, *ACTIVITY_ACTIONS):
        return {405}  # POST only
    if access == COMPARE_EXPORT:
        # Unknown, unreadable and closed sites get the same answer.
        return {200} if set(site) <= SITES_READ[role] & ACTIVE_SITES else {404}
    if access in FORM_ROLES:
        return {200} if role in FORM_ROLES[access] else {403}
    if access == ACTIVITY_READ:
        return {200} if site in ACTIVITIES_READ[role] else {404}
    if access == ACTIVITY_EDIT:
        if site not in ACTIVITIES_READ[role]:
            return {404}
        editable = ACTIVITY_STATUS[site] in ("draft", "returned")
        return {200} if editable and site in ACTIVITIES_MANAGED.get(role, ()) else {403}
    if access == PHOTO_READ:
        return {200} if site in PHOTOS_READ[role] else {404}
    if access == USULAN_READ:
        return {200} if site in USULAN_VISIBLE[role] else {404}
    if access == NOTIFICATION_OPEN:
        return {302} if NOTIFICATION_RECIPIENT[site] == role else {404}
    if access == IMPORT_TEMPLATE:
        return {200} if site in IMPORT_KINDS[role] else {404}
    if access == IMPORT_READ:
        return {200} if site in IMPORTS_READ.get(role, ()) else {404}
    if access == JOB_READ:
        return {200} if site in JOBS_READ.get(role, ()) else {404}
    raise AssertionError(f"no expectation for {access}")


def expected_post(access, role, site):
    """(allowed statuses, may change data)."""
    anon = role == "anonymous"
    if access in (PUBLIC, PUBLIC_SITE):
        return {405}, False
    if access == PUBLIC_POST:
        return {302}, False
    if access == LOGIN_PAGE:
        return ({200} if anon else {302}), False
    if access in (LOGIN, LOGIN_LIST):
        return ({302} if anon else {200, 405}), False
    if access == DINAS:
        if anon:
            return {302}, False
        return ({200, 302}, True) if role == "dinas" else ({403}, False)
    if access == SITE_READ:
        return ({302} if anon else {405}), False
    if access == SITE_MANAGE:
        if anon:
            return {302}, False
        if site in SITES_MANAGED.get(role, ()):
            return {200, 302}, True
        return ({403} if site in SITES_READ[role] else {404}), False
    if access == ADMIN_USER_PASSWORD:
        if role not in STAFF_ROLES:
            return {302}, False
        return ({200, 302}, True) if role == "dinas" and site == "user_pokja_a" else ({403}, False)
    if access in (ADMIN_STAFF, ADMIN_LOGIN, ADMIN_POST, ADMIN_CATCH_ALL):
        # Staff may post to the admin's own pages (log out, change their password).
        return ({200, 302, 403, 404, 405} if role in STAFF_ROLES else {200, 302}), False
    if access == PUBLIC_PHOTO:
        return {405}, False
    if anon:
        assert access in LOGIN_REQUIRED, access
        return {302}, False
    if access == DINAS_READ:
        return ({405} if role == "dinas" else {403}), False
    if access in (SITE_NESTED_READ, SITE_MEMBERS):
        return ({405} if site in SITES_READ[role] else {404}), False
    if access == LOGIN_ACTION:
        return {302}, True  # about the user's own rows
    if access in (COMPARE_EXPORT, ACTIVITY_READ, PHOTO_READ, IMPORT_READ, JOB_READ):
        return {405}, False
    if access in FORM_ROLES:
        # The permitted roles post an empty form: errors, nothing saved.
        return ({200}, True) if role in FORM_ROLES[access] else ({403}, False)
    if access == ACTIVITY_EDIT:
        if site not in ACTIVITIES_READ[role]:
            return {404}, False
        if site not in ACTIVITIES_MANAGED.get(role, ()):
            return {403}, False
        if ACTIVITY_STATUS[site] in ("draft", "returned"):
            return {200}, True
        return {403, 409}, False  # locked until reopened (a stale edit: 409)
    if access in ACTIVITY_ACTIONS:
        if site not in ACTIVITIES_READ[role]:
            return {404}, False
        actor, sources = ACTIVITY_ACTIONS[access]
        may = site in ACTIVITIES_MANAGED.get(role, ()) if actor == "recorder" else role == "dinas"
        if not may:
            return {403}, False
        return ({302}, True) if ACTIVITY_STATUS[site] in sources else ({400}, False)
    if access == USULAN_READ:
        if site not in USULAN_VISIBLE[role]:
            return {404}, False
        return ({200}, True) if site in USULAN_ANSWER.get(role, ()) else ({403}, False)
    if access == NOTIFICATION_OPEN:
        # Opening marks the notification read: the recipient's own row.
        return ({302}, True) if NOTIFICATION_RECIPIENT[site] == role else ({404}, False)
    if access == IMPORT_TEMPLATE:
        return expected_get(access, role, site), False
    if access == IMPORT_ACTION:
        if site not in IMPORTS_READ.get(role, ()):
            return {404}, False
        return ({302}, True) if site in IMPORTS_PENDING.get(role, ()) else ({403}, False)
    raise AssertionError(f"no expectation for {access}")


def kwarg_values(kind, world):
    if kind == "app_label":
        return [("villages", None)]
    if kind == "site_content_type":
        return [(ContentType.objects.get_for_model(KampungKB).pk, None)]
    if kind == "fmt":
        return [(value, None) for value in OBJECT_KINDS[kind]]
    if kind in ("import_kind", "site_pair"):
        return [(value, value) for value in OBJECT_KINDS[kind]]
    return [(world["objects"][name].pk, name) for name in OBJECT_KINDS[kind]]


def object_name(kind, obj, world):
    return next(n for n in OBJECT_KINDS[kind] if world["objects"][n].pk == obj.pk)


def url_variants(route, rule, world):
    """``(url, object name or None)`` for each way to fill the URL's kwargs (and query):
    the object is the first one named (a derived kind's first), which the policy is about."""
    if rule.access == ADMIN_CATCH_ALL:
        return [("/admin/tidak-ada-halaman/", None)]
    names = [n for n, kind in rule.kwargs.items() if "." not in kind]
    derived = {n: kind for n, kind in rule.kwargs.items() if "." in kind}
    choices = [kwarg_values(rule.kwargs[n], world) for n in names]
    if rule.query:
        choices.append(kwarg_values(rule.query[1], world))
    variants = []
    for combo in itertools.product(*choices):
        chosen = dict(zip(names, combo, strict=False))  # the query's choice comes last
        kwargs = {n: value for n, (value, _) in chosen.items()}
        objs = [obj for _, obj in combo if obj]
        for n, kind in derived.items():
            base, attr = kind.split(".")
            base_arg = next(a for a in names if rule.kwargs[a] == base)
            related = getattr(world["objects"][chosen[base_arg][1]], attr)
            kwargs[n] = related.pk
            objs.insert(0, object_name(attr, related, world))
        url = reverse(route.name, kwargs=kwargs)
        if rule.query:
            param, _kind = rule.query
            url += "?" + urlencode([(param, world["objects"][n].pk) for n in combo[-1][1]])
        variants.append((url, objs[0] if objs else None))
    return variants


# Parametrised by key, not by walking the URLconf at collection time: importing the URLconf
# then (with DEBUG still on) would install the development media route for the session.
PAGE_KEYS = [k for k, rule in CLASSIFICATION.items() if rule.access != DEBUG_MEDIA]


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_page_matrix(key, world, client_for):
    routes = [r for r in iter_routes() if r.key == key]
    assert routes, f"{key} is classified but not in the URLconf: remove its line"
    route, rule = routes[0], CLASSIFICATION[key]
    for url, site in url_variants(route, rule, world):
        for role in ROLES:
            user = world["users"][role]
            client = client_for(user)
            response = client.get(url)
            where = f"GET {url}"
            assert response.status_code in expected_get(rule.access, role, site), (
                f"{role} {where}: {response.status_code}"
            )
            if (
                response.status_code == 302
                and role == "anonymous"
                and rule.access in LOGIN_REQUIRED
            ):
                assert response["Location"].startswith(reverse("login"))
            assert_no_leak(world, role, response, where)

            allowed, may_write = expected_post(rule.access, role, site)
            # A role allowed to write posts an empty form (errors, nothing saved); the
            # others post the crafted data. A workflow action is posted in full by all
            # (the version seen and a reason: only the actor decides). Permitted writes
            # are rolled back so the next role meets the same world.
            data = {} if may_write and rule.access not in ACTIVITY_ACTIONS else world["post"]
            with transaction.atomic():
                before = None if may_write else domain_state()
                response = client_for(user).post(url, data)
                assert response.status_code in allowed, f"{role} POST {url}: {response.status_code}"
                assert_no_leak(world, role, response, f"POST {url}")
                if not may_write:
                    assert domain_state() == before, f"{role} POST {url} changed data"
                transaction.set_rollback(True)


def test_the_debug_media_route_exists_only_with_debug_on():
    """Uploaded files are served by Django only in development; production serves them from
    the web server (README, "Uploaded files"). Checked in a fresh process per setting."""
    code = (
        "import django; django.setup(); from kampungkb.urls import urlpatterns; "
        "print(any(str(p.pattern).startswith('media/') for p in urlpatterns))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    for debug, expected in (("false", "False"), ("true", "True")):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "DEBUG": debug, "DJANGO_SETTINGS_MODULE": "kampungkb.settings"},
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip() == expected, result.stderr


# --- The admin: every registered ModelAdmin -------------------------------------------
def admin_objects(model, world):
    """Objects of ``model`` to try: those of the world carrying markers first."""
    qs = model._base_manager.order_by("pk")
    wanted = {
        "villages.kampungkb": Qs(KampungKB, name__in=["Kampung KB A", "Kampung KB Nonaktif"]),
        "activities.pokjamember": Qs(PokjaMember, name__startswith="Anggota Rahasia"),
        "activities.activity": Qs(Activity, title="Kegiatan Draf Rahasia"),
        "activities.usulan": Qs(Usulan, title__startswith="Usulan Rahasia"),
    }.get(model._meta.label_lower)
    objs = list(wanted.get()[:3]) if wanted else []
    objs += [o for o in qs[:2] if o not in objs]
    return objs


@dataclass
class Qs:
    model: type
    filters: dict

    def __init__(self, model, **filters):
        self.model, self.filters = model, filters

    def get(self):
        return self.model._base_manager.filter(**self.filters).order_by("pk")


def admin_visible(model, role, user, obj):
    if role not in STAFF_ROLES:
        return False
    opts = model._meta
    if not (
        user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    ):
        return False
    manager = model._default_manager
    if obj is None:
        return True
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user).filter(pk=obj.pk).exists()
    return True


def admin_deletable(model, user, obj):
    opts = model._meta
    if not user.has_perm(f"{opts.app_label}.delete_{opts.model_name}"):
        return False
    manager = model._default_manager
    return (
        not hasattr(manager, "editable_by") or manager.editable_by(user).filter(pk=obj.pk).exists()
    )


def admin_url(model, view, obj):
    opts = model._meta
    if view in ("changelist", "add"):
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
    if view == "redirect":
        return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/"
    if view == "simple_history":
        history = getattr(obj, "history", None)
        if history is None or not history.exists():
            return None
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_simple_history",
            args=[obj.pk, history.first().history_id],
        )
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


ADMIN_MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_matrix(model, world, client_for):
    views = {
        admin_model_view(r)[1] for r in iter_routes() if (admin_model_view(r) or (0,))[0] is model
    }
    objs = admin_objects(model, world)
    for role in ROLES:
        user = world["users"][role]
        client = client_for(user)
        for view in sorted(views):
            targets = [None] if view in ("changelist", "add") else objs
            for obj in targets:
                url = admin_url(model, view, obj)
                if url is None:
                    continue
                response = client.get(url)
                status = response.status_code
                if role not in STAFF_ROLES:
                    location = response.get("Location", "")
                    assert status == 302 and location.startswith(("/admin/login/", "/masuk/")), (
                        f"{role} GET {url}: {status}"
                    )
                    continue
                if view == "redirect":
                    assert status == 302, f"{role} GET {url}: {status}"
                elif admin_visible(model, role, user, obj) and view != "add":
                    assert status in (200, 403), f"{role} GET {url}: {status}"
                    if role == "dinas" and view != "delete":
                        assert status == 200, f"dinas GET {url}: {status}"
                    elif role == "dinas":
                        # Deleting needs the permission and an editable object: a submitted
                        # or verified activity is locked, an import is its uploader's,
                        # quality rows are derived.
                        expected = 200 if admin_deletable(model, user, obj) else 403
                        assert status == expected, f"dinas GET {url}: {status}"
                else:
                    assert status in (200, 302, 403) if view == "add" else (302, 403, 404), (
                        f"{role} GET {url}: {status}"
                    )
                assert_no_leak(world, role, response, f"GET {url}")

            # A crafted POST on an object outside the role's scope changes nothing.
            if view in ("change", "delete"):
                for obj in objs:
                    if admin_visible(model, role, user, obj) and role == "dinas":
                        continue
                    if admin_visible(model, role, user, obj) and model._default_manager.model:
                        manager = model._default_manager
                        if (
                            hasattr(manager, "editable_by")
                            and manager.editable_by(user).filter(pk=obj.pk).exists()
                        ):
                            continue  # the role may legitimately change it
                    before = domain_counts()
                    snapshot = model._base_manager.filter(pk=obj.pk).values().first()
                    url = admin_url(model, view, obj)
                    response = client.post(url, world["post"])
                    assert response.status_code in (302, 403), (
                        f"{role} POST {url}: {response.status_code}"
                    )
                    assert model._base_manager.filter(pk=obj.pk).values().first() == snapshot
                    assert domain_counts() == before
                    assert_no_leak(world, role, response, f"POST {url}")
