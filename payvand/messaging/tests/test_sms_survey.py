"""The satisfaction survey by SMS: sent when a request that came by SMS (or whose requester has only a phone) is
resolved, in the customer's language; an SMS answer from that number while the survey is pending becomes the
request's rating, the same record the email and portal surveys write; unclear answers are asked again once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payvand.accounts.models import User
from payvand.contacts.models import Contact
from payvand.contacts.services import contact_create
from payvand.core.models import Event
from payvand.helpdesk import services as helpdesk_services
from payvand.helpdesk.models import Channel, Message, Ticket
from payvand.messaging import services
from payvand.messaging.models import InboundMessage, SmsSurvey
from payvand.messaging.tests.conftest import FakeApi
from payvand.portal.models import Satisfaction
from payvand.portal.reports import report_satisfaction_per_agent

pytestmark = pytest.mark.django_db

_seq = iter(range(1, 10_000))


def _sms_in(text: str, sender: str = "09121234567", capture: Any = None) -> InboundMessage:
    mid = f"s-{next(_seq)}"
    raw = json.dumps({"id": mid, "from": sender, "text": text}).encode()
    sig = hmac.new(b"generic-secret", raw, hashlib.sha256).hexdigest()
    with capture(execute=True):
        response = Client().post(
            "/hooks/sms/generic/", raw, content_type="application/json", headers={"X-Payvand-Signature": sig}
        )
    assert response.status_code == 200, response.content
    return InboundMessage.objects.get(provider_message_id=mid)


def _sent(api: FakeApi) -> list[dict[str, Any]]:
    return [s.json() for s in api.seen if s.path == "/generic/send"]


@pytest.fixture
def sms_out(channels_on: FakeApi, settings: Any) -> FakeApi:
    settings.SMS_BACKEND = "generic"
    channels_on.on("/generic/send", body={"id": "out-1"})
    return channels_on


def _resolve(ticket: Ticket, by: User, capture: Any) -> None:
    with capture(execute=True):
        helpdesk_services.ticket_resolve(ticket=Ticket.objects.get(pk=ticket.pk), by=by, resolution="Fixed.")


@pytest.fixture
def resolved(
    sms_out: FakeApi, customer_x: Contact, supervisor: User, django_capture_on_commit_callbacks: Any
) -> Ticket:
    """customer_x wrote by SMS (they also have an email address); the request is resolved."""
    _sms_in("My router is dead", capture=django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    _resolve(ticket, supervisor, django_capture_on_commit_callbacks)
    return ticket


def test_it_sends_the_survey_by_sms_when_a_request_that_came_by_sms_is_resolved(
    resolved: Ticket, sms_out: FakeApi, mailoutbox: list[Any]
) -> None:
    [question] = _sent(sms_out)
    assert question["to"] == "+989121234567"
    assert resolved.reference in question["text"]
    assert "1 (bad) to 5 (very good)" in question["text"]
    survey = SmsSurvey.objects.get(ticket=resolved)
    assert survey.phone == "+989121234567"
    assert survey.answered_at is None
    assert survey.expires_at - survey.sent_at == dt.timedelta(days=60)  # as long as the email survey link
    # The question is an automatic SMS reply on the ticket (history, delivery state), not a first response.
    assert survey.message is not None
    assert (survey.message.kind, survey.message.channel) == ("reply", "sms")
    assert Ticket.objects.get(pk=resolved.pk).first_response_at is None
    assert Event.objects.filter(verb="satisfaction.sms_sent", target_id=str(resolved.pk)).exists()
    # One survey per resolution: the "resolved" email still goes, without the survey link.
    [mail] = [m for m in mailoutbox if resolved.reference in m.subject]
    assert "/portal/survey/" not in mail.body
    assert "/portal/track/" in mail.body


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("سلام، اینترنت من قطع است", "fa", "از ۱ (بد) تا ۵ (عالی)"),
        ("Szia, nem működik az internet", "hu", "1 (rossz) és 5 (nagyon jó) közötti"),
        ("Hello, my internet is down", "en", "1 (bad) to 5 (very good)"),
    ],
)
def test_it_asks_in_the_language_the_customer_wrote_in(
    sms_out: FakeApi,
    supervisor: User,
    django_capture_on_commit_callbacks: Any,
    text: str,
    language: str,
    expected: str,
) -> None:
    _sms_in(text, sender="+36301112233", capture=django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    _resolve(ticket, supervisor, django_capture_on_commit_callbacks)
    [question] = _sent(sms_out)
    assert expected in question["text"]
    assert SmsSurvey.objects.get().language == language


@pytest.mark.parametrize(
    ("answer", "rating", "comment"),
    [
        ("5", 5, ""),
        ("۵", 5, ""),
        ("4 thanks", 4, "thanks"),
        ("٣ خوب بود ولی دیر", 3, "خوب بود ولی دیر"),
        ("  2, too slow ", 2, "too slow"),
        ("۱- افتضاح", 1, "افتضاح"),
    ],
)
def test_an_sms_answer_becomes_the_rating_on_the_ticket_not_a_new_ticket(
    resolved: Ticket,
    supervisor: User,
    django_capture_on_commit_callbacks: Any,
    answer: str,
    rating: int,
    comment: str,
) -> None:
    messages_before = Message.objects.count()
    inbound = _sms_in(answer, capture=django_capture_on_commit_callbacks)
    assert inbound.state == InboundMessage.State.PROCESSED
    assert inbound.ticket_message is None
    assert inbound.survey == SmsSurvey.objects.get(ticket=resolved)
    satisfaction = Satisfaction.objects.get(ticket=resolved)
    assert (satisfaction.rating, satisfaction.comment) == (rating, comment)
    assert satisfaction.contact == resolved.requester
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == messages_before
    assert Ticket.objects.get(pk=resolved.pk).status_category == "resolved"  # not reopened
    assert SmsSurvey.objects.get(ticket=resolved).answered_at is not None
    assert Event.objects.filter(verb="satisfaction.answered", target_id=str(resolved.pk)).exists()


def test_the_sms_rating_shows_on_the_ticket_page_and_in_the_reports(
    resolved: Ticket, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_in("4 خوب بود", capture=django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(supervisor)
    page = client.get(reverse("helpdesk:detail", args=[resolved.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="ticket-satisfaction"' in html
    assert "خوب بود" in html
    [row] = report_satisfaction_per_agent(user=supervisor)
    assert (row["answers"], row["average"]) == (1, 4.0)


def test_a_bare_number_out_of_range_is_asked_again_once_then_is_a_normal_message(
    resolved: Ticket, sms_out: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    first = _sms_in("9", capture=django_capture_on_commit_callbacks)
    assert first.state == InboundMessage.State.PROCESSED
    assert first.survey is not None  # kept with the survey it answered, and on the ticket's history
    assert not Satisfaction.objects.exists()
    assert Ticket.objects.count() == 1
    again = _sent(sms_out)[-1]
    assert "did not understand" in again["text"]
    assert resolved.reference in again["text"]
    event = Event.objects.get(verb="satisfaction.sms_unclear", target_id=str(resolved.pk))
    assert event.data["text"] == "9"
    # A second unclear number is for the agents: a normal message (a new request, as the old one is resolved).
    second = _sms_in("10", capture=django_capture_on_commit_callbacks)
    assert second.survey is None
    assert second.ticket_message is not None
    assert second.ticket_message.body_text == "10"
    assert len(_sent(sms_out)) == 2  # not asked a third time
    # The survey is still open: a real rating later still counts.
    _sms_in("۴", capture=django_capture_on_commit_callbacks)
    assert Satisfaction.objects.get(ticket=resolved).rating == 4


@pytest.mark.parametrize("text", ["abc", "123 is my order number", "five", "0 the router is still broken"])
def test_a_text_that_is_no_rating_is_a_normal_message(
    resolved: Ticket, sms_out: FakeApi, django_capture_on_commit_callbacks: Any, text: str
) -> None:
    inbound = _sms_in(text, capture=django_capture_on_commit_callbacks)
    assert inbound.survey is None
    assert inbound.ticket_message is not None
    assert inbound.ticket_message.body_text == text
    assert not Satisfaction.objects.exists()
    assert SmsSurvey.objects.get().answered_at is None
    assert len(_sent(sms_out)) == 1  # no re-ask for text


def test_an_answer_after_the_survey_expired_or_was_answered_is_a_normal_message(
    resolved: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_in("5", capture=django_capture_on_commit_callbacks)
    answered = _sms_in("3", capture=django_capture_on_commit_callbacks)  # answered already: not a second rating
    assert answered.ticket_message is not None
    assert Satisfaction.objects.get().rating == 5
    # A fresh survey that has expired.
    SmsSurvey.objects.update(answered_at=None, expires_at=timezone.now() - dt.timedelta(minutes=1))
    Satisfaction.objects.all().delete()
    late = _sms_in("4", capture=django_capture_on_commit_callbacks)
    assert late.survey is None
    assert late.ticket_message is not None
    assert not Satisfaction.objects.exists()


def test_an_answer_rated_through_the_email_link_first_is_not_taken_twice(
    resolved: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    from payvand.portal.services import satisfaction_answer

    satisfaction_answer(ticket=Ticket.objects.get(pk=resolved.pk), contact=resolved.requester, rating=2)
    inbound = _sms_in("5", capture=django_capture_on_commit_callbacks)
    assert inbound.survey is None
    assert Satisfaction.objects.get().rating == 2


def test_a_reopened_request_has_no_pending_survey(
    resolved: Ticket, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk_services.ticket_reopen(ticket=Ticket.objects.get(pk=resolved.pk), by=supervisor, reason="no")
    inbound = _sms_in("5", capture=django_capture_on_commit_callbacks)
    assert inbound.survey is None
    assert inbound.ticket_message is not None
    assert inbound.ticket_message.ticket_id == resolved.pk  # threaded onto the open request as usual
    assert not Satisfaction.objects.exists()


def test_an_answer_from_another_number_is_not_a_rating(
    resolved: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    inbound = _sms_in("5", sender="09350000001", capture=django_capture_on_commit_callbacks)
    assert inbound.survey is None
    assert not Satisfaction.objects.exists()


def test_who_gets_the_survey_by_sms(
    sms_out: FakeApi,
    settings: Any,
    supervisor: User,
    customer_x: Contact,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # An email request of someone with an email address: the survey link goes by email only.
    email_ticket = helpdesk_services.ticket_create(
        by=supervisor, subject="By mail", requester=customer_x, channel=Channel.EMAIL
    )
    _resolve(email_ticket, supervisor, django_capture_on_commit_callbacks)
    assert _sent(sms_out) == []
    assert "/portal/survey/" in mailoutbox[-1].body
    # A phone call from someone with only a phone number: by SMS.
    phone_only = contact_create(by=None, name="Phone Only", phones=["+36 30 999 8877"], allow_duplicates=True)
    call = helpdesk_services.ticket_create(by=supervisor, subject="Called", requester=phone_only, channel=Channel.PHONE)
    _resolve(call, supervisor, django_capture_on_commit_callbacks)
    assert [s["to"] for s in _sent(sms_out)] == ["+36309998877"]
    # Switched off: nobody gets it by SMS.
    settings.SATISFACTION_SMS = False
    other = helpdesk_services.ticket_create(
        by=supervisor, subject="Called again", requester=phone_only, channel=Channel.PHONE
    )
    _resolve(other, supervisor, django_capture_on_commit_callbacks)
    assert len(_sent(sms_out)) == 1
    assert not SmsSurvey.objects.filter(ticket=other).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", (5, "")),
        ("۵", (5, "")),
        ("٥", (5, "")),
        ("4 thanks", (4, "thanks")),
        ("4thanks", (4, "thanks")),
        ("3.", (3, "")),
        ("۲، کند بود", (2, "کند بود")),
        ("9", (None, "")),
        ("0", (None, "")),
        ("10", (None, "")),
        ("4.5", (None, "")),
        ("۴٫۵", (None, "")),
        ("abc", None),
        ("", None),
        ("123 is my order", None),
        ("09121234567", None),
        ("-5", None),
    ],
)
def test_it_reads_survey_answers(text: str, expected: Any) -> None:
    assert services.survey_rating_parse(text) == expected


def test_the_email_link_still_asks_when_the_survey_sms_cannot_be_written(
    sms_out: FakeApi,
    customer_x: Contact,
    supervisor: User,
    mailoutbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from payvand.core.errors import Conflict

    _sms_in("help", capture=django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()

    def refuse(**kwargs: Any) -> Any:
        raise Conflict(detail="merged")

    monkeypatch.setattr(services, "survey_sms_send", lambda **kwargs: refuse())
    _resolve(ticket, supervisor, django_capture_on_commit_callbacks)
    assert _sent(sms_out) == []
    assert "/portal/survey/" in mailoutbox[-1].body
