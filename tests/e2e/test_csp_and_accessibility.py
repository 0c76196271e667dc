"""Real Chromium on the main pages of each role, the admin included:

* no Content-Security-Policy violation is reported (console or ``securitypolicyviolation``
  events), so nothing on the page needs ``'unsafe-inline'``;
* axe-core (axe-playwright-python) finds no *serious* or *critical* accessibility
  violation;
* every page reflows at 320 px without horizontal scrolling.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from villages.models import KampungKB

from .conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NARROW = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') +
                              ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation (console or event) collected."""
    console = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(CSP_LISTENER)
    page.csp_console = console
    return page


def csp_violations(page):
    """The violations since the last call (the console log is kept per page object)."""
    found = page.csp_console + page.evaluate("window.__cspViolations || []")
    page.csp_console.clear()
    return found


def serious_axe_violations(page):
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check(page, url, problems, axe=True, reflow=True):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems.extend(f"CSP {url}: {v}" for v in csp_violations(page))
    if axe:
        problems.extend(f"axe {url}: {v}" for v in serious_axe_violations(page))
    if reflow and page.viewport_size["width"] == NARROW["width"]:
        try:
            assert_no_horizontal_scroll(page)
        except AssertionError as exc:
            problems.append(f"reflow {url}: {exc}")


def site_pages(base, site):
    return [
        f"{base}/kampung/{site.pk}/",
        f"{base}/kampung/{site.pk}/profil/baru/",
        f"{base}/kampung/{site.pk}/kependudukan/baru/",
        f"{base}/kampung/{site.pk}/kkbpk/baru/",
    ]


def test_public_pages(watched, demo):
    site = KampungKB.objects.filter(is_active=True).order_by("pk").first()
    problems = []
    for viewport in (NARROW, DESKTOP):
        watched.set_viewport_size(viewport)
        for path in ("/", "/masuk/", f"/publik/kampung/{site.pk}/", "/tidak-ada/"):
            check(watched, demo.url + path, problems)
    # The phone menu opens (Bootstrap's collapse animates through CSSOM, allowed by the CSP).
    watched.set_viewport_size(NARROW)
    watched.goto(demo.url + "/")
    watched.get_by_role("button", name="Buka menu").click()
    watched.get_by_role("link", name="Masuk").first.wait_for()
    problems.extend(f"CSP menu: {v}" for v in csp_violations(watched))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("username", ["pokja", "pokja2", "camat", "opd", "dinas"])
def test_each_roles_main_pages(watched, login, demo, username):
    login(username, NARROW)
    problems = []
    check(watched, demo.url + "/dasbor/", problems)
    from django.contrib.auth import get_user_model

    from villages.models import KampungKB as Site

    user = get_user_model().objects.get(username=username)
    site = Site.objects.visible_to(user).order_by("pk").first()
    urls = [f"{demo.url}/kampung/", f"{demo.url}/akun/kata-sandi/"]
    if site is not None:
        urls.append(f"{demo.url}/kampung/{site.pk}/")
        if Site.objects.editable_by(user).filter(pk=site.pk).exists():
            urls += site_pages(demo.url, site)[1:]
    if username == "dinas":
        urls += [f"{demo.url}/kampung/baru/", f"{demo.url}/kampung/{site.pk}/ubah/"]
    for url in urls:
        check(watched, url, problems)
    # The filled-in form with its errors (an error state is where contrast often fails).
    if site is not None and Site.objects.editable_by(user).filter(pk=site.pk).exists():
        watched.goto(f"{demo.url}/kampung/{site.pk}/kkbpk/baru/")
        watched.locator("#id_kb_pill").fill("999999")
        watched.get_by_role("button", name="Simpan").click()
        watched.wait_for_load_state("networkidle")
        problems.extend(f"axe kkbpk errors: {v}" for v in serious_axe_violations(watched))
        problems.extend(f"CSP kkbpk errors: {v}" for v in csp_violations(watched))
    assert problems == [], "\n".join(problems)


ADMIN_PAGES = [
    "/admin/",
    "/admin/villages/kampungkb/",
    "/admin/villages/kampungkb/add/",
    "/admin/villages/kampungkb/{site}/change/",
    "/admin/villages/kampungkb/{site}/history/",
    "/admin/villages/profilesnapshot/",
    "/admin/activities/opdprogram/add/",
    "/admin/activities/pokjamember/add/",
    "/admin/kampungkb/user/",
    "/admin/kampungkb/user/{user}/change/",
    "/admin/axes/accessattempt/",
]


@pytest.mark.parametrize("username", ["dinas", "opd"])
def test_admin_works_under_the_policy(watched, login, demo, username):
    """The admin (Django's own templates, select2, the filter widget, simple-history)
    runs under the same policy: no relaxation was needed for /admin/."""
    from django.contrib.auth import get_user_model

    login(username, DESKTOP)
    user = get_user_model().objects.get(username=username)
    site = KampungKB.objects.order_by("pk").first()
    problems = []
    for path in ADMIN_PAGES:
        url = demo.url + path.format(site=site.pk, user=user.pk)
        # The admin is a desktop tool (Django's own templates): CSP everywhere, reflow not.
        check(watched, url, problems, axe=False, reflow=False)
    # Use the widgets that build elements in JavaScript.
    watched.goto(demo.url + "/admin/villages/kampungkb/add/")
    if username == "dinas":
        watched.locator(".select2-selection").first.click()
        watched.locator(".select2-search__field").fill("Serpong")
        watched.locator(".select2-results__option").first.wait_for()
        watched.goto(demo.url + "/admin/activities/opdprogram/add/")
        watched.locator("#id_sites + .select2 .select2-selection").click()
        watched.locator(".select2-search__field").last.fill("Kampung")
        watched.locator(".select2-results__option").first.wait_for()
        problems.extend(f"CSP widgets: {v}" for v in csp_violations(watched))
    assert problems == [], "\n".join(problems)
