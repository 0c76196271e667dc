"""Production smoke test (`make deploy-check`): the README's deployment, then real HTTP.

Reads the shell block of the README's "Deployment" section and runs its commands as they
are written (so the README and CI cannot drift), on a fresh PostgreSQL database
(``DEPLOY_CHECK_DATABASE_URL``, default ``kampungkb_deploycheck`` on 127.0.0.1, dropped and
created again), with ``kampungkb.settings.production``, a generated ``SECRET_KEY`` and
``STATIC_ROOT``/``MEDIA_ROOT``/``PRIVATE_MEDIA_ROOT`` in a temporary folder. It creates a
Dinas user, starts the README's gunicorn on a free port behind a pretend TLS proxy
(``BEHIND_TLS_PROXY=true``, ``X-Forwarded-Proto: https``) and fetches: the landing page
(GET and HEAD), the login page, a login, the dashboard, every stylesheet and script the
pages name (one of them compressed), a missing page, the admin login and ``/healthz``.
Any 5xx, a missing asset or a traceback in gunicorn's log fails it (exit status 1).

It runs in a fresh copy of the project (the files git tracks, and untracked ones it does
not ignore) in a temporary folder, so the README's first line (``python3 -m venv .venv &&
.venv/bin/pip install .``) runs as written too: the deployment gets only the portal's own
dependencies (no test extras) from pyproject.toml, as an operator's server does, and the
checkout's own virtualenv and files are left alone.

Standard library only, apart from psycopg2 (a dependency of the portal) for the database.
"""

import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "kampungkb.example.go.id"  # the README's example host; sent as the Host header
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kampungkb_deploycheck"
# The steps a deployment cannot do without; the README's block must keep them.
REQUIRED_STEPS = [
    ["compiletranslations"],
    ["migrate"],
    ["collectstatic", "--no-input"],
    ["check", "--deploy", "--fail-level", "WARNING"],
]
# The virtualenv and the install: run by the shell, as written, in the fresh copy.
INSTALL_PREFIX = "python3 -m venv .venv"
USERNAME = "smoke-dinas"
FULL_NAME = ("Petugas", "Uji Deploy")


class SmokeFailure(Exception):
    pass


# --- The README's block -----------------------------------------------------------------
def deployment_block(readme_text):
    """The lines of the first ```sh block after the "## Deployment" heading, with
    backslash continuations joined."""
    match = re.search(r"^## Deployment\b.*?^```sh\n(.*?)^```", readme_text, re.M | re.S)
    if not match:
        raise SmokeFailure('README.md has no ```sh block under "## Deployment"')
    return [line.strip() for line in match.group(1).replace("\\\n", " ").splitlines()]


def plan(lines):
    """Sort the README's lines: ``{"install": [...], "exports": {name: value},
    "commands": [argv, ...], "server": argv}``. An unknown kind of line is an error, so a
    README edit the smoke test cannot follow fails here, not silently."""
    steps = {"install": [], "exports": {}, "commands": [], "server": None}
    for line in lines:
        argv = shlex.split(line, comments=True)
        if not argv:  # blank or a comment
            continue
        if line.startswith(INSTALL_PREFIX):
            steps["install"].append(line)
        elif argv[0] == "export":
            for assignment in argv[1:]:
                name, sep, value = assignment.partition("=")
                if not sep:
                    raise SmokeFailure(f"README export without a value: {assignment}")
                steps["exports"][name] = value
        elif argv[:2] == [".venv/bin/python", "manage.py"]:
            steps["commands"].append(argv)
        elif argv[0] == ".venv/bin/gunicorn":
            if steps["server"]:
                raise SmokeFailure("README starts gunicorn twice")
            steps["server"] = argv
        else:
            raise SmokeFailure(f"deploy/smoke.py does not know this README line: {line}")
    manage_args = [argv[2:] for argv in steps["commands"]]
    for required in REQUIRED_STEPS:
        if required not in manage_args:
            raise SmokeFailure(f"README's deployment lacks: manage.py {' '.join(required)}")
    if not steps["server"]:
        raise SmokeFailure("README's deployment starts no gunicorn")
    if not steps["install"]:
        raise SmokeFailure("README's deployment creates no virtualenv (python3 -m venv .venv)")
    return steps


def environment(exports, database_url, tmp):
    """The README's variables with this run's values, plus the proxy and the folders."""
    ours = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "PYTEST", "CACHE_URL", "CELERY_"))
    }
    for name, value in exports.items():
        if name == "DJANGO_SETTINGS_MODULE":
            env[name] = value  # the README's own value, not a placeholder
        elif name in ours:
            env[name] = ours[name]
        else:
            raise SmokeFailure(f"README exports {name}: give it a value in deploy/smoke.py")
    if env.get("DJANGO_SETTINGS_MODULE") != "kampungkb.settings.production":
        raise SmokeFailure("README's deployment does not use kampungkb.settings.production")
    env.update(
        BEHIND_TLS_PROXY="true",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp / "private_media"),
        PYTHONUNBUFFERED="1",
    )
    return env


def local(argv, checkout):
    """``.venv/bin/x`` of the README → that program of the fresh copy's virtualenv."""
    program = argv[0]
    if program.startswith(".venv/bin/"):
        program = str(checkout / program)
    return [program, *argv[1:]]


def fresh_copy(target):
    """The project's files as a clone has them (tracked, or untracked and not ignored:
    no virtualenv, database, media or compiled translations) copied into ``target``."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is not copied
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


# --- The database -----------------------------------------------------------------------
def _admin_connection(url):
    import psycopg2

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SmokeFailure("the smoke test runs on PostgreSQL: give a postgres:// URL")
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn, parts.path.lstrip("/")


def recreate_database(url, *, create=True):
    conn, name = _admin_connection(url)
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SmokeFailure(f"unexpected database name {name!r}")
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


# --- HTTP -------------------------------------------------------------------------------
class Browser:
    LOG = []  # every request of the run: (method, path, status, ms)

    """HTTP/1.1 to gunicorn as a TLS proxy would forward it: ``Host`` the portal's name,
    ``X-Forwarded-Proto: https``. Cookies are kept by hand: they are ``Secure`` in
    production, and http.cookiejar would not send them over this plain connection."""

    def __init__(self, port, *, proxied=True):
        self.port = port
        self.proxied = proxied
        self.cookies = {}

    def request(self, method, path, *, body=None, headers=None):
        all_headers = {"Host": HOST, "User-Agent": "kampungkb-deploy-check"}
        if self.proxied:
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        ms = (time.monotonic() - started) * 1000
        self.LOG.append((method, path, response.status, ms))
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.status >= 500:
            raise SmokeFailure(f"{method} {path} answered {response.status}")
        return response, content

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path, fields, *, referer_path):
        return self.request(
            "POST",
            path,
            body=urlencode(fields),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{referer_path}",
            },
        )


def expect(condition, message):
    if not condition:
        raise SmokeFailure(message)


def expect_status(response, status, what):
    expect(response.status == status, f"{what}: expected {status}, got {response.status}")


def cache_directives(response):
    return {part.strip() for part in (response.getheader("Cache-Control") or "").split(",")}


ASSET = re.compile(r"""<(?:link[^>]*\shref|script[^>]*\ssrc)="(/static/[^"]+)\"""")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def assets_of(html):
    return set(ASSET.findall(html.decode()))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"gunicorn exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SmokeFailure(f"gunicorn did not listen on port {port} within {timeout} s")


# --- The checks over HTTP ---------------------------------------------------------------
def http_checks(port, password, static_root, say):
    anonymous = Browser(port)
    assets = set()

    response, _body = Browser(port, proxied=False).get("/")
    expect_status(response, 301, "GET / over plain HTTP (no proxy header)")
    expect(
        response.getheader("Location", "").startswith(f"https://{HOST}/"),
        "plain HTTP is not redirected to HTTPS",
    )
    say("HTTPS redirect without the proxy header: 301")

    for browser, how in ((anonymous, "behind the proxy"), (Browser(port, proxied=False), "")):
        response, body = browser.get("/healthz")
        expect_status(response, 200, f"GET /healthz {how}".strip())
        expect(
            json.loads(body) == {"status": "ok", "checks": {"database": "ok"}},
            f"/healthz answered {body[:200]!r}",
        )
        expect(not response.headers.get_all("Set-Cookie"), "/healthz set a cookie")
    say("/healthz: 200 ok (also over plain HTTP), no cookie")

    response, body = anonymous.get("/")
    expect_status(response, 200, "GET / (landing)")
    expect(b'lang="id"' in body, "the landing page is not in Indonesian")
    expect(
        "max-age=" in (response.getheader("Strict-Transport-Security") or ""),
        "no HSTS header behind the TLS proxy",
    )
    expect("public" not in cache_directives(response), "the landing page is shared-cacheable")
    assets |= assets_of(body)
    get_length = len(body)

    response, body = anonymous.request("HEAD", "/")
    expect_status(response, 200, "HEAD /")
    expect(body == b"", f"HEAD / sent a body of {len(body)} bytes")
    say(f"landing: GET 200 ({get_length} bytes), HEAD 200 without a body")

    response, body = anonymous.get("/masuk/")
    expect_status(response, 200, "GET /masuk/ (login page)")
    expect("csrftoken" in anonymous.cookies, "the login page set no CSRF cookie")
    expect("secure" in (response.getheader("Set-Cookie") or "").lower(), "cookie not Secure")
    token = CSRF_INPUT.search(body.decode())
    expect(token, "the login page has no CSRF token")
    assets |= assets_of(body)

    response, body = anonymous.post_form(
        "/masuk/",
        {"username": USERNAME, "password": password, "csrfmiddlewaretoken": token.group(1)},
        referer_path="/masuk/",
    )
    expect_status(response, 302, "POST /masuk/ (log in)")
    expect(response.getheader("Location") == "/dasbor/", "the login did not lead to /dasbor/")
    expect("sessionid" in anonymous.cookies, "the login set no session cookie")
    say("log in: 302 to /dasbor/, session cookie set")

    response, body = anonymous.get("/dasbor/")
    expect_status(response, 200, "GET /dasbor/ (dashboard)")
    expect(
        f"Selamat datang, {' '.join(FULL_NAME)}".encode() in body,
        "the dashboard is not the logged-in user's",
    )
    expect(
        {"private", "no-store"} <= cache_directives(response),
        f"the dashboard's Cache-Control is {response.getheader('Cache-Control')!r}",
    )
    assets |= assets_of(body)
    say("dashboard: 200, the user's, Cache-Control: private, no-store")

    for path in ("/kegiatan/antrean/", "/laporan/klasifikasi/"):
        response, body = anonymous.get(path)  # htmx (an app's static file), reports.css
        expect_status(response, 200, f"GET {path}")
        assets |= assets_of(body)
    say("verification queue, classification: 200")

    # Every vendored file by its hashed name, maps included (static/vendor/README.md):
    # Chart.js is on no page of an empty database.
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    vendored = {f"/static/{name}" for key, name in manifest.items() if key.startswith("vendor/")}
    expect(any("chart.umd.min" in path for path in vendored), "Chart.js is not collected")

    for path in sorted(assets | vendored):
        response, body = Browser(port).get(path)
        expect_status(response, 200, f"GET {path}")
        expect(body, f"{path} is empty")
        expect(
            re.search(r"\.[0-9a-f]{12}(\.[A-Za-z0-9]+)?$", path),  # name.<hash>.ext
            f"{path} is not a hashed (manifest) name",
        )
    expect(len(assets) >= 6, f"only {len(assets)} assets found in the pages")
    say(
        f"{len(assets)} stylesheets and scripts named by the pages and {len(vendored)} "
        "vendored files (maps included): 200, hashed names"
    )

    css = next(path for path in sorted(assets) if "/bootstrap" in path and path.endswith(".css"))
    response, body = Browser(port).get(css, headers={"Accept-Encoding": "gzip"})
    expect_status(response, 200, f"GET {css} (gzip)")
    expect(response.getheader("Content-Encoding") == "gzip", f"{css} was not sent compressed")
    max_age = re.search(r"max-age=(\d+)", response.getheader("Cache-Control") or "")
    expect(max_age and int(max_age.group(1)) >= 365 * 24 * 3600, f"{css}: no far-future cache")
    say(f"{css.rsplit('/', 1)[-1]}: gzip, {response.getheader('Cache-Control')}")

    missing = f"/tidak-ada-{secrets.token_hex(4)}/"
    response, body = anonymous.get(missing)
    expect_status(response, 404, f"GET {missing}")
    expect(b"Halaman tidak ditemukan" in body, "the 404 page is not the Indonesian one")
    say("missing page: 404, Indonesian")

    response, body = Browser(port).get("/admin/login/")
    expect_status(response, 200, "GET /admin/login/")
    expect(b'name="password"' in body, "the admin login page has no password field")
    say("admin login page: 200")

    token = CSRF_INPUT.search(anonymous.get("/dasbor/")[1].decode()).group(1)
    response, _body = anonymous.post_form(
        "/keluar/", {"csrfmiddlewaretoken": token}, referer_path="/dasbor/"
    )
    expect_status(response, 302, "POST /keluar/ (log out)")
    response, _body = anonymous.get("/dasbor/")
    expect_status(response, 302, "GET /dasbor/ after logging out")
    say("log out: 302; the dashboard then redirects to the login")


# --- The run ----------------------------------------------------------------------------
def main():
    started = time.monotonic()
    timings = []

    def say(message):
        print(f"  ok  {message}", flush=True)

    def timed(label, argv, env, shown=None, script=False):
        print(f"$ {shown or (argv if script else ' '.join(argv))}", flush=True)
        t0 = time.monotonic()
        result = subprocess.run(
            ["bash", "-c", argv] if script else local(argv, checkout),
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        timings.append((label, time.monotonic() - t0))
        if result.returncode != 0:
            raise SmokeFailure(
                f"{label} failed ({result.returncode}):\n{result.stdout[-3000:]}"
                f"{result.stderr[-5000:]}"
            )
        return result

    database_url = os.environ.get("DEPLOY_CHECK_DATABASE_URL", DEFAULT_DATABASE_URL)
    steps = plan(deployment_block((ROOT / "README.md").read_text(encoding="utf-8")))
    gunicorn = None
    failed = False
    with tempfile.TemporaryDirectory(prefix="kkb-deploy-check-") as tmp_name:
        tmp = Path(tmp_name)
        log_path = tmp / "gunicorn.log"
        checkout = tmp / "portal"
        try:
            fresh_copy(checkout)
            # The install runs outside any virtualenv this script may run in.
            plain = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
            plain["PATH"] = os.pathsep.join(
                p
                for p in plain.get("PATH", "").split(os.pathsep)
                if p != str(Path(sys.executable).parent)
            )
            for line in steps["install"]:
                timed("venv + pip install .", line, plain, script=True)
            recreate_database(database_url)
            env = environment(steps["exports"], database_url, tmp)
            env["PATH"] = plain["PATH"]
            for argv in steps["commands"]:
                timed(" ".join(argv[2:4]), argv, env)

            password = secrets.token_urlsafe(24)
            create_user = (
                "from django.contrib.auth.models import Group;"
                "from kampungkb.models import User;"
                "import os;"
                f"u = User.objects.create_user({USERNAME!r}, password=os.environ['SMOKE_PW'],"
                f" first_name={FULL_NAME[0]!r}, last_name={FULL_NAME[1]!r});"
                "u.groups.add(Group.objects.get(name='dinas'))"
            )
            timed(
                "create the Dinas user",
                [".venv/bin/python", "manage.py", "shell", "-c", create_user],
                {**env, "SMOKE_PW": password},
                shown=f".venv/bin/python manage.py shell -c <create {USERNAME} in group dinas>",
            )

            port = free_port()
            server = list(steps["server"])
            server[server.index("--bind") + 1] = f"127.0.0.1:{port}"
            print(f"$ {' '.join(server)}", flush=True)
            t0 = time.monotonic()
            with log_path.open("w") as log:
                gunicorn = subprocess.Popen(
                    local(server, checkout),
                    cwd=checkout,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            wait_until_up(port, gunicorn)
            timings.append(("gunicorn up", time.monotonic() - t0))

            t0 = time.monotonic()
            http_checks(port, password, Path(env["STATIC_ROOT"]), say)
            timings.append((f"{len(Browser.LOG)} HTTP requests", time.monotonic() - t0))
            slowest = max(Browser.LOG, key=lambda entry: entry[3])
            print(f"  (slowest: {slowest[0]} {slowest[1]} {slowest[3]:.0f} ms)")
        except SmokeFailure as error:
            failed = True
            print(f"FAIL: {error}", file=sys.stderr)
        finally:
            if gunicorn is not None:
                gunicorn.send_signal(signal.SIGTERM)
                try:
                    gunicorn.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    gunicorn.kill()
                    gunicorn.wait()
            try:
                recreate_database(database_url, create=False)
            except Exception as error:  # the result stands; say why the drop failed
                print(f"warning: could not drop the database: {error}", file=sys.stderr)
            server_log = log_path.read_text() if log_path.exists() else ""
        problems = [
            line
            for line in server_log.splitlines()
            if "Traceback" in line
            or "[ERROR]" in line
            or "[CRITICAL]" in line
            or "Internal Server Error" in line
        ]
        if problems:
            failed = True
            print("FAIL: gunicorn's log has errors:", file=sys.stderr)
            print(server_log[-6000:], file=sys.stderr)

    print("\nDeploy check:", "FAILED" if failed else "passed")
    for label, seconds in timings:
        print(f"  {label:<32} {seconds:6.1f} s")
    print(f"  {'total':<32} {time.monotonic() - started:6.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
