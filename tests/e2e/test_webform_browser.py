"""A customer fills in the public web form of a ticket type in Persian on a 360 px phone (right to left, the type's
own fields); the agent then finds the new web ticket in their cartable and opens it. Screenshots:
test-artifacts/screenshots/webform-*-fa.png."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.accounts import roles
from payvand.accounts.models import Team
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.forms.services import form_create
from payvand.helpdesk.models import RoutingRule, Ticket, TicketType
from payvand.messaging.models import WebForm
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SPEC = {
    "sections": [
        {
            "title": "دستگاه",
            "fields": [
                {"name": "serial", "kind": "text", "label": "شماره سریال", "required": True},
                {
                    "name": "model",
                    "kind": "choice",
                    "label": "مدل",
                    "choices": [{"value": "a", "label": "مودم"}, {"value": "b", "label": "روتر"}],
                },
            ],
        }
    ]
}


def test_a_customer_sends_the_web_form_in_persian_and_the_agent_sees_it_in_the_cartable(
    live_server: Any, new_page: Any, screenshot: Any
) -> None:
    base = live_server.url
    roles_ensure()
    agent = user_create(
        email="agent.web@example.com",
        password="pw-Secret-123",
        full_name="کارشناس وب",
        role_names=[roles.AGENT],
        language="fa",
    )
    team = Team.objects.create(name="پشتیبانی", capacity=20, capacity_per_member=5)
    team_add_member(team=team, user=agent, by=None)
    RoutingRule.objects.create(name="وب", channel="web", team=team)
    ticket_type = TicketType.objects.create(name="تعمیر", form=form_create(by=None, name="تعمیر", spec=SPEC))
    WebForm.objects.create(
        ticket_type=ticket_type,
        slug="repair",
        title="درخواست تعمیر",
        intro="مشکل دستگاه خود را بنویسید.",
        thanks="به زودی با شما تماس می‌گیریم.",
    )

    problems = PageProblems()
    visitor = new_page(width=360, height=740, problems=problems)
    visitor.context.add_cookies([{"name": "django_language", "value": "fa", "url": base}])
    visitor.goto(f"{base}/f/repair/")
    assert visitor.get_attribute("html", "dir") == "rtl"
    assert_no_horizontal_overflow(visitor)
    visitor.fill("#id_name", "بهار کریمی")
    visitor.fill("#id_phone", "۰۹۱۲۳۴۵۶۷۸۹")
    visitor.fill("#id_subject", "مودم روشن نمی‌شود")
    visitor.fill("#id_description", "از دیروز چراغ‌ها خاموش است.")
    # Sent without the serial first: the type form's own error, the input kept.
    visitor.click("#webform-send")
    visitor.wait_for_selector("#webform")
    assert Ticket.objects.count() == 0
    assert visitor.input_value("#id_subject") == "مودم روشن نمی‌شود"
    assert "برخی از فیلدها معتبر نیستند." in visitor.inner_text("#webform")
    screenshot(visitor, "webform-error-360-fa")
    # That 422 was the form error we asked for, not a broken page.
    problems.failed[:] = [f for f in problems.failed if not f.startswith("422 ") or "/f/repair/" not in f]
    problems.console_errors[:] = [e for e in problems.console_errors if "status of 422" not in e]
    visitor.fill("[name=fv-serial]", "SN-4411")
    visitor.click("#webform-send")
    visitor.wait_for_selector("#webform-done")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.team_id, ticket.form_values["serial"]) == ("web", team.pk, "SN-4411")
    assert ticket.requester.identities.filter(kind="phone", value="+989123456789").exists()
    done = visitor.inner_text("#webform-done")
    assert str(ticket.number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in done
    assert_no_horizontal_overflow(visitor)
    screenshot(visitor, "webform-done-360-fa")

    page = new_page(problems=problems)
    sign_in(page, agent, base)
    page.goto(f"{base}/cartable/")
    assert page.get_attribute("html", "dir") == "rtl"
    row = page.locator("text=مودم روشن نمی‌شود").first
    row.wait_for()
    screenshot(page, "webform-cartable-fa")
    row.click()
    page.wait_for_url(f"**/tickets/{ticket.pk}/**")
    page.wait_for_selector("text=SN-4411")
    assert "فرم وب" in page.inner_text("body")  # the channel, in Persian
    screenshot(page, "webform-ticket-fa")
    problems.assert_clean()


def test_a_telegram_ticket_shows_its_messenger_and_the_reply_delivery_in_persian_on_a_phone(
    live_server: Any, new_page: Any, screenshot: Any, settings: Any
) -> None:
    from payvand.helpdesk.services import message_add
    from payvand.messaging.models import InboundMessage
    from payvand.messaging.providers import InboundItem
    from payvand.messaging.services import inbound_process

    settings.TELEGRAM_BOT_TOKEN = "1:X"
    settings.TELEGRAM_WEBHOOK_SECRET = "s"
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"  # nothing listens: the reply's delivery fails and waits
    base = live_server.url
    roles_ensure()
    agent = user_create(
        email="agent.tg@example.com",
        password="pw-Secret-123",
        full_name="کارشناس تلگرام",
        role_names=[roles.AGENT],
        language="fa",
    )
    team = Team.objects.create(name="پشتیبانی", capacity=20, capacity_per_member=5)
    team_add_member(team=team, user=agent, by=None)
    RoutingRule.objects.create(name="شبکه‌های اجتماعی", channel="social", team=team)
    item = InboundItem(provider_message_id="501", sender="777001", text="سلام، فاکتور این ماه نرسیده", name="نیما")
    inbound = InboundMessage.objects.create(
        provider="telegram", kind="telegram", provider_message_id="501", sender="777001", raw="{}", data=item.as_data()
    )
    processed = inbound_process(inbound_id=inbound.pk)
    assert processed is not None
    assert processed.ticket_message is not None
    ticket = processed.ticket_message.ticket
    message_add(ticket=ticket, by=agent, body="فاکتور دوباره فرستاده شد.")  # delivered after commit: it fails

    problems = PageProblems()
    page = new_page(width=360, height=740, problems=problems)
    sign_in(page, agent, base)
    page.goto(f"{base}/tickets/{ticket.pk}/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.wait_for_selector(".pv-channel")
    assert "تلگرام" in page.inner_text(f"#message-{processed.ticket_message.pk}")
    page.wait_for_selector("[data-delivery='pending']")
    assert_no_horizontal_overflow(page)
    screenshot(page, "channels-telegram-ticket-360-fa")
    problems.assert_clean()
