"""Base settings, read from the environment with development defaults.

Every value a deployment changes comes from an environment variable (see README,
"Configuration"). Without any, the portal runs on a SQLite file in the project root.
"""

import datetime
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(str(BASE_DIR / ".env"))

# Development-only default; production.py refuses to start without a real one.
SECRET_KEY = env(
    "SECRET_KEY",
    default="dev-only-kampungkb-7f3c9a1e5b2d48c6a0e4f8b1d3c5e7a9-not-for-production",
)
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "kampungkb",
    "villages",
    "activities",
    "reports",
    "jobs",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",  # login throttling
    "csp",  # Content-Security-Policy header
    "simple_history",  # stays last: kampungkb.roles syncs groups after the last app migrated
]


MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above the session/CSRF/message middleware: sees the cookies they set.
    "kampungkb.middleware.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kampungkb.middleware.SlidingSessionMiddleware",
    "kampungkb.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Fails closed: a view without @login_not_required needs a logged-in user.
    "kampungkb.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a lockout flagged by the axes backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kampungkb.urls"
WSGI_APPLICATION = "kampungkb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kampungkb.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    # Absolute path: a relative sqlite URL would depend on the working directory.
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: the portal's queries are short; at 83,000 sites PostgreSQL's JIT spent 1.8 s
    # compiling a dashboard query that runs in 0.6 s without it (bench figures, README).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (options.get("options", "") + " -c jit=off").strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "kampungkb.User"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): 5 failures for one username from one IP address lock that
# combination for 15 minutes (another IP, or the same IP with another name, is not blocked,
# so an attacker cannot lock a colleague out from elsewhere). The Dinas unlocks early by
# deleting the attempt in the admin (Axes → Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "kampungkb.security.client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False  # no start-up banner; lockouts are still logged as warnings
# production.py sets this behind nginx: the client address is then taken from the proxy.
BEHIND_REVERSE_PROXY = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"

# Sessions end after two hours without activity (shared office computers): the expiry is
# pushed forward by kampungkb.middleware.SlidingSessionMiddleware, at most every 5 minutes
# (SESSION_SAVE_EVERY_REQUEST would write the session row on every page view).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=5 * 60)
SESSION_SAVE_EVERY_REQUEST = False

# --- Language, time zone and formats ---------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True
# Django's own "id" formats show d-m-Y and also accept US m/d/Y; ours show and accept
# d/m/Y (and ISO) only, so "03/25/2025" is refused instead of read as 25 March.
FORMAT_MODULE_PATH = ["kampungkb.formats"]

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Activity photo evidence lives outside MEDIA_ROOT: neither the development /media/ route
# nor a web server publishing MEDIA_ROOT can reach it; scoped views serve it.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private_media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: photos are downscaled in the browser; the server still caps every request.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # larger images are refused as decompression bombs
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_PERMISSIONS = 0o644

# --- Forms, tables, mail ---------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Portal Kampung KB <noreply@localhost>")
# The portal's public address, for links in notification e-mails.
PORTAL_URL = env("PORTAL_URL", default="http://127.0.0.1:8000")

# --- Security defaults that also hold in development -----------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp 4): scripts and styles only from this server, no inline
# code or style attributes anywhere (templates follow rule 7 of the brief); images may be
# data: URIs because Bootstrap's CSS draws its icons (select arrow, close button) that way.
# Maps are vector-only by default (the kelurahan boundaries are the map: no internet
# needed). An installation with a tile server sets its URL template, e.g.
# https://tiles.example.go.id/{z}/{x}/{y}.png, and the attribution its licence requires;
# the tile server's origin is then allowed as an image source.
MAP_TILE_URL = env("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="")
_MAP_TILE_ORIGIN = (
    # Leaflet's {s} subdomains (a., b., c.) become a CSP wildcard.
    "{0.scheme}://{0.netloc}".format(urlsplit(MAP_TILE_URL.replace("{s}", "*")))
    if MAP_TILE_URL
    else None
)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"] + ([_MAP_TILE_ORIGIN] if _MAP_TILE_ORIGIN else []),
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# The portal's own name and the city it serves (page titles, printed report headers);
# bounding boxes and regions are per city in the database (villages.Kota), not here.
PORTAL_NAME = "Portal Kampung KB"
PORTAL_CITY = "Kota Tangerang Selatan"

# Sites report monthly from this month on (or from their declaration, when later): the
# reporting cadence, the sustainability timeline and the monthly quality rows start here
# (no site owes reports from before the portal existed).
REPORTING_SINCE = datetime.date.fromisoformat(env("REPORTING_SINCE", default="2024-01-01"))

# --- Background jobs (Celery) ---------------------------------------------------------
# The broker, e.g. redis://127.0.0.1:6379/0. Empty (development, tests): every task runs
# eagerly inside the process that sends it, so `make run` and `make test` need no broker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# The queue the portal sends to and its workers consume: another name lets two portals
# (or a test's own worker) share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="kampungkb")
CELERY_TASK_EAGER_PROPAGATES = True  # an eager task's error reaches the caller (and tests)
# What a user sees of a job is the portal's own jobs.Job row (owner, scope, progress,
# result file); Celery's result backend is not used.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = None  # no result backend: no backend_cleanup task in beat
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged when it ends, not when it starts: a worker killed in the middle
# (deploy, OOM) leaves it to be delivered again, and every task is written to be rerun
# from the start. One task at a time per process: a long job does not hold others back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds: longer than the
# longest task (a national export), or it would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=4 * 60 * 60),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Sending a task while the broker is down fails within about a second (the request then
# goes on without it, see kampungkb.background), instead of blocking a web worker.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    # The current month's quality rows and their per-city summary (what
    # `recompute_quality --month <this month>` does); also catches up on any recompute
    # that could not be queued while the broker was down.
    "recompute-this-month": {
        "task": "reports.tasks.recompute_this_month",
        "schedule": crontab(hour=1, minute=15),
    },
    # Missing monthly reports (on the 1st and 3rd), SK Pokja about to expire, overdue
    # usulan: each reminder once per recipient and event (activities.reminders).
    "send-reminders": {
        "task": "kampungkb.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # Job result files (exports) are kept JOB_RESULT_DAYS days.
    "delete-old-job-results": {
        "task": "jobs.tasks.delete_old_results",
        "schedule": crontab(hour=2, minute=30),
    },
}
JOB_RESULT_DAYS = 7
# A download (report CSV/XLSX) of more rows than this becomes an export job: the file is
# written by a worker to private storage and its owner notified; smaller ones stream.
EXPORT_JOB_THRESHOLD_ROWS = env.int("EXPORT_JOB_THRESHOLD_ROWS", default=20_000)
# Export jobs on a queue of their own (a worker started with `-Q <name>`), so a national
# export never holds back the e-mails and recomputes; unset: the default queue.
if CELERY_EXPORT_QUEUE := env("CELERY_EXPORT_QUEUE", default=""):
    CELERY_TASK_ROUTES = {"reports.tasks.export_job": {"queue": CELERY_EXPORT_QUEUE}}
