import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pokja_sees_their_site_on_a_phone(login, demo):
    page = login("pokja")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", name="Kampung KB Kacang Timur Berseri")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Perbarui data kependudukan").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kependudukan")
    assert_no_horizontal_scroll(page)


def test_kkbpk_form_explains_a_sum_that_does_not_add_up(login, demo):
    page = login("pokja")
    page.get_by_role("link", name="Perbarui data KKBPK").first.click()
    page.locator("#id_kb_pill").fill("999999")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Peserta KB \(\d+\)"))
    assert_no_horizontal_scroll(page)


def test_public_landing_lists_sites_per_kecamatan(page, demo):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(demo.url + "/")
    expect(page.get_by_role("heading", name="Kampung KB per kecamatan")).to_be_visible()
    expect(page.get_by_role("link", name="Kampung KB Muncul Berdaya")).to_be_visible()
    assert_no_horizontal_scroll(page)
