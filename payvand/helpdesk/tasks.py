"""Background work of the helpdesk: delivering replies, telling requesters, waking postponed tickets."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from payvand.contacts.models import Identity
from payvand.core.errors import PayvandError
from payvand.helpdesk.models import Message, Ticket

log = logging.getLogger(__name__)


def _requester_email(ticket: Ticket) -> str | None:
    identity = (
        Identity.objects.filter(contact_id=ticket.requester_id, kind=Identity.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    return identity.value if identity is not None else None


def _language_for(ticket: Ticket) -> str:
    lang = getattr(ticket.requester, "language", "") or settings.LANGUAGE_CODE
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _portal_links(ticket: Ticket, verb: str = "") -> dict[str, str]:
    """The signed links of the customer portal: follow the request without an account; the survey once resolved."""
    from payvand.portal.links import survey_url, track_url

    links = {"track_url": track_url(ticket)}
    if verb == "ticket.resolved":
        links["survey_url"] = survey_url(ticket)
    return links


@task()
def reply_deliver(message_id: int) -> bool:
    """Send a public reply back the way the customer wrote: SMS or social (messaging), the ticket's mailbox (mail), or
    else plain email to the requester."""
    message = Message.objects.select_related("ticket", "ticket__requester", "author").filter(pk=message_id).first()
    if message is None or message.kind != Message.Kind.REPLY or message.is_draft or message.sent_at is None:
        return False
    ticket = message.ticket
    from payvand.mail.outbound import reply_queue
    from payvand.messaging.services import reply_route

    if reply_route(message=message) is not None:  # SMS, Telegram, WhatsApp: sent (or retried) by messaging
        return True
    if reply_queue(message=message) is not None:  # email through the ticket's mailbox (payvand.mail)
        return True
    to = _requester_email(ticket)
    if to is None:
        log.info("reply %s on ticket %s: the requester has no email address", message.pk, ticket.pk)
        return False
    with translation.override(_language_for(ticket)):
        context = {"ticket": ticket, "message": message, "site": settings.PAYVAND_NAME, **_portal_links(ticket)}
        subject = f"[{ticket.reference}] {ticket.subject}"
        text = render_to_string("helpdesk/email/reply.txt", context)
        html = render_to_string("helpdesk/email/reply.html", context)
    mail = EmailMultiAlternatives(subject, text, None, [to])
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            mail.attach(attachment.name, fh.read(), attachment.content_type)
    mail.send()
    return True


@task()
def requester_status_notify(ticket_id: int, verb: str) -> bool:
    """Tell the requester their ticket was resolved or closed. Once resolved, the satisfaction survey goes by SMS to
    requesters who wrote by SMS or have no email address (payvand.messaging), else as a link in this email."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        return False
    language = _language_for(ticket)
    by_sms = False
    if verb == "ticket.resolved":
        from payvand.messaging.services import survey_sms_send

        try:
            by_sms = survey_sms_send(ticket=ticket, language=language) is not None
        except PayvandError as exc:  # the ticket was merged away meanwhile, say: the email link still asks
            log.warning("ticket %s: no survey by SMS: %s", ticket.pk, exc)
    to = _requester_email(ticket)
    if to is None:
        return by_sms
    links = _portal_links(ticket, "" if by_sms else verb)  # one survey per resolution
    with translation.override(language):
        context = {"ticket": ticket, "verb": verb, "site": settings.PAYVAND_NAME, **links}
        subject = render_to_string("helpdesk/email/status_subject.txt", context).strip()
        text = render_to_string("helpdesk/email/status.txt", context)
    EmailMultiAlternatives(subject, text, None, [to]).send()
    return True


@task()
def postponed_wake_task() -> int:
    from payvand.helpdesk.services import postponed_wake

    return postponed_wake()


@task()
def queues_drain_task() -> int:
    """Assign waiting tickets wherever capacity has freed (a safety net; services drain at once too)."""
    from payvand.accounts.models import Team
    from payvand.helpdesk.routing import queue_drain

    return sum(queue_drain(team=team) for team in Team.objects.all())
