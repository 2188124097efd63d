"""The *SMS to the customer* action sends through the SMS channel (payvand.messaging): a reply with channel SMS on the
ticket, delivered once after commit by the configured backend, retried when the provider fails, nothing sent when
the rule is undone, and a recorded skip for a customer without a number."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.automation import services
from payvand.contacts.models import Contact, Identity
from payvand.helpdesk.models import Message, Ticket
from payvand.helpdesk.tasks import reply_deliver
from payvand.helpdesk.tests.services_support import event_data, ticket_new, verbs
from payvand.messaging import providers
from payvand.messaging import services as messaging
from payvand.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db


class FakeSms:
    """An SMS backend that records what it sends; `failures` makes the next sends fail like a provider that is down."""

    name = "fake"
    sent: list[tuple[str, str]] = []
    failures = 0

    def send(self, *, to: str, text: str) -> str:
        if FakeSms.failures:
            FakeSms.failures -= 1
            raise providers.SendFailed("HTTP 503: down")
        FakeSms.sent.append((to, text))
        return f"fake-{len(FakeSms.sent)}"


@pytest.fixture
def fake_sms(settings: Any, monkeypatch: pytest.MonkeyPatch) -> type[FakeSms]:
    monkeypatch.setitem(providers.SMS_BACKENDS, "fake", FakeSms)
    settings.SMS_BACKEND = "fake"
    FakeSms.sent, FakeSms.failures = [], 0
    return FakeSms


def sms_rule(*actions: dict[str, Any]) -> None:
    services.rule_create(
        by=None,
        data=services.RuleIn(
            name="Text them",
            trigger="ticket.created",
            actions=list(actions) or [{"type": "send_sms", "text": "Dear {customer_name}, we got {ticket_reference}."}],
        ),
    )


def test_a_new_ticket_sends_the_sms_once_as_a_reply_on_the_ticket(
    fake_sms: type[FakeSms], admin_user: User, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    sms_rule()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    text = f"Dear {customer_x.name}, we got {ticket.reference}."
    assert fake_sms.sent == [("+989121234567", text)]
    message = Message.objects.get(ticket=ticket)
    assert (message.kind, message.channel, message.author_id, message.body_text) == ("reply", "sms", None, text)
    outbound = OutboundMessage.objects.get(message=message)
    assert (outbound.state, outbound.provider, outbound.provider_message_id) == ("sent", "fake", "fake-1")
    assert event_data(ticket, "automation.sms_sent") == {
        "rule": event_data(ticket, "automation.fired")["rule"],
        "to": "+989121234567",
        "message": message.pk,
    }
    assert "message.delivered" in verbs(ticket)
    # An automatic text is not the team's first response: the SLA clock goes on.
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is None
    # The delivery task running again (a retried worker) does not send it twice.
    reply_deliver.call(message_id=message.pk)
    assert len(fake_sms.sent) == 1
    assert OutboundMessage.objects.count() == 1


def test_the_ticket_page_shows_it_as_an_automatic_sms(
    fake_sms: type[FakeSms], admin_user: User, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    sms_rule()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    article = html.split(f'id="message-{Message.objects.get(ticket=ticket).pk}"')[1].split("</article>")[0]
    assert 'data-channel="sms"' in article
    assert 'data-delivery="sent"' in article
    assert "Automation" in article
    assert "Automatic SMS to the customer" in html


def test_a_provider_failure_is_retried_and_shown_on_the_ticket(
    fake_sms: type[FakeSms],
    settings: Any,
    admin_user: User,
    customer_x: Contact,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CHANNEL_SEND_ATTEMPTS = 3
    fake_sms.failures = 1
    sms_rule()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    outbound = OutboundMessage.objects.get()
    assert (outbound.state, outbound.attempts, outbound.last_error) == ("pending", 1, "HTTP 503: down")
    assert "message.delivery_retry" in verbs(ticket)
    assert "automation.fired" in verbs(ticket)  # the provider's failure does not undo the rule
    assert messaging.outbound_retry_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == ("sent", 2)
    assert len(fake_sms.sent) == 1


def test_a_rule_that_fails_later_sends_nothing(
    fake_sms: type[FakeSms], admin_user: User, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    sms_rule({"type": "send_sms", "text": "Hello"}, {"type": "notify", "value": "assignee", "text": "x"})
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    assert event_data(ticket, "automation.failed")["action"] == 1
    assert "automation.sms_sent" not in verbs(ticket)
    assert not Message.objects.filter(ticket=ticket).exists()
    assert fake_sms.sent == []


def test_no_phone_is_a_recorded_skip(
    fake_sms: type[FakeSms], admin_user: User, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    Identity.objects.filter(contact=customer_x, kind="phone").delete()
    sms_rule({"type": "send_sms", "text": "Hello"}, {"type": "add_tag", "value": "texted"})
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    assert event_data(ticket, "automation.sms_skipped")["reason"] == "The customer has no phone number."
    assert event_data(ticket, "automation.fired")["actions"] == ["send_sms", "add_tag"]
    assert set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == {"texted"}
    assert not Message.objects.filter(ticket=ticket).exists()
    assert fake_sms.sent == []


def test_the_console_backend_prints_it(
    settings: Any, admin_user: User, customer_x: Contact, django_capture_on_commit_callbacks: Any, capsys: Any
) -> None:
    settings.SMS_BACKEND = "console"
    sms_rule()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    assert f"SMS to +989121234567:\nDear {customer_x.name}, we got {ticket.reference}." in capsys.readouterr().out
    assert OutboundMessage.objects.get().state == "sent"


def test_a_macro_texts_as_the_agent(
    fake_sms: type[FakeSms],
    supervisor: User,
    team_a: Team,
    customer_x: Contact,
    django_capture_on_commit_callbacks: Any,
) -> None:
    macro = services.macro_create(
        by=supervisor,
        data=services.MacroIn(name="Text", body="", actions=[{"type": "send_sms", "text": "About {ticket_reference}"}]),
    )
    ticket = ticket_new(by=supervisor, requester=customer_x, team=team_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.macro_apply(macro=macro, ticket=ticket, by=supervisor)
    message = Message.objects.get(ticket=ticket)
    assert (message.channel, message.author_id) == ("sms", supervisor.pk)
    assert fake_sms.sent == [("+989121234567", f"About {ticket.reference}")]
