"""Locust users for bench/loadtest.py (run headless by it; see README, "Load test").

* PokjaUser (50): logs in through the login form, then opens their dashboard and their
  own site page, and submits activities: GET the phone form (/kegiatan/baru/), POST it
  with every required field, one small JPEG photo (about 30 KB, made once with Pillow) and
  a fresh ``client_token``, with the "Save and submit" button (``action=submit``: the
  activity goes to the Dinas, not only saved as a draft), then open the activity page the
  server redirects to. 1–3 s of thinking between pages (a phone user).
* DinasUser (10): logs in, then browses the dashboard, the site list (filtered by
  kecamatan, paged), site pages, the comparison of 2–6 random sites (/laporan/perbandingan/)
  and the classification download (CSV or XLSX).

Each simulated user takes its own account from BENCH_USERS (a JSON file written by
loadtest.py). Requests are grouped by page (``name=``), so the table shows one row per
page, not per site.

A failure is any unexpected status, a redirect to the login page, a form re-rendered with
errors (the failure text quotes the first error message), a comparison without a result or
a download of the wrong type. Every activity the server acknowledges (302 to its page) is
appended to BENCH_ACK_FILE, one id a line (a single ``O_APPEND`` write, so several Locust
processes can share the file); loadtest.py then looks those ids up in the database (see
``stored_count`` there).
"""

import csv
import html
import io
import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, events, task
from locust.runners import WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
from PIL import Image, ImageDraw, ImageFilter

CONFIG = json.load(open(os.environ["BENCH_USERS"]))  # noqa: SIM115
PASSWORD = CONFIG["password"]
POKJA = [u for u in CONFIG["users"] if u["role"] == "pokja"]
DINAS = [u for u in CONFIG["users"] if u["role"] == "dinas"]
_next_pokja, _next_dinas = itertools.count(), itertools.count()
ACK_FILE = os.environ.get("BENCH_ACK_FILE")
FINAL_CSV = os.environ.get("BENCH_FINAL_CSV")  # prefix: <prefix>_stats.csv, _failures.csv
REQUEST_LOG = os.environ.get("BENCH_REQUEST_LOG")  # one line per request, for loadtest.py
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?')
DATE_RE = re.compile(r'<input type="date" name="date" value="([0-9-]+)"')
ACTIVITY_URL_RE = re.compile(r"/kegiatan/(\d+)/$")
# Form errors as the templates render them: field errors, then the form-level alert.
ERROR_RES = (
    re.compile(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</(?:div|span|p)>', re.S),
    re.compile(r'class="alert alert-danger"[^>]*>(.*?)</div>', re.S),
)
CATEGORIES = ["keagamaan", "sosial_budaya", "cinta_kasih", "perlindungan", "reproduksi"]
CATEGORIES += ["pendidikan", "ekonomi", "lingkungan"]
TITLES = ["Penyuluhan KB", "Posyandu balita", "Senam lansia", "Kelas BKR", "Kerja bakti"]
EXPORT_TYPES = {"csv": "text/csv", "xlsx": "spreadsheetml"}


def make_photo(width=1024, height=768, seed=6) -> bytes:
    """A small JPEG (about 30 KB) that looks like a photo to Pillow: a gradient, shapes and
    a little noise (a flat image would compress to almost nothing)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=(80 + y * 100 // height, 140, 200 - y * 120 // height))
    for _ in range(40):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randint(10, 80)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in "rgb"))
    img = img.filter(ImageFilter.GaussianBlur(1))
    img = Image.blend(img, Image.effect_noise((width, height), 12).convert("RGB"), 0.08)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70)
    return buf.getvalue()


PHOTO = make_photo()


def first_error(text):
    """The first form error message on a page, as plain text (``None``: no error)."""
    for pattern in ERROR_RES:
        match = pattern.search(text)
        if match:
            message = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))
            return " ".join(message.split())[:200] or "(empty error message)"
    return None


def acknowledge(activity_id):
    """Append one id to BENCH_ACK_FILE in a single write (atomic with O_APPEND)."""
    if not ACK_FILE:
        return
    fd = os.open(ACK_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{activity_id}\n".encode())
    finally:
        os.close(fd)


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    account: dict

    def login(self):
        page = self.client.get("/masuk/", name="/masuk/ (form)")
        token = CSRF_RE.search(page.text).group(1)
        with self.client.post(
            "/masuk/",
            {
                "username": self.account["username"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            name="/masuk/ (login)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or not response.headers["Location"].endswith("/dasbor/"):
                response.failure(f"login refused: {response.status_code}")

    def page(self, url, name, *, expect=None, content_type=None):
        """GET a page; a failure unless it is a 200 (not the login page) without form
        errors, containing ``expect`` / of ``content_type`` when given. Returns the
        response when it succeeded, else ``None``."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or "/masuk/" in response.url:
                response.failure(f"{response.status_code} at {response.url}")
                return None
            if content_type is not None:
                if content_type not in response.headers.get("Content-Type", ""):
                    response.failure(
                        f"not a {content_type}: {response.headers.get('Content-Type')}"
                    )
                    return None
                if not response.content:
                    response.failure("empty download")
                    return None
                return response
            error = first_error(response.text)
            if error:
                response.failure(f"form error: {error}")
                return None
            if expect is not None and expect not in response.text:
                response.failure(f"{expect!r} not on the page")
                return None
            return response


class PokjaUser(PortalUser):
    fixed_count = len(POKJA)

    def on_start(self):
        self.account = POKJA[next(_next_pokja) % len(POKJA)]
        self.login()

    @task(2)
    def dashboard(self):
        self.page("/dasbor/", "/dasbor/ (pokja)")

    @task(2)
    def own_site(self):
        self.page(f"/kampung/{self.account['site']}/", "/kampung/[id]/ (pokja)")

    @task(1)
    def submit_activity(self):
        form = self.page("/kegiatan/baru/", "/kegiatan/baru/ (form)", expect='name="site"')
        if form is None:
            return
        data = {name: html.unescape(value or "") for name, value in HIDDEN_RE.findall(form.text)}
        date = DATE_RE.search(form.text)
        data.update(
            client_token=str(uuid.uuid4()),  # a new activity: a new idempotency key
            title=f"{random.choice(TITLES)} {random.randint(1, 999)}",
            date=date.group(1) if date else "",
            start_time="09:00",
            category=random.choice(CATEGORIES),
            participants_male=str(random.randint(0, 15)),
            participants_female=str(random.randint(1, 25)),
            origin="pokja",
            poktan="",
            place="Balai warga",
            description="Uji beban: kegiatan dengan satu foto.",
            **{"photo-0-kind": "activity", "photo-0-caption": ""},
            action="submit",  # "Save and submit", not "Save as draft"
        )
        files = {"photo-0-image": ("kegiatan.jpg", PHOTO, "image/jpeg")}
        with self.client.post(
            "/kegiatan/baru/",
            data=data,
            files=files,
            name="/kegiatan/baru/ (submit)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            found = ACTIVITY_URL_RE.search(location)
            if response.status_code != 302 or not found:
                error = first_error(response.text) if response.status_code == 200 else None
                response.failure(
                    f"not saved ({response.status_code}): {error}"
                    if error
                    else f"not saved: {response.status_code} {location or response.url}"
                )
                return
            activity_id = int(found.group(1))
            acknowledge(activity_id)
        self.page(f"/kegiatan/{activity_id}/", "/kegiatan/[id]/ (after submit)")


class DinasUser(PortalUser):
    fixed_count = len(DINAS)

    def on_start(self):
        self.account = DINAS[next(_next_dinas) % len(DINAS)]
        self.login()

    @task(2)
    def dashboard(self):
        self.page("/dasbor/", "/dasbor/ (dinas)")

    @task(3)
    def site_list(self):
        query = random.choice(["", "?page=2", "?is_active=true", "?sort=name"])
        self.page(f"/kampung/{query}", "/kampung/ (dinas)")

    @task(3)
    def site_page(self):
        self.page(f"/kampung/{random.choice(CONFIG['sites'])}/", "/kampung/[id]/ (dinas)")

    @task(2)
    def comparison(self):
        sites = random.sample(CONFIG["sites"], random.randint(2, 6))
        query = "&".join(f"kampung={pk}" for pk in sites)
        # The result (with its download buttons) shows only for a valid choice with data.
        self.page(
            f"/laporan/perbandingan/?mode=kampung&{query}",
            "/laporan/perbandingan/ (dinas)",
            expect="/laporan/perbandingan/unduh.",
        )

    @task(1)
    def classification_export(self):
        fmt = random.choice(list(EXPORT_TYPES))
        self.page(
            f"/laporan/klasifikasi/unduh.{fmt}",
            f"/laporan/klasifikasi/unduh.{fmt} (dinas)",
            content_type=EXPORT_TYPES[fmt],
        )


_request_log = open(REQUEST_LOG, "a", buffering=1 << 16) if REQUEST_LOG else None  # noqa: SIM115


@events.request.add_listener
def _log_request(request_type, name, response_time, exception, start_time=None, **kwargs):
    """Every request with its start time, so that loadtest.py can also report the steady
    state (the requests started once every user has logged in)."""
    if _request_log is not None:
        start = start_time if start_time is not None else 0.0
        failed = int(exception is not None)
        _request_log.write(f"{start:.3f}\t{response_time:.0f}\t{failed}\t{name}\n")


@events.test_stop.add_listener
def _final_stats(environment, **kwargs):
    """Write the final statistics once every user has stopped (after --stop-timeout): the
    CSV files of ``--csv`` are written every second and may miss the last requests, while
    their activities are already in BENCH_ACK_FILE."""
    if ACK_FILE and not os.path.exists(ACK_FILE):
        open(ACK_FILE, "w").close()  # noqa: SIM115 - nothing acknowledged: an empty file
    if _request_log is not None:
        _request_log.flush()
    if not FINAL_CSV or isinstance(environment.runner, WorkerRunner):
        return
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    with open(f"{FINAL_CSV}_stats.csv", "w", newline="") as fh:
        writer.requests_csv(csv.writer(fh))
    with open(f"{FINAL_CSV}_failures.csv", "w", newline="") as fh:
        writer.failures_csv(csv.writer(fh))
