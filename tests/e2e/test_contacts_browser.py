"""End to end in a real browser: log in, switch to Persian, create a contact, find it by phone, open it.

Screenshots (full page) go to test-artifacts/screenshots/: login, contact list, the 360° page in RTL (fa) and LTR (en),
search results, and the 360° page on a 360×740 phone screen.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from payvand.accounts import roles
from payvand.accounts.services import roles_ensure, user_create
from payvand.contacts.models import Contact, FlagType
from payvand.contacts.services import contact_create
from tests.e2e.conftest import PageProblems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "agent.e2e@example.com"
PASSWORD = "pw-Secret-123"
NAME = "مریم احمدی"
PHONE_TYPED = "۰۹۱۲۱۲۳۴۵۶۷"
PHONE_E164 = "+989121234567"


def _seed() -> None:
    roles_ensure()
    user_create(email=EMAIL, password=PASSWORD, full_name="Sara Agent", role_names=[roles.AGENT])
    FlagType.objects.create(name="VIP", colour="#fd7e14", icon="star-fill", severity=2)
    FlagType.objects.create(name="Hard of hearing", colour="#0d6efd", icon="ear", severity=2)
    org = contact_create(
        by=None,
        name="شرکت پیشگامان ارتباط",
        kind=Contact.Kind.ORGANISATION,
        phones=["021 6677 0015"],
        allow_duplicates=True,
    )
    contact_create(
        by=None, name="Nagy Gábor", phones=["06 30 123 4501"], emails=["gabor.nagy@example.hu"], allow_duplicates=True
    )
    contact_create(
        by=None,
        name="Emma Johnson",
        phones=["+44 20 7946 0101"],
        emails=["emma@example.co.uk"],
        organisations=[(org, "Purchasing manager")],
        allow_duplicates=True,
    )


def _no_horizontal_overflow(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width > viewport:
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(el => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5);
        }).slice(0, 8).map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} `
            + JSON.stringify(el.getBoundingClientRect()))""")
        raise AssertionError(f"{page.url}: the page is {width}px wide on a {viewport}px screen: {culprits}")


def _fonts_loaded(page: Any, *families: str) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    for family in families:
        assert page.evaluate(f"document.fonts.check('16px \"{family}\"', 'آب')") or page.evaluate(
            f"[...document.fonts].some(f => f.family.replace(/\"/g, '') === '{family}' && f.status === 'loaded')"
        ), f"font {family} did not load on {page.url}"


def _switch_language(page: Any, code: str) -> None:
    with page.expect_navigation():
        page.select_option("#language-select", code)
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == code


def test_it_lets_an_agent_create_a_persian_contact_and_find_it_by_phone(
    live_server: Any, new_page: Any, screenshot: Any
) -> None:
    _seed()
    base = live_server.url
    problems = PageProblems()
    page = new_page(problems=problems)

    # Log in through the form (English, LTR).
    page.goto(f"{base}/contacts/")
    assert "/accounts/login/" in page.url
    assert page.get_attribute("html", "dir") == "ltr"
    screenshot(page, "login-en")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    assert page.url.rstrip("/").endswith("/contacts"), page.url
    _fonts_loaded(page, "bootstrap-icons")

    # Switch to Persian with the navbar's language switcher: the layout turns right to left.
    _switch_language(page, "fa")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.locator("link[href*='bootstrap.rtl']").count() == 1
    _fonts_loaded(page, "Vazirmatn", "bootstrap-icons")
    screenshot(page, "contact-list-fa")

    # New contact with a Persian name and a phone typed in Persian digits.
    with page.expect_navigation():
        page.click("a[href='/contacts/new/']")
    page.fill("#id_name", NAME)
    page.fill("#id_phones", PHONE_TYPED)
    page.locator("#fld-flags label", has_text="VIP").click()
    with page.expect_navigation():
        page.click("#save-contact")

    # The 360° page.
    assert re.search(r"/contacts/\d+/$", page.url), page.url
    detail_url = page.url
    assert page.get_attribute("html", "dir") == "rtl"
    assert NAME in page.inner_text("#contact-name")
    phone_link = page.locator(f"#identities a[href='tel:{PHONE_E164}']")
    assert phone_link.count() == 1
    assert phone_link.inner_text().replace(" ", "") == PHONE_E164
    assert "VIP" in page.inner_text("#flag-banner")
    contact = Contact.objects.get(name=NAME)
    assert list(contact.identities.values_list("value", flat=True)) == [PHONE_E164]
    _fonts_loaded(page, "Vazirmatn", "bootstrap-icons")
    screenshot(page, "contact-360-fa")

    # Find it again with the global search box in the navbar, by the number in international form.
    page.fill("#global-search", PHONE_E164)
    with page.expect_navigation():
        page.press("#global-search", "Enter")
    assert "/search/" in page.url
    assert page.input_value("#search-q") == PHONE_E164
    results = page.locator("#search-results a.list-group-item")
    assert results.count() == 1
    assert NAME in results.first.inner_text()
    screenshot(page, "search-results-fa")
    with page.expect_navigation():
        results.first.click()
    assert page.url == detail_url
    assert NAME in page.inner_text("#contact-name")

    # The same 360° page on a 360×740 phone: nothing wider than the screen.
    phone_problems = PageProblems()
    phone = new_page(width=360, height=740, storage_state=page.context.storage_state(), problems=phone_problems)
    phone.goto(detail_url)
    assert phone.get_attribute("html", "dir") == "rtl"
    screenshot(phone, "contact-360-fa-phone")
    _no_horizontal_overflow(phone)
    phone.goto(f"{base}/search/?q={PHONE_E164.replace('+', '%2B')}")
    assert phone.locator("#search-results a.list-group-item").count() == 1
    screenshot(phone, "search-results-fa-phone")
    _no_horizontal_overflow(phone)
    phone.goto(f"{base}/contacts/")
    screenshot(phone, "contact-list-fa-phone")
    _no_horizontal_overflow(phone)
    phone.goto(f"{base}/contacts/new/")
    screenshot(phone, "contact-form-fa-phone")
    _no_horizontal_overflow(phone)
    phone.click("button.navbar-toggler")
    phone.wait_for_selector("#mainnav.show #global-search", state="visible")
    phone.wait_for_timeout(400)  # the collapse animation
    screenshot(phone, "navbar-open-fa-phone")
    _no_horizontal_overflow(phone)
    phone_problems.assert_clean()

    # Back to English: the same page, left to right.
    page.goto(detail_url)
    _switch_language(page, "en")
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.locator("link[href*='bootstrap.rtl']").count() == 0
    assert NAME in page.inner_text("#contact-name")
    screenshot(page, "contact-360-en")
    page.goto(f"{base}/contacts/")
    assert NAME in page.inner_text("#contact-rows")
    screenshot(page, "contact-list-en")

    problems.assert_clean()

    # The login page in Persian, for a visitor who picks the language before signing in.
    anonymous_problems = PageProblems()
    anonymous = new_page(width=360, height=740, problems=anonymous_problems)
    anonymous.goto(f"{base}/accounts/login/")
    _switch_language(anonymous, "fa")
    assert anonymous.get_attribute("html", "dir") == "rtl"
    _fonts_loaded(anonymous, "Vazirmatn")
    screenshot(anonymous, "login-fa-phone")
    _no_horizontal_overflow(anonymous)
    anonymous_problems.assert_clean()
