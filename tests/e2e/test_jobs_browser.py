"""A job's page in real Chromium: the progress bar follows the job by htmx polling without
reloading the page, under the Content-Security-Policy, and the pages pass axe-core."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from jobs.models import Job

from .conftest import assert_no_horizontal_scroll
from .test_csp_and_accessibility import CSP_LISTENER, csp_violations, serious_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def watched(page):
    """As in test_csp_and_accessibility: every CSP violation collected."""
    console = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(CSP_LISTENER)
    page.csp_console = console
    return page


def test_the_progress_bar_follows_the_job_without_a_reload(watched, login, demo):
    page = login("dinas")
    dinas = get_user_model().objects.get(username="dinas")
    job = Job.objects.create(
        owner=dinas,
        kind=Job.Kind.RECOMPUTE,
        state=Job.State.RUNNING,
        params={"first": "2026-01", "last": "2026-04"},
        done=1,
        total=4,
    )
    page.goto(f"{demo.url}/tugas/{job.pk}/")
    bar = page.locator("progress#job-progress")
    assert bar.get_attribute("value") == "1" and bar.get_attribute("max") == "4"
    assert page.get_by_role("link", name="Muat ulang").is_visible()  # without JavaScript
    page.evaluate("window.__sameDocument = true")
    problems = serious_axe_violations(page) + csp_violations(page)
    assert_no_horizontal_scroll(page)

    Job.objects.filter(pk=job.pk).update(done=3)
    # htmx swaps the status block (the same element id) in place.
    expect(page.locator("progress#job-progress")).to_have_attribute("value", "3", timeout=10_000)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DONE, done=4, summary={"months": 4, "rows": 212}, finished_at=timezone.now()
    )
    page.get_by_text("Baris ditulis").wait_for(timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    assert page.locator("#job-status .badge").inner_text() == "Selesai"
    assert page.locator("[hx-trigger]").count() == 0  # polling stopped
    problems += csp_violations(page)

    page.goto(f"{demo.url}/tugas/")
    assert page.get_by_role("link", name=f"Hitung ulang kualitas #{job.pk}").is_visible()
    problems += serious_axe_violations(page) + csp_violations(page)
    page.goto(f"{demo.url}/tugas/hitung-ulang/")
    problems += serious_axe_violations(page) + csp_violations(page)
    assert problems == []
