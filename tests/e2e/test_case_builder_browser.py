"""In a real browser, in Persian: an admin builds a guided case in the staff UI (no Django admin) — a new ticket type
with a form-builder form, the team, the priority, tags and two tasks (by skill with a due offset, by role) — and an
agent starts it from a contact's 360° page, answers the questions (a Jalali date in Persian digits) and lands on the
ticket with its tasks; then an approver decides a refund from the cartable's approvals list. Screenshots:
test-artifacts/screenshots/cases-*-fa.png (the builder also on a 360 px phone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from payvand.accounts import roles
from payvand.accounts.models import Skill, Team
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.automation import approvals
from payvand.automation.models import ApprovalRequest
from payvand.cases.models import CaseTemplate
from payvand.contacts.services import contact_create
from payvand.forms.services import form_create
from payvand.helpdesk.models import Priority, Ticket
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "جمع‌آوری انجام‌نشده"
BUTTON = "گزارش جمع‌آوری انجام‌نشده"
JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


def test_an_admin_builds_a_guided_case_and_an_agent_starts_it_in_persian(
    live_server: Any, new_page: Any, screenshot: Any
) -> None:
    base = live_server.url
    roles_ensure()
    team = Team.objects.create(name="خدمات میدانی")
    driving = Skill.objects.create(name="رانندگی")
    admin = user_create(
        email="admin.fa@example.com",
        password="pw-Secret-123",
        full_name="مدیر",
        role_names=[roles.ADMIN],
        language="fa",
    )
    agent = user_create(
        email="agent.fa@example.com",
        password="pw-Secret-123",
        full_name="کارشناس",
        role_names=[roles.AGENT],
        language="fa",
    )
    driver = user_create(
        email="driver.fa@example.com", password="pw-Secret-123", full_name="راننده", role_names=[], language="fa"
    )
    driver.skills.add(driving)
    lead = user_create(
        email="lead.fa@example.com",
        password="pw-Secret-123",
        full_name="سرپرست",
        role_names=[roles.SUPERVISOR],
        language="fa",
    )
    for member in (agent, driver, lead):
        team_add_member(team=team, user=member, by=None)
    form = form_create(
        by=None,
        name="پرسش‌های جمع‌آوری",
        spec={
            "sections": [
                {
                    "title": "جمع‌آوری",
                    "fields": [
                        {"name": "address", "kind": "text", "label": "نشانی جمع‌آوری", "required": True},
                        {"name": "missed_on", "kind": "date", "label": "تاریخ جاماندن"},
                    ],
                }
            ]
        },
    )
    contact = contact_create(by=None, name="سارا محمدی", phones=["+98 912 555 0101"], allow_duplicates=True)

    problems = PageProblems()
    page = new_page(problems=problems)
    sign_in(page, admin, base)

    # The admin builds the case: from the menu, a new ticket type with the form, two tasks.
    page.goto(f"{base}/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#nav-cases")
    page.wait_for_selector("#case-templates")
    page.click("#case-template-new")
    page.wait_for_selector("#case-template-form")
    page.fill("#id_name", NAME)
    page.fill("#id_button", BUTTON)
    page.select_option("#id_ticket_type", "")
    page.select_option("#id_form", str(form.pk))
    page.select_option("#id_team", str(team.pk))
    page.select_option("#id_priority", str(Priority.HIGH))
    page.fill("#id_tags", "جمع‌آوری، پسماند")
    page.fill("#id_order", "۱۰")
    page.fill("#id_t0_title", "اعزام خودرو")
    page.select_option("#id_t0_skill", str(driving.pk))
    page.fill("#id_t0_due", "۱۲۰")
    page.fill("#id_t1_title", "تماس با مشتری")
    page.select_option("#id_t1_role", roles.AGENT)
    page.uncheck("#id_t1_mandatory")
    screenshot(page, "cases-builder-fa")
    # A bad due time first: the builder keeps what was typed and says what is wrong.
    page.fill("#id_t0_due", "فردا")
    with page.expect_navigation():
        page.click("#case-template-save")
    assert page.input_value("#id_name") == NAME
    assert page.locator("#case-task-0 .invalid-feedback").count() == 1
    assert not CaseTemplate.objects.exists()
    assert problems.failed == [f"422 {base}/cases/templates/new/"], problems.failed  # the answer to the bad input
    problems.failed.clear()
    problems.console_errors[:] = [e for e in problems.console_errors if "status of 422" not in e]
    screenshot(page, "cases-builder-error-fa")
    page.fill("#id_t0_due", "۱۲۰")
    with page.expect_navigation():
        page.click("#case-template-save")
    page.wait_for_selector("#case-templates")
    template = CaseTemplate.objects.get()
    assert template.ticket_type.form == form
    assert template.ticket_type.name == NAME
    assert template.tags == ["جمع‌آوری", "پسماند"]
    assert template.order == 10
    assert [(k.title, k.due_minutes, k.mandatory) for k in template.tasks.all()] == [
        ("اعزام خودرو", 120, True),
        ("تماس با مشتری", None, False),
    ]
    row = page.inner_text(f"#case-template-{template.pk}")
    assert BUTTON in row
    assert "۱۲۰" in row  # the due offset, in Persian digits
    screenshot(page, "cases-list-fa")

    # The builder on a phone.
    phone = new_page(width=360, height=780, problems=problems)
    sign_in(phone, admin, base)
    phone.goto(f"{base}/cases/templates/{template.pk}/")
    assert phone.input_value("#id_t0_title") == "اعزام خودرو"
    assert phone.input_value("#id_order") == "۱۰"  # numbers shown back in Persian digits
    assert phone.input_value("#id_t0_due") == "۱۲۰"
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "cases-builder-fa-phone")
    phone.goto(f"{base}/cases/")
    assert_no_horizontal_overflow(phone)

    # The agent starts it from the 360° page and answers the questions (a Jalali date in Persian digits).
    agent_page = new_page(problems=problems)
    sign_in(agent_page, agent, base)
    agent_page.goto(f"{base}/contacts/{contact.pk}/")
    button = agent_page.locator(f"#contact-cases a[data-case='{template.pk}']")
    button.wait_for(state="visible")
    assert BUTTON in button.inner_text()
    button.click()
    agent_page.wait_for_selector("#case-form")
    agent_page.fill("input[name='fv-address']", "خیابان ولیعصر، پلاک ۱۲")
    agent_page.fill("input[name='fv-missed_on']", "۱۴۰۵/۰۹/۱۶")
    screenshot(agent_page, "cases-start-fa")
    started = timezone.now()
    with agent_page.expect_navigation():
        agent_page.click("#case-form button[type=submit]")
    agent_page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get()
    assert ticket.requester == contact
    assert ticket.team == team
    assert ticket.priority == Priority.HIGH
    assert ticket.form_values == {"address": "خیابان ولیعصر، پلاک ۱۲", "missed_on": "2026-12-07"}
    tasks = {t.title: t for t in ticket.tasks.all()}
    assert tasks["اعزام خودرو"].assignee == driver
    due = tasks["اعزام خودرو"].due_at
    assert due is not None
    assert abs(due - (started + dt.timedelta(minutes=120))) < dt.timedelta(minutes=2)
    assert tasks["تماس با مشتری"].assignee == agent
    task_list = agent_page.inner_text("#task-list")
    assert "اعزام خودرو" in task_list
    assert any(month in task_list for month in JALALI_MONTHS)  # the due time, in the Jalali calendar
    screenshot(agent_page, "cases-ticket-fa")

    # The refund on that ticket waits in the supervisor's cartable, who approves it there with a comment.
    request = approvals.approval_request(
        target=ticket,
        by=agent,
        kind="refund",
        amount="1500000",
        currency="IRR",
        reason="دو بار پرداخت",
        approvers=[lead],
    )
    lead_page = new_page(problems=problems)
    sign_in(lead_page, lead, base)
    lead_page.goto(f"{base}/cartable/")
    assert lead_page.get_attribute("#cartable-count-approvals", "data-count") == "1"
    lead_page.click("#cartable-link-approvals")
    lead_page.wait_for_selector(f"#approval-row-{request.pk}")
    row_text = lead_page.inner_text(f"#approval-row-{request.pk}")
    assert "۱٬۵۰۰٬۰۰۰" in row_text or "۱۵۰۰۰۰۰" in row_text  # the amount in Persian digits
    assert ticket.subject in row_text
    screenshot(lead_page, "cases-cartable-approvals-fa")
    lead_page.fill(f"#approval-decide-{request.pk} input[name=comment]", "تأیید شد")
    with lead_page.expect_navigation():
        lead_page.click(f"#approval-decide-{request.pk} button[value=approve]")
    lead_page.wait_for_selector("#cartable-empty")
    request.refresh_from_db()
    assert request.state == ApprovalRequest.State.APPROVED
    screenshot(lead_page, "cases-cartable-approved-fa")
    cartable_phone = new_page(width=360, height=780, problems=problems)
    sign_in(cartable_phone, lead, base)
    request2 = approvals.approval_request(
        target=ticket, by=agent, kind="discount", amount="200000", currency="IRR", reason="تأخیر", approvers=[lead]
    )
    cartable_phone.goto(f"{base}/cartable/?list=approvals")
    cartable_phone.wait_for_selector(f"#approval-row-{request2.pk}")
    assert_no_horizontal_overflow(cartable_phone)
    screenshot(cartable_phone, "cases-cartable-approvals-fa-phone")
    problems.assert_clean()
