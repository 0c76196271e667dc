"""Locust users for bench/loadtest.py (run headless by it; see README, "Load test").

* PokjaUser (50): logs in through the login form, then opens their dashboard and their
  own site page, with 1–3 s of thinking between pages (a phone user).
* DinasUser (10): logs in, then browses the dashboard, the site list (filtered by
  kecamatan, paged) and site pages.

Each simulated user takes its own account from BENCH_USERS (a JSON file written by
loadtest.py). Requests are grouped by page (``name=``), so the table shows one row per
page, not per site.

Adding the activity submission (phase 2, needs the activities feature): add a task to
PokjaUser that GETs the activity form, POSTs it with a small photo and a ``client_token``,
and on success appends the new activity's id to ``ACKNOWLEDGED`` (one line per id in
BENCH_ACK_FILE); loadtest.py then counts those rows in the database (see ``stored_count``
there).
"""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task

CONFIG = json.load(open(os.environ["BENCH_USERS"]))  # noqa: SIM115
PASSWORD = CONFIG["password"]
POKJA = [u for u in CONFIG["users"] if u["role"] == "pokja"]
DINAS = [u for u in CONFIG["users"] if u["role"] == "dinas"]
_next_pokja, _next_dinas = itertools.count(), itertools.count()
ACK_FILE = os.environ.get("BENCH_ACK_FILE")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


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

    def page(self, url, name):
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or "/masuk/" in response.url:
                response.failure(f"{response.status_code} at {response.url}")


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


@events.test_stop.add_listener
def _report_acknowledged(environment, **kwargs):
    if ACK_FILE and not os.path.exists(ACK_FILE):
        open(ACK_FILE, "w").close()  # noqa: SIM115 - no submission task yet: nothing acknowledged
