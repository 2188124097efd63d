"""An admin builds an automation rule in the UI, in Persian, and it fires on a new ticket (issue 5, "Must show").

The admin (language fa: right to left, Persian digits) opens Automation, builds "subject contains «بازپرداخت» →
add the tag «مالی» and set the priority to ۴ (urgent)", test-runs it (the open refund ticket shows, the other does
not), saves it, and a new refund ticket gets the tag and the priority, with the firing on its timeline. Screenshots:
test-artifacts/screenshots/automation-*-fa.png (the builder also on a 360 px phone).
"""

from __future__ import annotations

from typing import Any

import pytest

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.automation.models import Rule
from payvand.automation.services import MacroIn, macro_create
from payvand.contacts.services import contact_create
from payvand.helpdesk.models import Message, Priority, Ticket
from payvand.helpdesk.services import ticket_create
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REFUND = "بازپرداخت"
TAG = "مالی"


def _seed() -> tuple[User, Team, Any]:
    roles_ensure()
    team = Team.objects.create(name="تیم مالی")
    admin = user_create(
        email="admin@example.com", password="x-Secret-1234", full_name="مدیر سامانه", role_names=[roles.ADMIN]
    )
    User.objects.filter(pk=admin.pk).update(language="fa")
    admin.refresh_from_db()
    team_add_member(team=team, user=admin, by=None)
    customer = contact_create(by=None, name="سارا احمدی", phones=["09121234567"], allow_duplicates=True)
    return admin, team, customer


def test_an_admin_builds_a_rule_in_persian_and_it_fires_on_a_new_ticket(
    live_server: Any, new_page: Any, screenshot: Any
) -> None:
    admin, team, customer = _seed()
    old = ticket_create(by=admin, requester=customer, subject=f"درخواست {REFUND} سفارش ۱۲", team=team, route=False)
    other = ticket_create(by=admin, requester=customer, subject="چاپگر کار نمی‌کند", team=team, route=False)
    base = live_server.url
    problems = PageProblems()
    page = new_page(problems=problems)
    sign_in(page, admin, base)

    page.goto(f"{base}/tickets/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#nav-automation")
    page.wait_for_selector("#rule-table")
    assert page.get_attribute("html", "lang") == "fa"
    page.click("#rule-new")
    page.fill("#id_name", "برچسب مالی برای بازپرداخت")
    page.select_option("#id_trigger", "ticket.created")
    page.select_option("#id_c0_field", "subject")
    page.select_option("#id_c0_op", "contains")
    page.fill("#id_c0_value", REFUND)
    page.select_option("#id_a0_type", "add_tag")
    page.fill("#id_a0_value", TAG)
    page.select_option("#id_a1_type", "set_priority")
    page.fill("#id_a1_value", "۴")

    with page.expect_navigation():
        page.click("#rule-test")
    matches = page.inner_text("#rule-matches")
    assert old.subject in matches
    assert other.subject not in matches
    assert not Rule.objects.exists()  # a test run saves nothing
    screenshot(page, "automation-rule-test-run-fa")

    with page.expect_navigation():
        page.click("#rule-save")
    assert page.url.rstrip("/").endswith("/automation/rules")
    rule = Rule.objects.get()
    assert rule.actions[1] == {"type": "set_priority", "value": 4, "text": ""}
    assert "برچسب مالی برای بازپرداخت" in page.inner_text("#rule-table")
    assert "۱" in page.inner_text("#rule-table")  # the order, in Persian digits
    screenshot(page, "automation-rules-fa")

    # A new ticket: the rule fires.
    new = ticket_create(by=admin, requester=customer, subject=f"{REFUND} وجه اشتباه", team=team, route=False)
    stored = Ticket.objects.get(pk=new.pk)
    assert stored.priority == Priority.URGENT
    assert list(stored.tags.values_list("name", flat=True)) == [TAG]
    page.goto(f"{base}/tickets/{new.pk}/")
    body = page.inner_text("body")
    assert "قاعدهٔ خودکارسازی اجرا شد" in body
    assert TAG in body
    page.wait_for_selector("#macro-card")
    page.wait_for_selector("#approval-card")
    screenshot(page, "automation-ticket-fired-fa")

    # A macro from the ticket page: the reply has the customer's name and a Jalali date.
    macro_create(by=admin, data=MacroIn(name="منتظر مدارک", body="{customer_name} گرامی، تاریخ {date}", personal=True))
    page.reload()
    page.wait_for_selector("#macro-select")
    with page.expect_navigation():
        page.click("#macro-apply")
    reply = Message.objects.get(ticket=new).body_text
    assert reply.startswith("سارا احمدی گرامی، تاریخ ")
    assert any(
        month in reply
        for month in (
            "فروردین",
            "اردیبهشت",
            "خرداد",
            "تیر",
            "مرداد",
            "شهریور",
            "مهر",
            "آبان",
            "آذر",
            "دی",
            "بهمن",
            "اسفند",
        )
    )

    # The builder on a phone.
    phone = new_page(width=360, height=740, problems=problems)
    sign_in(phone, admin, base)
    phone.goto(f"{base}/automation/rules/{rule.pk}/")
    assert phone.input_value("#id_c0_value") == REFUND
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "automation-rule-360-fa")
    phone.goto(f"{base}/automation/rules/")
    assert_no_horizontal_overflow(phone)
    phone.goto(f"{base}/tickets/{new.pk}/")
    phone.wait_for_selector("#approval-card")
    phone.click("#approval-card summary")
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "automation-ticket-360-fa")
    problems.assert_clean()
