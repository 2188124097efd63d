"""In a real browser, in Persian: the 360° page shows the guided-case button and the scheduled calls; an agent plans
a call (Jalali date, Persian digits) and starts a guided case that becomes a ticket with its tasks; the page and the
admins' layout page fit a 360 px phone. Screenshots: test-artifacts/screenshots/calls-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.accounts import roles
from payvand.accounts.models import Team
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.cases.models import CaseTaskTemplate, CaseTemplate
from payvand.contacts.models import FlagType
from payvand.contacts.services import contact_create, contact_flag_add
from payvand.forms.services import form_create
from payvand.helpdesk.models import Ticket, TicketType
from payvand.telephony.models import Appointment
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_guided_case_and_scheduled_call_on_the_360_page_in_persian(live_server: Any, new_page: Any, screenshot: Any):
    base = live_server.url
    roles_ensure()
    support = Team.objects.create(name="پشتیبانی")
    agent = user_create(
        email="agent.fa@example.com",
        password="pw-Secret-123",
        full_name="کارشناس تلفن",
        role_names=[roles.AGENT],
        language="fa",
    )
    team_add_member(team=support, user=agent, by=None)
    admin = user_create(
        email="admin.fa@example.com",
        password="pw-Secret-123",
        full_name="مدیر",
        role_names=[roles.ADMIN],
        language="fa",
    )
    contact = contact_create(by=None, name="سارا محمدی", phones=["+98 912 555 0101"], allow_duplicates=True)
    contact_flag_add(contact=contact, flag_type=FlagType.objects.create(name="کم‌شنوا", colour="#0d6efd"), by=None)
    form = form_create(
        by=None,
        name="جمع‌آوری",
        spec={
            "sections": [
                {
                    "title": "جمع‌آوری",
                    "fields": [
                        {"name": "address", "kind": "text", "label": "نشانی جمع‌آوری", "required": True},
                    ],
                }
            ]
        },
    )
    template = CaseTemplate.objects.create(
        name="جمع‌آوری انجام‌نشده",
        button="گزارش جمع‌آوری انجام‌نشده",
        ticket_type=TicketType.objects.create(name="جمع‌آوری", form=form),
        team=support,
        priority=3,
    )
    CaseTaskTemplate.objects.create(template=template, title="اعزام خودرو", role=roles.AGENT)

    problems = PageProblems()
    page = new_page(problems=problems)
    sign_in(page, agent, base)
    page.goto(f"{base}/contacts/{contact.pk}/")
    assert page.get_attribute("html", "dir") == "rtl"
    button = page.locator(f"#contact-cases a[data-case='{template.pk}']")
    button.wait_for(state="visible")
    assert "گزارش جمع‌آوری انجام‌نشده" in button.inner_text()

    # Plan a call: Jalali date with Persian digits.
    page.locator("#contact-appointments summary").click()
    page.fill("#appt-starts_at", "۱۴۰۵/۰۹/۲۰ ۱۰:۳۰")
    page.fill("#appt-note", "پیگیری بازپرداخت")
    page.locator("#contact-appointments form button[type=submit]").click()
    page.wait_for_load_state("load")
    row = page.locator("#contact-appointments li[id^=appointment-]").first
    row.wait_for(state="visible")
    text = row.inner_text()
    assert "پیگیری بازپرداخت" in text
    assert "۱۴۰۵" in text  # Jalali year, Persian digits
    assert "۱۰:۳۰" in text
    assert Appointment.objects.get().owner == agent
    screenshot(page, "calls-360-fa")

    # The guided case: the form's question, then the ticket with its task.
    button = page.locator(f"#contact-cases a[data-case='{template.pk}']")
    button.click()
    page.wait_for_selector("#case-form")
    page.fill("input[name='fv-address']", "ولیعصر ۱۲")
    screenshot(page, "calls-case-form-fa")
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get()
    assert ticket.requester == contact
    assert ticket.form_values == {"address": "ولیعصر ۱۲"}
    assert list(ticket.tasks.values_list("title", flat=True)) == ["اعزام خودرو"]
    screenshot(page, "calls-case-ticket-fa")

    # A 360 px phone: the 360° page and the cartable box.
    phone = new_page(width=360, height=780, problems=problems)
    sign_in(phone, agent, base)
    phone.goto(f"{base}/contacts/{contact.pk}/")
    phone.locator("#contact-appointments").wait_for(state="visible")
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "calls-360-fa-phone")
    # Change it on the phone: the form shows the Jalali start in Persian digits; move it by an hour.
    phone.locator(".pv-appointment-edit summary").click()
    edit = phone.locator(".pv-appointment-edit form").first
    start_field = edit.locator("input[name=starts_at]")
    assert "۱۴۰۵/۰۹/۲۰" in start_field.input_value()
    start_field.fill("۱۴۰۵/۰۹/۲۰ ۱۱:۳۰")
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "calls-360-fa-phone-change")
    edit.locator("button[type=submit]").click()
    phone.wait_for_load_state("load")
    assert "۱۱:۳۰" in phone.locator("#contact-appointments li[id^=appointment-]").first.inner_text()
    phone.goto(f"{base}/cartable/")
    phone.locator("#appointment-rows").wait_for(state="visible")
    assert "پیگیری بازپرداخت" in phone.locator("#appointment-rows").inner_text()
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "calls-cartable-fa-phone")

    # The admins' layout page on a phone: hide the timeline for the support team.
    admin_phone = new_page(width=360, height=780, problems=problems)
    sign_in(admin_phone, admin, base)
    admin_phone.goto(f"{base}/contacts/layouts/")
    card = admin_phone.locator(f"#layout-{support.pk}")
    card.wait_for(state="visible")
    assert_no_horizontal_overflow(admin_phone)
    card.locator("input[name='show_timeline']").uncheck()
    card.locator("input[name='order_map']").fill("۰")  # before the first (1)
    card.locator("button[type=submit]:not([name])").click()
    admin_phone.wait_for_load_state("load")
    screenshot(admin_phone, "calls-layouts-fa-phone")
    page.goto(f"{base}/contacts/{contact.pk}/")
    keys = page.locator("#contact-sections").get_attribute("data-layout") or ""
    assert keys.split(",")[0] == "map"
    assert "timeline" not in keys.split(",")
    problems.assert_clean()
