"""``/healthz`` for the load balancer: is this process able to serve pages?

Checks the database, the shared cache (when it is not the per-process locmem cache) and
the task broker (when ``CELERY_BROKER_URL`` is set). The answer names each check with
"ok" or "error" and nothing else: no exception text (a driver's message may carry a host,
a user name or a password), no personal data. Failures are logged with their traceback
for the operator.

The view touches no session and sets no cookie, so probing it every few seconds creates
no session rows; it runs outside ``ATOMIC_REQUESTS`` so a database that is down gives 503
from the check instead of a 500 from opening the request's transaction.
"""

import logging
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2  # seconds: a load balancer's probe must not hang on a dead broker


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 returned something else")


def check_cache():
    key = f"healthz:{secrets.token_hex(8)}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return the value just stored")
    finally:
        cache.delete(key)


def check_broker():
    import kombu  # Celery's transport; only needed when a broker is configured

    with kombu.Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT,
        transport_options={"socket_timeout": BROKER_TIMEOUT},
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)  # no retry


def enabled_checks():
    checks = {"database": check_database}
    backend = settings.CACHES["default"]["BACKEND"]
    # locmem and dummy live inside this process: nothing outside it can fail.
    if not backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        checks["cache"] = check_cache
    if getattr(settings, "CELERY_BROKER_URL", ""):
        checks["broker"] = check_broker
    return checks


@login_not_required
@transaction.non_atomic_requests
@require_safe
def healthz(request):
    results = {}
    for name, check in enabled_checks().items():
        try:
            check()
        except Exception:
            logger.exception("health check %s failed", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    healthy = all(value == "ok" for value in results.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results},
        status=200 if healthy else 503,
    )
    # A cached "ok" would hide an outage.
    response["Cache-Control"] = "no-store"
    return response
