"""The customer portal end to end on a 360×740 phone in Persian (issue 6, "Must show").

The customer signs in with a magic link read from the outbox (locmem backend; the live server runs in this process),
searches the knowledge base, and opens a request through a type's form (the help-article suggestions show while
they type the subject). An agent replies (a service call); the customer sees the reply and rates it 5; the rating
shows in the agent's satisfaction report. Screenshots: test-artifacts/screenshots/portal-*-fa.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from payvand.accounts import roles
from payvand.accounts.models import Team
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.contacts.services import contact_create
from payvand.forms.services import form_create
from payvand.helpdesk import services as helpdesk
from payvand.helpdesk.models import Message, Ticket, TicketType
from payvand.kb import services as kb
from payvand.kb.models import Article, Category
from payvand.portal.models import Satisfaction
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SPEC = {
    "sections": [
        {
            "title": "دستگاه",
            "fields": [
                {"name": "serial", "kind": "text", "label": "شمارهٔ سریال", "required": True},
            ],
        }
    ]
}


def _seed() -> dict[str, Any]:
    roles_ensure()
    team = Team.objects.create(name="پشتیبانی", capacity=20, capacity_per_member=5)
    agent = user_create(
        email="sara@example.com", password="pw-Secret-123", full_name="سارا رضایی", role_names=[roles.AGENT]
    )
    team_add_member(team=team, user=agent, by=None)
    supervisor = user_create(
        email="boss@example.com", password="pw-Secret-123", full_name="Boss", role_names=[roles.SUPERVISOR]
    )
    supervisor.language = "fa"
    supervisor.save(update_fields=["language"])
    customer = contact_create(by=None, name="مریم احمدی", emails=["maryam@example.com"], allow_duplicates=True)
    form = form_create(by=None, name="تعمیر", spec=SPEC)
    TicketType.objects.create(name="تعمیر مودم", form=form)
    category = Category.objects.create(name="اینترنت", slug="internet")
    kb.article_create(
        by=supervisor,
        category=category,
        title="قطع شدن اینترنت مودم",
        summary="وقتی چراغ اینترنت مودم خاموش است",
        body="مودم را ده ثانیه خاموش و دوباره روشن کنید.",
        language="fa",
        state=Article.State.PUBLISHED,
    )
    return {"team": team, "agent": agent, "supervisor": supervisor, "customer": customer}


def test_customer_signs_in_finds_help_opens_a_request_and_rates_the_reply(
    live_server: Any, new_page: Any, screenshot: Any
) -> None:
    data = _seed()
    base = live_server.url
    problems = PageProblems()
    page = new_page(width=360, height=740, problems=problems)
    page.context.add_cookies([{"name": "django_language", "value": "fa", "url": base}])

    # Sign in with a magic link read from the outbox.
    page.goto(f"{base}/portal/")
    assert "/portal/login/" in page.url
    assert page.get_attribute("html", "dir") == "rtl"
    page.fill("#id_link-email", "maryam@example.com")
    with page.expect_navigation():
        page.click("#send-link")
    assert page.locator("#link-sent").is_visible()
    screenshot(page, "portal-login-fa")
    assert_no_horizontal_overflow(page)
    link = re.search(r"https?://\S+/portal/login/[\w-]+/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    page.goto(base + link.group(0).split("8000", 1)[-1] if "8000" in link.group(0) else link.group(0))
    with page.expect_navigation():
        page.click("#magic-sign-in")
    assert page.url.endswith("/portal/")
    screenshot(page, "portal-home-fa")
    assert_no_horizontal_overflow(page)

    # Search the knowledge base.
    with page.expect_navigation():
        page.click("#portal-kb")
    page.fill("#kb-q", "مودم")
    with page.expect_navigation():
        page.click("#kb-search")
    assert page.locator("#kb-results a", has_text="قطع شدن اینترنت مودم").count() == 1
    screenshot(page, "portal-kb-search-fa")
    assert_no_horizontal_overflow(page)

    # Open a request through the type's form; suggestions appear while typing the subject.
    with page.expect_navigation():
        page.click("#portal-new")
    page.select_option("#type-select", label="تعمیر مودم")
    with page.expect_navigation():
        page.click("#type-choose")
    page.locator("#id_subject").press_sequentially("مودم اینترنت ندارد", delay=20)
    page.wait_for_selector("#kb-suggested a.kb-suggestion")
    page.fill("[name='fv-serial']", "AB-1234")
    screenshot(page, "portal-new-request-fa")
    assert_no_horizontal_overflow(page)
    with page.expect_navigation():
        page.click("#request-submit")
    ticket = Ticket.objects.get()
    assert ticket.channel == "portal"
    assert ticket.form_values["serial"] == "AB-1234"
    assert page.url.endswith(f"/portal/requests/{ticket.pk}/")

    # An agent replies (service call) and resolves it.
    agent, supervisor = data["agent"], data["supervisor"]
    helpdesk.ticket_assign(ticket=ticket, by=supervisor, assignee=agent, team=data["team"])
    helpdesk.message_add(ticket=Ticket.objects.get(), by=agent, body="سلام، کابل مودم را عوض کردیم.")
    helpdesk.message_add(ticket=Ticket.objects.get(), by=agent, body="یادداشت داخلی محرمانه", kind=Message.Kind.NOTE)
    helpdesk.ticket_resolve(ticket=Ticket.objects.get(), by=supervisor, resolution="کابل تعویض شد.")

    # The customer sees the reply (never the note) and rates it 5.
    page.reload()
    assert page.locator("#conversation", has_text="کابل مودم را عوض کردیم").count() == 1
    assert "یادداشت داخلی محرمانه" not in page.content()
    assert "sara@example.com" not in page.content()
    page.click("label[for='rating-5']")
    page.fill("#id_comment", "عالی بود")
    with page.expect_navigation():
        page.click("#rate-send")
    assert Satisfaction.objects.get(ticket=ticket).rating == 5
    screenshot(page, "portal-request-rated-fa")
    assert_no_horizontal_overflow(page)
    problems.assert_clean()

    # The rating shows in the agent's report.
    staff = new_page(width=360, height=740)
    staff.context.add_cookies([{"name": "django_language", "value": "fa", "url": base}])
    sign_in(staff, supervisor, base)
    staff.goto(f"{base}/reports/satisfaction_per_agent/")
    row = staff.locator("#report-table tbody tr", has_text="سارا رضایی")
    assert row.count() == 1
    assert "۵" in row.inner_text()
    screenshot(staff, "portal-satisfaction-report-fa")
