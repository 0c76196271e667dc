"""Every id and number a request carries is bounded: hostile values never answer a 5xx.

Generated from the URL matrix (``tests/url_classes.py`` and the world of
``tests/test_url_matrix.py``), not from a hand list:

* **path ids**: each ``<id:…>`` of every pattern, replaced by a hostile value: 404;
* **query and form parameters**: the page is opened once by a role that reaches it (GET,
  and an empty POST) while every parameter the view *reads* from ``request.GET`` /
  ``request.POST`` is recorded (filter forms, forms, ``page``, the hand-parsed ``?site=``);
  then each GET parameter is sent alone with each hostile value, and each form is posted
  with every field holding it (each alone after a failure): no 5xx, a POST saves nothing;
* **the admin**: every changelist with each of its list filters' and date hierarchy's
  parameters and ``p``, every add/change form's fields, and every autocomplete field's
  popup, as the Dinas and an OPD coordinator.

The hostile values: 2^63 (one past the largest id), 10^20, -1 and "abc".
"""

import itertools
import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils.http import urlencode

from activities.models import Activity, OPDProgram, Usulan
from kampungkb.bounds import MAX_ID, MAX_PER_PAGE, TablePaginator, parse_id
from villages.models import KKBPKSnapshot

from . import factories as f
from .test_url_matrix import (
    ACTIVITY_ACTIONS,
    ADMIN_MODELS,
    CLASSIFICATION,
    admin_objects,
    admin_url,
    iter_routes,
    url_variants,
)
from .test_url_matrix import (
    world as matrix_world,  # noqa: F401 - the fixture, found by pytest under this name
)
from .url_classes import ADMIN_CATCH_ALL, DEBUG_MEDIA, FORM_ROLES, LOGIN_ACTION

pytestmark = pytest.mark.django_db

HOSTILE = [str(MAX_ID + 1), str(10**20), "-1", "abc"]
PATH_ID = re.compile(r"<(?:id|int):(\w+)>")
# Roles tried in this order for each page: the widest reach first.
ROLE_ORDER = ["dinas", "opd_x", "pokja_a", "viewer_b", "opd_y", "pokja_b", "member_a", "anonymous"]
# Not an input of the page (the test client does not check CSRF tokens).
IGNORED = {"csrfmiddlewaretoken"}
# Writes that are not the form saving: the session, and the read marks set on the
# notifications about a page by opening it (an usulan's page marks its notices read).
NOT_SAVING = ('"django_session"', 'UPDATE "kampungkb_notification" SET "read_at"')


@pytest.fixture
def quiet_client():
    """Like ``client_for``, but a server error is answered (500) rather than raised, so the
    walk goes on and reports every failure at once."""

    def make(user):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client

    return make


def error(response):
    """The status, with the exception behind a 5xx."""
    exc = getattr(response, "exc_info", None)
    return f"{response.status_code} {exc[1]!r}" if exc else str(response.status_code)


def test_the_hostile_values_are_out_of_range():
    assert int(HOSTILE[0]) == 2**63 and MAX_ID == 2**63 - 1


# --- Which parameters a view reads ------------------------------------------------------
class Recorder:
    """Records every key looked up in a QueryDict (``request.GET`` / ``request.POST``)
    while active: what the view, its forms and filters and its templates read."""

    def __init__(self, monkeypatch):
        self.keys = set()
        for name in ("__getitem__", "get", "getlist", "__contains__"):
            original = getattr(QueryDict, name)
            monkeypatch.setattr(QueryDict, name, self._wrap(original))

    def _wrap(self, original):
        def recorded(qd, key, *args, **kwargs):
            if isinstance(key, str):
                self.keys.add(key)
            return original(qd, key, *args, **kwargs)

        return recorded

    def take(self):
        keys, self.keys = self.keys - IGNORED, set()
        return keys


def reachable(route, rule, world, quiet_client):
    """``(role, url, status)``: the first role (widest first) and URL the page answers with
    200 to a GET (or, for a POST-only action, does not refuse)."""
    variants = url_variants(route, rule, world)
    for role in ROLE_ORDER:
        client = quiet_client(world["users"][role])
        for url, _site in variants:
            response = client.get(url)
            status = response.status_code
            to_login = response.get("Location", "").startswith(("/masuk/", "/admin/login/"))
            if status == 200 or (status in (302, 405) and role != "anonymous" and not to_login):
                return role, url, status
    return None


# The autocomplete view answers only with its query: test_hostile_autocomplete.
PAGE_KEYS = [
    k
    for k, rule in CLASSIFICATION.items()
    if rule.access not in (DEBUG_MEDIA, ADMIN_CATCH_ALL) and k != "admin:autocomplete"
]


def test_hostile_parameters(request, quiet_client, monkeypatch):
    """Every page of the URL matrix, walked in one world (building it per page would take
    minutes); every failure is collected and reported together."""
    world = request.getfixturevalue("matrix_world")
    failures, seen = [], {}
    for key in PAGE_KEYS:
        failures += hostile_page(key, world, quiet_client, monkeypatch, seen)
    assert not failures, "\n".join(failures)
    # The walk itself: the parameters of the cases were found (not a vacuous pass).
    assert {"kecamatan", "page"} <= seen["villages:site-list"]
    assert "site" in seen["activities:queue"] and "page" in seen["reports:activities"]
    assert "agencies" in seen["activities:create"] and "sites" in seen["coordination:usulan-offer"]


def hostile_page(key, world, quiet_client, monkeypatch, seen):
    failures = []
    route = next(r for r in iter_routes() if r.key == key)
    rule = CLASSIFICATION[key]
    variants = url_variants(route, rule, world)

    # Path ids: each id of the pattern, the others left valid.
    url, _site = variants[0]
    client = quiet_client(world["users"]["dinas"])
    for name in PATH_ID.findall(route.route):
        valid = reverse_args(url)
        for value in HOSTILE:
            bad = "/" + fill(route.route, {**valid, name: value})
            # The URL resolver answers before any view, whatever the method: GET is enough.
            response = client.get(bad)
            if response.status_code != 404:
                failures.append(f"GET {bad}: {error(response)}")

    found = reachable(route, rule, world, quiet_client)
    if not found:
        return [*failures, f"no role of the cast reaches {key}"]
    role, url, status = found
    client = quiet_client(world["users"][role])
    recorder = Recorder(monkeypatch)
    get_keys = set()
    if status == 200:
        # A bound request (a filter form reads its fields only when something is sent).
        client.get(url + ("&" if "?" in url else "?") + "bounded=1")
        get_keys = recorder.take() - {"bounded"}
    with transaction.atomic():
        client.post(url, {})
        transaction.set_rollback(True)
    post_keys = recorder.take()
    monkeypatch.undo()
    seen[key] = get_keys | post_keys
    form_page = rule.access in FORM_ROLES or status == 200
    saves_by_itself = rule.access == LOGIN_ACTION or rule.access in ACTIVITY_ACTIONS

    sep = "&" if "?" in url else "?"
    for name in sorted(get_keys):
        for value in HOSTILE:
            where = f"{role} GET {url}{sep}{name}={value}"
            response = client.get(f"{url}{sep}{name}={value}")
            if response.status_code >= 500:
                failures.append(f"{where}: {error(response)}")
    check_saved = form_page and not saves_by_itself
    return failures + post_hostile(client, url, post_keys, check_saved, role)


def post_hostile(client, url, names, check_saved, who):
    """POST every field at once with each hostile value: a form cleans each of its fields
    whatever the others hold, so a 5xx from any of them shows; after a failure, each field
    alone names the culprit. A refused form saves nothing."""
    failures = []
    for value in HOSTILE:
        if not names or not post_once(client, url, dict.fromkeys(names, value), check_saved):
            continue
        culprits = [
            f"{who} POST {url} {name}={value}: {failure}"
            for name in sorted(names)
            if (failure := post_once(client, url, {name: value}, check_saved))
        ]
        failures += culprits or [f"{who} POST {url} all fields={value}"]
    return failures


def post_once(client, url, data, check_saved):
    """What went wrong (a 5xx, a row written), or None."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
        transaction.set_rollback(True)
    if response.status_code >= 500:
        return error(response)
    written = [
        sql
        for sql in (q["sql"] for q in queries)
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and not any(allowed in sql for allowed in NOT_SAVING)
    ]
    return f"saved: {written[0][:120]}" if check_saved and written else None


def reverse_args(url):
    """The kwargs of ``url``, as text."""
    return {k: str(v) for k, v in resolve(url.split("?")[0]).kwargs.items()}


def fill(route, kwargs):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs[m[1]], route)


# --- The admin ------------------------------------------------------------------------
ADMIN_ROLES = ["dinas", "opd_x"]


def changelist_parameters(model, user):
    """Each list filter's parameters (``site__id__exact``...), the date hierarchy's and the
    page ``p``."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    if not model_admin.has_view_or_change_permission(request):
        return None
    changelist = model_admin.get_changelist_instance(request)
    params = {PAGE_VAR}
    for spec in changelist.filter_specs:
        params.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        params.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return params


def form_fields(model, user, obj):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    return set(model_admin.get_form(request, obj).base_fields)


def test_hostile_admin_parameters(request, quiet_client):
    """Every changelist (its list filters' parameters, the page ``p``) and every add and
    change form (each field posted alone), as the Dinas and an OPD coordinator."""
    world = request.getfixturevalue("matrix_world")
    failures = []
    for model in ADMIN_MODELS:
        for role in ADMIN_ROLES:
            failures += hostile_admin(model, world["users"][role], role, world, quiet_client)
    assert not failures, "\n".join(failures)


def hostile_admin(model, user, role, world, quiet_client):
    failures = []
    client = quiet_client(user)
    params = changelist_parameters(model, user)
    if params is None:
        return []
    url = admin_url(model, "changelist", None)
    for name in sorted(params):
        # 9999: the date hierarchy's year then ends in year 10000.
        for value in HOSTILE + (["9999"] if name.endswith("__year") else []):
            response = client.get(f"{url}?{name}={value}")
            if response.status_code >= 500:
                failures.append(f"{role} GET {url}?{name}={value}: {error(response)}")
    objs = admin_objects(model, world)[:1]
    for view, obj in [("add", None)] + [("change", o) for o in objs]:
        url = admin_url(model, view, obj)
        if client.get(url).status_code == 200:
            failures += post_hostile(client, url, form_fields(model, user, obj), True, role)
    return failures


def test_hostile_autocomplete(request, quiet_client):
    """The admin's select2 popups (every autocomplete field of every ModelAdmin): each
    parameter of the popup's query, hostile, is refused, never a 5xx."""
    world = request.getfixturevalue("matrix_world")
    failures = []
    for role in ADMIN_ROLES:
        client = quiet_client(world["users"][role])
        tried = False
        for model in ADMIN_MODELS:
            opts = model._meta
            for field in admin.site._registry[model].autocomplete_fields:
                query = {
                    "app_label": opts.app_label,
                    "model_name": opts.model_name,
                    "field_name": field,
                    "term": "a",
                    "page": "1",
                }
                # Which model and field are asked for: tried once (the first field).
                names = ("page", "term") if tried else query
                tried = True
                for name, value in itertools.product(names, HOSTILE):
                    url = "/admin/autocomplete/?" + urlencode({**query, name: value})
                    response = client.get(url)
                    if response.status_code >= 500:
                        failures.append(f"{role} GET {url}: {error(response)}")
    assert not failures, "\n".join(failures)


# --- The cases the issue found, and what the user reads -----------------------------------
BIG = str(MAX_ID + 1)
NOT_A_CHOICE = f"Masukkan pilihan yang valid. {BIG} bukan salah satu dari pilihan"


def test_parse_id():
    assert [parse_id(v) for v in ("1", str(MAX_ID), 7)] == [1, MAX_ID, 7]
    for value in (BIG, str(10**20), "-1", "0", "abc", "", None, " 1", "1.0", True):
        assert parse_id(value) is None, value


def test_a_path_id_beyond_the_bigint_range_is_not_found(dinas, site_a, client_for):
    client = client_for(dinas)
    assert client.get(f"/kampung/{site_a.pk}/").status_code == 200
    assert client.get(f"/kampung/{MAX_ID}/").status_code == 404  # in range, no such site
    assert client.get(f"/kampung/{BIG}/").status_code == 404
    assert client.get(f"/kegiatan/{'9' * 25}/ubah/").status_code == 404


def test_activity_form_refuses_an_agency_id_beyond_the_range(pokja_a, site_a, client_for):
    response = client_for(pokja_a).post(
        f"/kegiatan/baru/?site={site_a.pk}", {"site": site_a.pk, "agencies": BIG}
    )
    assert response.status_code == 200
    assert NOT_A_CHOICE in response.content.decode()
    assert not Activity.objects.exists()


def test_usulan_offer_refuses_a_site_id_beyond_the_range(opd_x, opd_x_agency, site_a, client_for):
    response = client_for(opd_x).post(
        "/usulan/tawarkan/", {"opd": opd_x_agency.pk, "sites": [site_a.pk, BIG], "title": "X"}
    )
    assert response.status_code == 200
    assert NOT_A_CHOICE in response.content.decode()
    assert not Usulan.objects.exists()


def test_admin_opd_program_refuses_a_site_id_beyond_the_range(
    opd_x, opd_x_agency, site_a, client_for
):
    response = client_for(opd_x).post(
        "/admin/activities/opdprogram/add/",
        {"opd": opd_x_agency.pk, "title": "Program", "sites": [BIG]},
    )
    assert response.status_code == 200
    # The autocomplete widget shows the form again without the id no row can have.
    assert NOT_A_CHOICE in response.content.decode()
    assert not OPDProgram.objects.exists()


def test_hand_parsed_filters_ignore_an_id_beyond_the_range(dinas, site_a, client_for):
    client = client_for(dinas)
    # The site list: a kecamatan no row can have is refused as a choice, the page still
    # lists (nothing) rather than failing.
    response = client.get(f"/kampung/?kecamatan={BIG}")
    assert response.status_code == 200
    assert "Masukkan pilihan yang valid" in response.content.decode()
    # The queue: an unusable ?site= narrows nothing, like ?site=abc.
    assert client.get(f"/kegiatan/antrean/?site={BIG}").status_code == 200


def test_report_page_beyond_any_offset_is_not_found_like_an_empty_page(dinas, client_for):
    client = client_for(dinas)
    assert client.get("/laporan/kegiatan/?page=999").status_code == 404
    assert client.get(f"/laporan/kegiatan/?page={BIG}").status_code == 404
    assert client.get(f"/laporan/kegiatan/?page={MAX_ID}").status_code == 404


def test_table_page_size_from_the_url_stays_bounded(dinas, site_a, client_for):
    f.ActivityFactory.create_batch(3, site=site_a)
    client = client_for(dinas)
    assert client.get("/kegiatan/?per_page=-1").status_code == 200
    assert client.get("/kampung/?per_page=-1").status_code == 200
    paginator = TablePaginator(range(1000), 10**6)
    assert paginator.per_page == MAX_PER_PAGE and paginator.num_pages == 10


def test_integer_inputs_are_refused_beyond_their_column(pokja_a, site_a, client_for):
    """A PositiveIntegerField holds 2^31-1 on PostgreSQL: the form refuses 2^31 on every
    database, with Django's translated message, before the database does."""
    response = client_for(pokja_a).post(
        f"/kampung/{site_a.pk}/kkbpk/baru/", {"period": "2024-03", "kb_iud": str(2**31)}
    )
    assert response.status_code == 200
    assert "Pastikan nilai ini lebih kecil dari atau sama dengan 2147483647" in (
        response.content.decode()
    )
    assert not KKBPKSnapshot.objects.exists()


def test_admin_date_hierarchy_refuses_a_year_no_date_can_have(dinas, client_for):
    """Django turns ?date__year= into a datetime outside its own guard: 2^63 and 9999 (its
    year ends in year 10000) failed with a 500; now a bad filter, the list without it."""
    client = client_for(dinas)
    for year in (BIG, "9999"):
        response = client.get(f"/admin/activities/activity/?date__year={year}")
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), year
    assert client.get("/admin/activities/activity/?date__year=2024").status_code == 200
