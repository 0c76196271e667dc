"""Login throttling, sessions and cookies, CSRF on every POST, password rules, headers."""

import datetime
import json
import os
import subprocess
import sys
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kampungkb.settings.base import BASE_DIR

from . import factories as f
from .url_classes import CLASSIFICATION, DEBUG_MEDIA, OBJECT_KINDS

pytestmark = pytest.mark.django_db

LOGIN = "/masuk/"
LOCKED = "Masuk dikunci sementara"


def attempt_login(username, password, ip="10.1.1.1"):
    client = Client(REMOTE_ADDR=ip)
    return client, client.post(LOGIN, {"username": username, "password": password})


# --- Login throttling (django-axes) ------------------------------------------------------
def test_five_failures_lock_that_user_from_that_address_for_15_minutes(pokja_a):
    for _ in range(4):
        _, response = attempt_login("t_pokja_a", "salah")
        assert response.status_code == 200  # the form again, with its error
        assert LOCKED not in response.content.decode()
    _, response = attempt_login("t_pokja_a", "salah")
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED in body
    assert "dikunci selama 15 menit" in body
    # Even the right password is refused now, from that address...
    _, response = attempt_login("t_pokja_a", f.PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in _.session
    # ...but not from another address, nor for another user from the same address.
    _, response = attempt_login("t_pokja_a", f.PASSWORD, ip="10.2.2.2")
    assert response.status_code == 302
    f.UserFactory(username="t_other")
    _, response = attempt_login("t_other", f.PASSWORD)
    assert response.status_code == 302


def test_the_lock_ends_after_15_minutes(pokja_a):
    for _ in range(5):
        attempt_login("t_pokja_a", "salah")
    attempts = AccessAttempt.objects.filter(username="t_pokja_a", ip_address="10.1.1.1")
    assert attempts.get().failures_since_start == 5
    attempts.update(attempt_time=timezone.now() - datetime.timedelta(minutes=14))
    assert attempt_login("t_pokja_a", f.PASSWORD)[1].status_code == 429
    attempts.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert attempt_login("t_pokja_a", f.PASSWORD)[1].status_code == 302


def test_dinas_unlocks_an_account_in_the_admin(pokja_a, dinas, client_for):
    for _ in range(5):
        attempt_login("t_pokja_a", "salah")
    attempt = AccessAttempt.objects.get(username="t_pokja_a")
    staff = client_for(dinas)
    changelist = staff.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    assert "t_pokja_a" in changelist.content.decode()
    response = staff.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt_login("t_pokja_a", f.PASSWORD)[1].status_code == 302


def test_opd_coordinators_cannot_see_or_clear_lockouts(pokja_a, opd_x, client_for):
    for _ in range(5):
        attempt_login("t_pokja_a", "salah")
    attempt = AccessAttempt.objects.get()
    client = client_for(opd_x)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.exists()


def test_a_successful_login_resets_the_failure_count(pokja_a):
    for _ in range(4):
        attempt_login("t_pokja_a", "salah")
    assert attempt_login("t_pokja_a", f.PASSWORD)[1].status_code == 302
    for _ in range(4):
        assert attempt_login("t_pokja_a", "salah")[1].status_code == 200
    assert attempt_login("t_pokja_a", f.PASSWORD)[1].status_code == 302


def test_the_admin_login_is_throttled_too(dinas):
    client = Client(REMOTE_ADDR="10.3.3.3")
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "t_dinas", "password": "salah"})
    response = client.post(reverse("admin:login"), {"username": "t_dinas", "password": f.PASSWORD})
    assert response.status_code == 429


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(settings, rf):
    from kampungkb.security import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.9.9.9", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "127.0.0.1"
    settings.BEHIND_REVERSE_PROXY = True
    # The first entry is whatever the client claimed; the last is what nginx saw.
    assert client_ip(request) == "10.9.9.9"


# --- Sessions and cookies ---------------------------------------------------------------
def test_session_ends_after_two_hours_without_activity(pokja_a, settings):
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    client = Client()
    assert client.post(LOGIN, {"username": "t_pokja_a", "password": f.PASSWORD}).status_code == 302
    start = timezone.now()

    def at(minutes):
        return mock.patch(
            "django.utils.timezone.now", return_value=start + datetime.timedelta(minutes=minutes)
        )

    # Active every 100 minutes: each request pushes the end of the session forward.
    for minutes in (100, 200, 300):
        with at(minutes):
            assert client.get("/dasbor/").status_code == 200
    session = Session.objects.get()
    expected_end = start + datetime.timedelta(minutes=300 + 120)
    assert abs((session.expire_date - expected_end).total_seconds()) < 60
    # 121 minutes of silence: the session is over and the user must log in again.
    with at(300 + 121):
        response = client.get("/dasbor/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_session_row_is_written_at_most_every_five_minutes(pokja_a, settings):
    """Page views in quick succession do not each write the session (a write and commit
    per request under load); the expiry still slides once the refresh interval passes."""
    assert settings.SESSION_REFRESH_SECONDS == 300
    client = Client()
    client.post(LOGIN, {"username": "t_pokja_a", "password": f.PASSWORD})
    start = timezone.now()

    def at(minutes):
        return mock.patch(
            "django.utils.timezone.now", return_value=start + datetime.timedelta(minutes=minutes)
        )

    with at(1):
        client.get("/dasbor/")  # the login wrote the session a minute ago: no write now
    first_end = Session.objects.get().expire_date
    assert abs((first_end - start - datetime.timedelta(minutes=120)).total_seconds()) < 5
    with at(4), CaptureQueriesContext(connection) as ctx:
        assert client.get("/dasbor/").status_code == 200
    assert not [
        q for q in ctx.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]
    ]
    assert Session.objects.get().expire_date == first_end
    with at(7):
        client.get("/dasbor/")
    assert abs((Session.objects.get().expire_date - first_end).total_seconds() - 7 * 60) < 5


def test_an_anonymous_visitor_gets_no_session_row(db):
    Client().get("/")
    Client().get("/masuk/")
    assert not Session.objects.exists()


def test_session_cookie_is_httponly(pokja_a):
    response = Client().post(LOGIN, {"username": "t_pokja_a", "password": f.PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_cookies_are_secure_and_httponly():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SESSION_REFRESH_SECONDS', "
        "'SESSION_COOKIE_AGE', 'DEBUG')}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="kampungkb.settings.production",
        SECRET_KEY="x7!Qk2#pL9vZ$w4rT8&yB1nM6^cF3hJ5@dG0sK-eU+aI*oP_lX",
        ALLOWED_HOSTS="kampungkb.example.go.id",
        DATABASE_URL="postgres://kkb@db/kampungkb",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    values = json.loads(result.stdout)
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_REFRESH_SECONDS": 300,
        "SESSION_COOKIE_AGE": 7200,
        "DEBUG": False,
    }


# --- CSRF on every POST ------------------------------------------------------------------
def csrf_targets(world_objects):
    """Every classified page (site URLs filled with site A) and every admin add/change."""
    from .test_url_matrix import iter_routes

    urls = []
    for route in iter_routes():
        rule = CLASSIFICATION.get(route.key)
        if rule is None or rule.access == DEBUG_MEDIA or not route.name:
            continue
        kwargs = {}
        for name, kind in rule.kwargs.items():
            if kind == "app_label":
                kwargs[name] = "villages"
            elif kind == "site_content_type":
                kwargs[name] = 1
            elif kind == "fmt":
                kwargs[name] = "csv"
            elif kind == "import_kind":
                kwargs[name] = "activities"
            elif kind in OBJECT_KINDS and OBJECT_KINDS[kind][0] in world_objects:
                kwargs[name] = world_objects[OBJECT_KINDS[kind][0]].pk
            else:
                # Activities, usulan, imports...: the CSRF check comes before any lookup,
                # so the URL only has to resolve.
                kwargs[name] = 1
        urls.append(reverse(route.name, kwargs=kwargs))
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        obj = model._base_manager.first()
        if obj is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    return urls


def test_every_post_without_a_csrf_token_is_refused(dinas, site_a, pokja_a):
    urls = csrf_targets({"site_a": site_a, "user_pokja_a": pokja_a})
    assert len(urls) > 40
    client = Client(enforce_csrf_checks=True)
    client.force_login(dinas)
    anonymous = Client(enforce_csrf_checks=True)
    for url in urls:
        for who in (client, anonymous):
            response = who.post(url, {"name": "x"})
            if response.status_code == 302 and who is anonymous:
                continue  # sent to the login page before anything is processed
            assert response.status_code == 403, f"{url}: {response.status_code}"
            assert "Formulir sudah kedaluwarsa" in response.content.decode(), url


def test_login_post_without_token_is_refused_and_with_token_works(pokja_a):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "t_pokja_a", "password": f.PASSWORD}
    assert client.post(LOGIN, data).status_code == 403
    client.get(LOGIN)  # sets the CSRF cookie, as a browser would
    token = client.cookies["csrftoken"].value
    response = client.post(LOGIN, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- Passwords ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("12345678", "Kata sandi ini terlalu umum."),
        ("83920175", "Kata sandi ini seluruhnya terdiri dari angka."),
        ("Ab1!x", "Kata sandi terlalu pendek"),
        ("t_pokja_a1", "Kata sandi terlalu mirip"),
    ],
)
def test_weak_passwords_are_refused(pokja_a, client_for, new_password, message):
    response = client_for(pokja_a).post(
        reverse("password_change"),
        {"old_password": f.PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    pokja_a.refresh_from_db()
    assert pokja_a.check_password(f.PASSWORD)


# --- Headers ---------------------------------------------------------------------------
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@pytest.mark.parametrize("path", ["/", LOGIN, "/dasbor/", "/admin/", "/tidak-ada/"])
def test_security_headers_on_every_kind_of_page(path, client_for, dinas):
    response = client_for(dinas).get(path)
    csp = response["Content-Security-Policy"]
    assert sorted(csp.split("; ")) == sorted(EXPECTED_CSP.split("; "))
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "target", ["https://penipu.example/", "//penipu.example/", "/\\penipu.example"]
)
def test_login_and_language_switch_never_redirect_off_site(pokja_a, target):
    response = Client().post(
        f"{LOGIN}?next={target}", {"username": "t_pokja_a", "password": f.PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dasbor/"
    response = Client().post(reverse("set_language"), {"language": "en", "next": target})
    assert "penipu" not in response["Location"]
