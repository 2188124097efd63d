"""Email going out: replies to tickets and acknowledgements of new requests, through the mailbox's SMTP server.

Each email is an OutboundEmail row first (its Message-ID, In-Reply-To and References fixed then, so the customer's
answer threads back), sent after the commit by a task. A failed send is retried with backoff (1, 2, 4, 8 … minutes,
at most an hour apart) by the scheduler's `mail.outbound_retry` job, each failure written on the ticket's timeline;
after MAX_ATTEMPTS it is marked failed. The bytes sent are kept as the sent copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from payvand.contacts.models import Identity
from payvand.core import batch
from payvand.core.services import event_record
from payvand.helpdesk.models import Message, Ticket
from payvand.mail.models import AckTemplate, InboundEmail, Mailbox, OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def _message_id(ticket: Ticket, mailbox: Mailbox | None) -> str:
    domain = (mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL).rsplit("@", 1)[-1].strip("> ")
    return f"<payvand.{ticket.number}.{secrets.token_hex(8)}@{domain or 'localhost'}>"


def _threading(ticket: Ticket) -> tuple[str, str]:
    """(In-Reply-To, References) for a new email on the ticket: the customer's latest mail, and the chain of the
    ticket's mails before it (ours and theirs, oldest first, at most 20)."""
    inbound = list(
        InboundEmail.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .order_by("-received_at", "-pk")
        .values_list("message_id", "received_at")[:10]
    )
    ours = list(
        OutboundEmail.objects.filter(ticket=ticket)
        .order_by("-created_at", "-pk")
        .values_list("message_id", "created_at")[:10]
    )
    chain = [mid for mid, _at in sorted([*inbound, *ours], key=lambda pair: pair[1])]
    in_reply_to = inbound[0][0] if inbound else (chain[-1] if chain else "")
    refs = [m for m in chain if m != in_reply_to][-19:] + ([in_reply_to] if in_reply_to else [])
    return in_reply_to, " ".join(refs)


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The mailbox the customer last wrote to on this ticket; else, for an email ticket, the first active one."""
    mailbox_id = InboundEmail.objects.filter(ticket=ticket).order_by("-pk").values_list("mailbox_id", flat=True).first()
    if mailbox_id is not None:
        return Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    return Mailbox.objects.filter(is_active=True).order_by("pk").first()


def _requester_address(ticket: Ticket) -> str | None:
    identity = (
        Identity.objects.filter(contact_id=ticket.requester_id, kind=Identity.Kind.EMAIL, is_bouncing=False)
        .order_by("-is_primary", "id")
        .first()
    )
    return identity.value if identity is not None else None


def _language(ticket: Ticket, mailbox: Mailbox | None) -> str:
    lang = (
        InboundEmail.objects.filter(ticket=ticket)
        .exclude(language="")
        .order_by("-pk")
        .values_list("language", flat=True)
        .first()
    )
    lang = lang or (mailbox.language if mailbox else settings.LANGUAGE_CODE)
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _enqueue(outbound_id: int) -> None:
    from payvand.mail.tasks import outbound_send_task

    outbound_send_task.enqueue(outbound_id=outbound_id)


def enqueue_many(outbound_ids: list[int]) -> None:
    """One task for many emails (the acknowledgements of a batch of imported mail), not a task row per email."""
    from payvand.mail.tasks import outbound_send_many_task

    if outbound_ids:
        outbound_send_many_task.enqueue(outbound_ids=outbound_ids)


def reply_queue(*, message: Message) -> OutboundEmail | None:
    """Email a public reply to the requester through the ticket's mailbox. None when no mailbox is set up or the
    requester has no (working) address: the helpdesk's own delivery applies."""
    ticket = message.ticket
    mailbox = mailbox_for_ticket(ticket)
    to = _requester_address(ticket)
    if mailbox is None or to is None:
        return None
    existing = OutboundEmail.objects.filter(ticket_message=message, kind=OutboundEmail.Kind.REPLY).first()
    if existing is not None:  # the delivery task ran twice: one email
        return existing
    lang = _language(ticket, mailbox)
    with translation.override(lang):
        context = {"ticket": ticket, "message": message, "site": settings.PAYVAND_NAME}
        text = render_to_string("helpdesk/email/reply.txt", context)
        html = render_to_string("mail/reply.html", context)
    in_reply_to, references = _threading(ticket)
    with transaction.atomic():
        out = OutboundEmail.objects.create(
            mailbox=mailbox,
            ticket=ticket,
            ticket_message=message,
            kind=OutboundEmail.Kind.REPLY,
            message_id=_message_id(ticket, mailbox),
            in_reply_to=in_reply_to,
            references=references,
            to_address=to,
            subject=f"Re: [{ticket.reference}] {ticket.subject}"[:300],
            body_text=text,
            body_html=html,
            language=lang,
        )
        transaction.on_commit(lambda: _enqueue(out.pk))
    return out


def ack_queue(
    *,
    mailbox: Mailbox,
    ticket: Ticket,
    to: str,
    language: str,
    inbound: InboundEmail | None,
    send_after_commit: bool = True,
) -> OutboundEmail:
    """Acknowledge a new request: the mailbox's template in the customer's language (else the mailbox's, else the
    built-in text), with the ticket reference. Call inside the processing transaction."""
    templates = batch.memo(
        ("mail.ack_templates", mailbox.pk), lambda: {t.language: t for t in AckTemplate.objects.filter(mailbox=mailbox)}
    )
    template = templates.get(language) or templates.get(mailbox.language)
    lang = template.language if template is not None else (language or mailbox.language)
    values = {"reference": ticket.reference, "subject": ticket.subject, "name": ticket.requester.name}
    with translation.override(lang):
        if template is not None:
            subject = _fill(template.subject, values)
            text = _fill(template.body, values)
        else:
            subject = _fill("[{reference}] {subject}", values)
            text = _(
                "Hello {name},\n\nwe received your message and registered it as request {reference}. "
                "Keep the reference in the subject when you write about it again.\n"
            ).format(**values)
        html = render_to_string("mail/ack.html", {"text": text, "ticket": ticket, "site": settings.PAYVAND_NAME})
    in_reply_to = inbound.message_id if inbound is not None else ""
    out = OutboundEmail.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        kind=OutboundEmail.Kind.ACK,
        message_id=_message_id(ticket, mailbox),
        in_reply_to=in_reply_to,
        references=in_reply_to,
        to_address=to,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        language=lang,
    )
    if send_after_commit:
        pk = out.pk
        transaction.on_commit(lambda: _enqueue(pk))
    return out


def _fill(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def _build(out: OutboundEmail) -> EmailMultiAlternatives:
    mailbox = out.mailbox
    address = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    sender = formataddr((mailbox.from_name or mailbox.name, address)) if mailbox else address
    headers = {"Message-ID": out.message_id}
    if out.in_reply_to:
        headers["In-Reply-To"] = out.in_reply_to
    if out.references:
        headers["References"] = out.references
    if out.kind == out.Kind.ACK:  # RFC 3834: no mailer answers an automatic answer
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    mail = EmailMultiAlternatives(
        out.subject, out.body_text, sender, [out.to_address], reply_to=[address], headers=headers
    )
    if out.body_html:
        mail.attach_alternative(out.body_html, "text/html")
    if out.ticket_message is not None:
        for attachment in out.ticket_message.attachments.all():
            with attachment.file.open("rb") as fh:
                mail.attach(attachment.name, fh.read(), attachment.content_type)
    return mail


def _backend(mailbox: Mailbox) -> EmailBackend:
    return EmailBackend(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_user or None,
        password=mailbox.smtp_password or None,
        use_tls=mailbox.smtp_security == Mailbox.Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Mailbox.Security.SSL,
        timeout=30,
        alias=f"mailbox-{mailbox.pk}",
    )


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


CLAIM = dt.timedelta(minutes=10)


def _claim(outbound_id: int, now: dt.datetime) -> bool:
    """Take the email for sending (one sender at a time). The claim doubles as the next attempt's time: a sender that
    dies mid-send leaves the email to the retry job ten minutes later."""
    return bool(
        OutboundEmail.objects.filter(pk=outbound_id, status=OutboundEmail.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + CLAIM)
    )


def outbound_send(*, outbound_id: int, now: dt.datetime | None = None) -> OutboundEmail | None:
    """Send one queued email (once: a sent one is left alone). The SMTP conversation runs outside any transaction.
    On failure count the attempt, plan the next one and write the failure on the ticket."""
    if not _claim(outbound_id, now or timezone.now()):
        return OutboundEmail.objects.filter(pk=outbound_id).first()
    out = (
        OutboundEmail.objects.select_related("mailbox", "ticket", "ticket__requester", "ticket_message")
        .filter(pk=outbound_id)
        .first()
    )
    if out is None:
        return None
    try:
        mail = _build(out)
        raw = mail.message().as_bytes()
        if out.mailbox is not None and out.mailbox.smtp_host:
            _backend(out.mailbox).send_messages([mail])
        else:
            mail.send()
    except Exception as exc:
        log.warning("outbound email %s failed (attempt %s): %s", out.pk, out.attempts + 1, exc)
        return _failed(out, exc)
    with transaction.atomic():
        out.attempts += 1
        out.status = OutboundEmail.Status.SENT
        out.sent_at = timezone.now()
        out.raw = raw
        out.last_error = ""
        out.next_attempt_at = None
        out.save(update_fields=["attempts", "status", "sent_at", "raw", "last_error", "next_attempt_at"])
        event_record(
            actor=None,
            verb="mail.acknowledged" if out.kind == OutboundEmail.Kind.ACK else "mail.sent",
            target=out.ticket,
            contact=out.ticket.requester,
            data={"outbound": out.pk, "to": out.to_address, "message_id": out.message_id},
        )
    return out


def _failed(out: OutboundEmail, exc: Exception) -> OutboundEmail:
    with transaction.atomic():
        out.attempts += 1
        out.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
        final = out.attempts >= MAX_ATTEMPTS
        out.status = OutboundEmail.Status.FAILED if final else OutboundEmail.Status.QUEUED
        out.next_attempt_at = None if final else timezone.now() + backoff(out.attempts)
        out.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        event_record(
            actor=None,
            verb="mail.send_failed",
            target=out.ticket,
            contact=out.ticket.requester,
            data={
                "outbound": out.pk,
                "to": out.to_address,
                "attempt": out.attempts,
                "final": final,
                "error": out.last_error[:300],
            },
        )
    return out


def outbound_retry_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    now = now or timezone.now()
    ids = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - CLAIM))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        outbound_send(outbound_id=pk, now=now)
    return len(ids)
