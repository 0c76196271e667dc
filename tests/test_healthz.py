"""/healthz for the load balancer (kampungkb/health.py) and HEAD on the landing page."""

import json
import time

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from kampungkb.models import User

pytestmark = pytest.mark.django_db

URL = reverse("healthz")


def test_healthy_answers_200_with_the_checks_and_nothing_else():
    response = Client().get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok", "checks": {"database": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_a_probe_creates_no_session_and_reads_none(client_for, pokja_a, django_assert_num_queries):
    client = client_for(pokja_a)  # even a probe that sends a session cookie
    with django_assert_num_queries(1):  # SELECT 1, not the session table
        response = client.get(URL)
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    response = Client().get(URL)
    assert not response.cookies


def test_head_answers_like_get_without_a_body():
    response = Client().head(URL)
    assert response.status_code == 200
    assert response.content == b""


def test_post_is_refused():
    assert Client().post(URL).status_code == 405


def test_a_failing_database_gives_503_naming_it_without_the_error_text(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to "db.internal" failed: password=hunter2')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = Client().get(URL)
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "checks": {"database": "error"}}
    assert b"hunter2" not in response.content and b"db.internal" not in response.content
    # The operator finds the cause in the log.
    assert "hunter2" in caplog.text


def test_a_shared_cache_is_checked(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    response = Client().get(URL)
    assert response.status_code == 200
    assert json.loads(response.content)["checks"] == {"database": "ok", "cache": "ok"}


def test_a_failing_cache_gives_503(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(blocker),  # cannot be created: every write fails
        }
    }
    response = Client().get(URL)
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error",
        "checks": {"database": "ok", "cache": "error"},
    }


def test_an_unreachable_redis_cache_gives_503(settings):
    pytest.importorskip("redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = Client().get(URL)
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["cache"] == "error"


def test_the_broker_is_checked_only_when_configured(settings):
    settings.CELERY_BROKER_URL = ""
    assert "broker" not in json.loads(Client().get(URL).content)["checks"]


def test_an_unreachable_broker_gives_503_within_the_timeout(settings):
    pytest.importorskip("kombu")
    settings.CELERY_BROKER_URL = "amqp://portal:secret-pw@127.0.0.1:1//"
    started = time.monotonic()
    response = Client().get(URL)
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert json.loads(response.content)["checks"] == {"database": "ok", "broker": "error"}
    assert b"secret-pw" not in response.content


def test_the_landing_page_answers_head_like_get_without_a_body():
    get = Client().get(reverse("landing"))
    head = Client().head(reverse("landing"))
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]


def test_a_probe_leaves_no_user_or_session_behind():
    Client().get(URL)
    assert not User.objects.exists()
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists()
