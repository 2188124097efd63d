"""In a real browser (Playwright + chromium, like tests/e2e): the builder's preview with conditional display, the
Jalali date picker for a Persian-speaking admin, and the server's check of the values typed in.

Screenshots go to test-artifacts/screenshots/forms-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from payvand.accounts import roles
from payvand.accounts.services import roles_ensure, user_create
from payvand.contacts.services import contact_create
from payvand.forms import services
from payvand.forms.tests.conftest import device_spec
from tests.e2e import conftest as e2e
from tests.e2e.conftest import PageProblems, sign_in

# The browser fixtures of tests/e2e (chromium, outside requests blocked, screenshots), used here too.
browser = e2e.browser
new_page = e2e.new_page
screenshot = e2e.screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _builder(live_server: Any, new_page: Any, language: str) -> tuple[Any, PageProblems]:
    roles_ensure()
    admin = user_create(
        email=f"admin.{language}@example.com",
        password="pw-Secret-123",
        full_name="Admin",
        language=language,
        role_names=[roles.ADMIN],
        is_staff=True,
    )
    form = services.form_create(by=admin, name=f"Device repair {language}", spec=device_spec())
    problems = PageProblems()
    page = new_page(problems=problems)
    sign_in(page, admin, live_server.url)
    page.goto(f"{live_server.url}/forms/{form.pk}/")
    page.click("#builder-preview")
    page.wait_for_selector("#preview [data-payvand-form]")
    return page, problems


def test_it_shows_fields_as_their_conditions_hold_and_checks_values(live_server, new_page, screenshot):
    customer = contact_create(by=None, name="Xerxes Customer", phones=["0912 123 4567"], allow_duplicates=True)
    page, problems = _builder(live_server, new_page, "en")
    bought = page.locator('#preview [data-field="bought"]')
    invoice = page.locator('#preview [data-field="invoice"]')
    assert bought.is_hidden()
    page.select_option("#id-preview-model", "x1")
    assert bought.is_visible()
    assert invoice.is_hidden()
    page.check("#id-preview-warranty")
    assert invoice.is_visible()
    page.uncheck("#id-preview-warranty")
    assert invoice.is_hidden()
    page.fill("#id-preview-serial", "ab-1")
    page.fill("#id-preview-bought", "2024-03-20")
    page.get_by_role("button", name="Check these values").click()
    page.wait_for_selector("#preview .invalid-feedback")
    assert "Like AB-1234" in page.locator('#preview [data-field="serial"]').inner_text()
    page.fill("#id-preview-serial", "AB-1234")
    chosen = page.locator('#preview [data-field="customer"] [data-contact-chosen]')
    assert chosen.is_hidden()
    page.fill("#id-preview-customer-search", "Xerx")
    page.click(f'#preview [data-contact-pick="{customer.pk}"]')
    assert page.input_value("#id-preview-customer") == str(customer.pk)
    assert chosen.is_visible()
    page.get_by_role("button", name="Check these values").click()
    page.wait_for_selector("#preview .alert-success")
    stored = page.locator("#preview .alert-success").inner_text()
    assert '"bought": "2024-03-20"' in stored
    assert f'"customer": {customer.pk}' in stored
    screenshot(page, "forms-builder-preview-en")
    problems.assert_clean()


def test_it_picks_a_jalali_date_for_a_persian_admin(live_server, new_page, screenshot):
    page, problems = _builder(live_server, new_page, "fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.select_option("#id-preview-model", "x1")
    page.click('[data-calendar-for="id-preview-bought"]')
    page.wait_for_selector("#id-preview-bought-calendar [data-calendar-pick]")
    page.fill("#id-preview-serial", "AB-1234")
    page.click("#id-preview-bought-calendar [data-calendar-month]:first-of-type")  # the previous month
    page.wait_for_timeout(300)
    day = page.locator("#id-preview-bought-calendar [data-calendar-pick]").nth(9)
    picked = day.get_attribute("data-calendar-pick")
    day.click()
    assert page.input_value("#id-preview-bought") == picked
    assert page.locator("#id-preview-bought-calendar").is_hidden()
    screenshot(page, "forms-builder-preview-fa")
    page.locator("#preview button[type=submit]").click()
    page.wait_for_selector("#preview .alert-success")
    problems.assert_clean()
