"""Every write of the channels: storing inbound messages raw, turning them into ticket messages, delivering replies,
taking web-form submissions."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from payvand.contacts import selectors as contact_selectors
from payvand.contacts import services as contact_services
from payvand.contacts.models import Contact, Identity
from payvand.contacts.normalize import normalize_email, normalize_phone
from payvand.core import selectors as core_selectors
from payvand.core.errors import FieldError, ValidationFailed
from payvand.core.localization import language_guess, to_ascii_digits
from payvand.core.services import event_record
from payvand.helpdesk import services as helpdesk_services
from payvand.helpdesk.models import ACTIVE_CATEGORIES, Attachment, Channel, Message, StatusCategory, Ticket
from payvand.messaging import providers
from payvand.messaging.models import (
    HELPDESK_CHANNEL,
    ChannelIdentity,
    InboundMessage,
    Kind,
    OutboundMessage,
    SmsSurvey,
    WebForm,
    WebFormHit,
)

log = logging.getLogger(__name__)

SUBJECT_LENGTH = 80


# ---------------------------------------------------------------------------------------------- identities


def _address_of(kind: str, raw: str) -> str:
    """The canonical address of a sender: E.164 for phones, the chat id for Telegram. Raises ValueError."""
    if kind in (Kind.SMS, Kind.WHATSAPP):
        return normalize_phone(raw)
    text = raw.strip()
    if not text.lstrip("-").isdigit() or len(text) > 32:
        raise ValueError("not a Telegram chat id")
    return text


def channel_identity_resolve(*, kind: str, raw_address: str, name: str = "") -> ChannelIdentity:
    """The sender's identity on the channel: known already, or found by phone among the contacts (R-003.5), or a new
    contact is created for them. Runs inside the caller's transaction."""
    address = _address_of(kind, raw_address)
    identity = ChannelIdentity.objects.select_related("contact").filter(kind=kind, address=address).first()
    now = timezone.now()
    if identity is not None:
        ChannelIdentity.objects.filter(pk=identity.pk).update(last_seen_at=now)
        return identity
    contact: Contact | None = None
    if kind in (Kind.SMS, Kind.WHATSAPP):
        found = contact_selectors.contact_lookup_unscoped(phone=address)
        contact = found[0] if found else None
    else:
        contact = Contact.objects.filter(identities__kind=Identity.Kind.TELEGRAM, identities__value=address).first()
    if contact is None:
        label = name.strip()[:200] or address
        if kind == Kind.TELEGRAM:
            contact = contact_services.contact_create(by=None, name=label, source="telegram", allow_duplicates=True)
            Identity.objects.get_or_create(
                contact=contact, kind=Identity.Kind.TELEGRAM, value=address, defaults={"is_primary": True}
            )
        else:
            contact = contact_services.contact_create(
                by=None, name=label, phones=[address], source=str(kind), allow_duplicates=True
            )
    if kind == Kind.WHATSAPP:
        Identity.objects.get_or_create(contact=contact, kind=Identity.Kind.WHATSAPP, value=address)
    try:
        with transaction.atomic():
            return ChannelIdentity.objects.create(
                kind=kind, address=address, contact=contact, display_name=name[:200], last_seen_at=now
            )
    except IntegrityError:
        return ChannelIdentity.objects.select_related("contact").get(kind=kind, address=address)


# ---------------------------------------------------------------------------------------------- inbound


def inbound_store(
    *, provider: str, kind: str, items: Iterable[providers.InboundItem], raw: str, content_type: str = ""
) -> list[InboundMessage]:
    """Store each message of a webhook raw, once: a repeat of (provider, provider message id) is not stored again.
    Processing is queued after the commit; the webhook answers 2xx only once this returned."""
    created: list[InboundMessage] = []
    with transaction.atomic():
        for item in items:
            inbound, is_new = InboundMessage.objects.get_or_create(
                provider=provider,
                provider_message_id=item.provider_message_id.replace("\x00", "\ufffd")[:200],
                defaults={
                    "kind": kind,
                    "sender": item.sender.replace("\x00", "")[:64],
                    "raw": raw.replace("\x00", "\ufffd"),
                    "content_type": content_type[:100],
                    "data": item.as_data(),
                },
            )
            if is_new:
                created.append(inbound)
    from payvand.messaging.tasks import inbound_process_task

    for inbound in created:
        transaction.on_commit(partial(inbound_process_task.enqueue, inbound_id=inbound.pk))
    return created


def _subject(text: str, sender: str, kind: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first:
        return first if len(first) <= SUBJECT_LENGTH else first[: SUBJECT_LENGTH - 1] + "…"
    return _("Message by %(channel)s from %(sender)s") % {"channel": Kind(kind).label, "sender": sender}


def _fetch_files(inbound: InboundMessage) -> list[UploadedFile]:
    refs = [providers.FileRef(**f) for f in (inbound.data or {}).get("files", [])]
    if not refs:
        return []
    out: list[UploadedFile] = []
    for n, ref in enumerate(refs):
        if inbound.provider == "twilio":
            content = providers.twilio_download(ref)
        else:
            source = providers.downloader(inbound.provider)
            if source is None:
                continue
            content = source.download(ref)
        if len(content) > settings.ATTACHMENT_MAX_BYTES:
            raise providers.SendFailed(f"file {n} is larger than ATTACHMENT_MAX_BYTES")
        name = ref.name or f"file-{n + 1}"
        out.append(SimpleUploadedFile(name, content, content_type=ref.content_type or "application/octet-stream"))
    return out


def _open_ticket(contact: Contact, channel: str) -> Ticket | None:
    """The sender's open ticket on this channel: the newest active one, not merged away."""
    return (
        Ticket.objects.filter(
            requester=contact, channel=channel, status_category__in=ACTIVE_CATEGORIES, merged_into__isnull=True
        )
        .order_by("-updated_at", "-id")
        .first()
    )


def inbound_process(*, inbound_id: int) -> InboundMessage | None:
    """Turn a stored message into a ticket message: the sender's identity, their open ticket on the channel (else a
    new ticket), the files. Safe to run twice; a failure is recorded on the row (an admin reprocesses it)."""
    inbound = InboundMessage.objects.filter(pk=inbound_id).first()
    if inbound is None or inbound.state == InboundMessage.State.PROCESSED:
        return inbound
    InboundMessage.objects.filter(pk=inbound_id).update(attempts=inbound.attempts + 1)
    try:
        limit = rate_limit_for(inbound.kind)
        if inbound.reprocessed_at is None and _over_rate_limit(inbound, limit):
            return _rate_limited(inbound, limit)
        files = _fetch_files(inbound)  # network: before the transaction, never inside it
        with transaction.atomic():
            locked = InboundMessage.objects.select_for_update().get(pk=inbound_id)
            if locked.state == InboundMessage.State.PROCESSED:
                return locked
            survey = _survey_reply(locked) if locked.kind == Kind.SMS else None
            message = _to_ticket_message(locked, files) if survey is None else None
            locked.state = InboundMessage.State.PROCESSED
            locked.ticket_message = message
            locked.survey = survey
            locked.error = ""
            locked.next_attempt_at = None
            locked.processed_at = timezone.now()
            locked.save(update_fields=["state", "ticket_message", "survey", "error", "next_attempt_at", "processed_at"])
            return locked
    except Exception as exc:  # noqa: BLE001 - every failure is kept on the row for the reprocess list
        log.warning("inbound %s could not be processed: %s", inbound_id, exc)
        reason = str(exc.as_dict() if hasattr(exc, "as_dict") else exc)[:2000]
        attempts = inbound.attempts + 1
        retry_at = timezone.now() + _backoff(attempts) if attempts < settings.CHANNEL_SEND_ATTEMPTS else None
        InboundMessage.objects.filter(pk=inbound_id).exclude(state=InboundMessage.State.PROCESSED).update(
            state=InboundMessage.State.FAILED, error=reason, next_attempt_at=retry_at
        )
        return InboundMessage.objects.get(pk=inbound_id)


def rate_limit_for(kind: str) -> int:
    """Messages per sender and hour on this channel that become ticket messages (0: no limit)."""
    return int(settings.CHANNEL_RATE_LIMITS.get(kind, settings.CHANNEL_RATE_LIMIT_PER_HOUR))


def _over_rate_limit(inbound: InboundMessage, limit: int) -> bool:
    """More than `limit` messages from this sender on this channel in the hour up to this one (this one included)."""
    return core_selectors.over_hourly_limit(
        InboundMessage.objects.filter(kind=inbound.kind, sender=inbound.sender),
        received_at=inbound.received_at,
        pk=inbound.pk,
        limit=limit,
    )


def _rate_limited(inbound: InboundMessage, limit: int) -> InboundMessage:
    """Keep the message raw, marked over the limit: no ticket, no ticket message, no reply; not retried."""
    reason = _("The sender wrote more than %(n)s messages in an hour.") % {"n": limit}
    log.info("inbound %s from %s:%s is over the rate limit", inbound.pk, inbound.kind, inbound.sender)
    InboundMessage.objects.filter(pk=inbound.pk).exclude(state=InboundMessage.State.PROCESSED).update(
        state=InboundMessage.State.RATE_LIMITED, error=reason, next_attempt_at=None
    )
    return InboundMessage.objects.get(pk=inbound.pk)


def _to_ticket_message(inbound: InboundMessage, files: list[UploadedFile]) -> Message:
    data = inbound.data or {}
    text = str(data.get("text") or "")[: helpdesk_services.MAX_BODY]
    identity = channel_identity_resolve(kind=inbound.kind, raw_address=inbound.sender, name=str(data.get("name") or ""))
    channel = HELPDESK_CHANNEL[Kind(inbound.kind)]
    external_id = f"{inbound.provider}:{inbound.provider_message_id}"[:300]
    ticket = _open_ticket(identity.contact, channel)
    if ticket is None:
        ticket = helpdesk_services.ticket_create(
            by=None,
            subject=_subject(text, identity.address, inbound.kind),
            requester=identity.contact,
            channel=channel,
            external_id=external_id,
        )
    if not text and not files:
        text = _("(empty message)")
    return helpdesk_services.message_add(
        ticket=ticket,
        by=None,
        body=text,
        kind=Message.Kind.INBOUND,
        attachments=files,
        author_contact=identity.contact,
        channel=channel,
        external_id=external_id,
    )


def inbound_retry_due(*, now: dt.datetime | None = None) -> int:
    """Process again every failed message whose backoff has passed (the scheduler runs this every minute)."""
    now = now or timezone.now()
    due = list(
        InboundMessage.objects.filter(state=InboundMessage.State.FAILED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )
    for inbound_id in due:
        inbound_process(inbound_id=inbound_id)
    return len(due)


REPROCESSABLE = (InboundMessage.State.FAILED, InboundMessage.State.RATE_LIMITED)


def inbound_reprocess(*, inbound: InboundMessage) -> InboundMessage | None:
    """An admin processes a failed or rate-limited message again; the sender's rate limit no longer applies to it."""
    InboundMessage.objects.filter(pk=inbound.pk, state__in=REPROCESSABLE).update(
        state=InboundMessage.State.RECEIVED, reprocessed_at=timezone.now()
    )
    return inbound_process(inbound_id=inbound.pk)


# ---------------------------------------------------------------------------------------------- outbound


def _last_inbound(ticket_id: int, kinds: Iterable[str]) -> InboundMessage | None:
    return (
        InboundMessage.objects.filter(
            ticket_message__ticket_id=ticket_id, kind__in=list(kinds), state=InboundMessage.State.PROCESSED
        )
        .order_by("-received_at", "-id")
        .first()
    )


def sms_number_for(ticket: Ticket) -> str:
    """The number an SMS about the ticket goes to: the one the customer last wrote from on this ticket, else their
    primary phone, else the number they once texted us from. "" when they have none."""
    last = _last_inbound(ticket.pk, [Kind.SMS])
    if last is not None:
        return _address_of(Kind.SMS, last.sender)
    phone = (
        Identity.objects.filter(contact_id=ticket.requester_id, kind=Identity.Kind.PHONE)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    if phone:
        return phone
    texted = (
        ChannelIdentity.objects.filter(contact_id=ticket.requester_id, kind=Kind.SMS)
        .order_by("-last_seen_at", "-id")
        .values_list("address", flat=True)
        .first()
    )
    return texted or ""


def _destination(message: Message) -> tuple[str, str] | None:
    """(kind, address) a reply goes to, from its channel: SMS to the number the customer wrote from (else their
    phone), social back to the messenger they last used. None: not ours (email and the rest)."""
    ticket = message.ticket
    if message.channel == Channel.SMS:
        return Kind.SMS, sms_number_for(ticket)
    if message.channel == Channel.SOCIAL:
        last = _last_inbound(ticket.pk, [Kind.TELEGRAM, Kind.WHATSAPP])
        if last is not None:
            return last.kind, _address_of(last.kind, last.sender)
        identity = (
            ChannelIdentity.objects.filter(contact_id=ticket.requester_id, kind__in=[Kind.TELEGRAM, Kind.WHATSAPP])
            .order_by("-last_seen_at", "-id")
            .first()
        )
        return (identity.kind, identity.address) if identity is not None else (Kind.TELEGRAM, "")
    return None


def _sender_for(kind: str) -> providers.Sender:
    if kind == Kind.SMS:
        return providers.sms_backend()
    if kind == Kind.TELEGRAM:
        return providers.Telegram()
    return providers.WhatsApp()


def _file_sender(kind: str) -> providers.FileSender:
    return providers.Telegram() if kind == Kind.TELEGRAM else providers.WhatsApp()


def _send_attachment(kind: str, to: str, attachment: Attachment) -> str:
    try:
        with attachment.file.open("rb") as fh:
            content = fh.read()
    except OSError as exc:
        raise providers.SendFailed(f"{attachment.name}: {exc}") from exc
    file = providers.OutFile(name=attachment.name, content_type=attachment.content_type, content=content)
    return _file_sender(kind).send_file(to=to, file=file)


def _reply_parts(outbound: OutboundMessage) -> list[Callable[[], str]]:
    """What a reply is on its channel, in order: SMS one text (an SMS carries no files); Telegram and WhatsApp the
    text in messages of at most 4096 characters, then each attachment (a photo or a document)."""
    text = outbound.message.body_text
    if outbound.kind == Kind.SMS:
        return [partial(_sender_for(outbound.kind).send, to=outbound.to, text=text)]
    attachments = list(outbound.message.attachments.order_by("id"))
    sender = _file_sender(outbound.kind)
    parts: list[Callable[[], str]] = []
    if text.strip() or not attachments:
        parts += [
            partial(sender.send, to=outbound.to, text=c) for c in providers.chunks(text, providers.MESSENGER_LIMIT)
        ]
    parts += [partial(_send_attachment, outbound.kind, outbound.to, a) for a in attachments]
    return parts


def _deliver(outbound: OutboundMessage) -> str:
    """Send the parts of the reply not sent yet: each sent part is counted at once, so a retry after a failure
    half-way (the text went, a file did not) sends only the rest, never the text twice. The last part's id."""
    provider_id = outbound.provider_message_id
    for n, part in enumerate(_reply_parts(outbound)):
        if n < outbound.parts_sent:
            continue
        provider_id = part()[:200]
        outbound.parts_sent = n + 1
        OutboundMessage.objects.filter(pk=outbound.pk).update(parts_sent=n + 1, provider_message_id=provider_id)
    return provider_id


def reply_route(*, message: Message) -> OutboundMessage | None:
    """The hook `helpdesk.tasks.reply_deliver` calls first: a reply whose channel is SMS or social goes out that way
    (one delivery row per message and channel, so a repeated task sends once). None: deliver it by email."""
    destination = _destination(message)
    if destination is None:
        return None
    kind, to = destination
    outbound, _created = OutboundMessage.objects.get_or_create(
        message=message,
        kind=kind,
        defaults={"to": to, "provider": _sender_for(kind).name},
    )
    return outbound_attempt(outbound_id=outbound.pk)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0))


def outbound_attempt(*, outbound_id: int) -> OutboundMessage | None:
    """Send one delivery once. A failure is kept; it is retried with exponential backoff until
    CHANNEL_SEND_ATTEMPTS, then marked failed with an event on the ticket's timeline."""
    with transaction.atomic():
        outbound = (
            OutboundMessage.objects.select_for_update().select_related("message__ticket").filter(pk=outbound_id).first()
        )
        if outbound is None or outbound.state != OutboundMessage.State.PENDING:
            return outbound
        outbound.attempts += 1
        outbound.save(update_fields=["attempts"])
    ticket = outbound.message.ticket
    try:
        if not outbound.to:
            raise providers.SendFailed(_("The customer has no address on this channel."))
        provider_id = _deliver(outbound)
    except providers.SendFailed as exc:
        outbound.last_error = str(exc)[:2000]
        retry = outbound.attempts < settings.CHANNEL_SEND_ATTEMPTS and bool(outbound.to)
        with transaction.atomic():
            if retry:
                outbound.next_attempt_at = timezone.now() + _backoff(outbound.attempts)
            else:
                outbound.state = OutboundMessage.State.FAILED
                outbound.next_attempt_at = None
            outbound.save(update_fields=["last_error", "state", "next_attempt_at"])
            event_record(
                actor=None,
                verb="message.delivery_retry" if retry else "message.delivery_failed",
                target=ticket,
                contact=ticket.requester,
                data={
                    "message": outbound.message_id,
                    "channel": outbound.kind,
                    "attempts": outbound.attempts,
                    "error": outbound.last_error[:300],
                },
            )
        return outbound
    with transaction.atomic():
        outbound.state = OutboundMessage.State.SENT
        outbound.sent_at = timezone.now()
        outbound.provider_message_id = provider_id[:200]
        outbound.last_error = ""
        outbound.next_attempt_at = None
        outbound.save(update_fields=["state", "sent_at", "provider_message_id", "last_error", "next_attempt_at"])
        event_record(
            actor=None,
            verb="message.delivered",
            target=ticket,
            contact=ticket.requester,
            data={"message": outbound.message_id, "channel": outbound.kind, "to": outbound.to},
        )
    return outbound


def outbound_retry_due(*, now: dt.datetime | None = None) -> int:
    """Attempt again every delivery whose backoff has passed (the scheduler runs this every minute)."""
    now = now or timezone.now()
    due = list(
        OutboundMessage.objects.filter(state=OutboundMessage.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )
    for outbound_id in due:
        outbound_attempt(outbound_id=outbound_id)
    return len(due)


# ---------------------------------------------------------------------------------------------- SMS surveys

# After the number: a separator, then the comment ("4 thanks", "5, great", "3 - slow"); a fraction is not a rating.
_RATING = re.compile(r"(\d{1,6})([.,/\u066b]\d+)?(.*)", re.S)
_SEPARATORS = " \t\r\n.,:;!-\u2013\u2014)\u060c\u061b"


def survey_rating_parse(text: str) -> tuple[int | None, str] | None:
    """Read an SMS answer to the survey, in any digits (Persian ۰-۹, Arabic-Indic ٠-٩, ASCII).

    (rating, comment) for a reply that starts with 1-5; (None, "") for a bare number that is no rating ("9", "0",
    "4.5"): the customer is asked again; None for anything else ("abc", "123 is my order number"): not an answer,
    a normal message."""
    cleaned = to_ascii_digits(text).strip()
    match = _RATING.fullmatch(cleaned)
    if match is None:
        return None
    number, fraction, rest = match.groups()
    comment = rest.lstrip(_SEPARATORS).strip()
    if fraction is None and 1 <= int(number) <= 5 and (not rest or rest[0] in _SEPARATORS or rest[0].isalpha()):
        return int(number), comment
    if not comment:
        return None, ""
    return None


def survey_sms_number(ticket: Ticket) -> str:
    """The number the survey of a resolved request goes to by SMS, or "" when it goes by email/the portal only: to
    requesters who wrote in by SMS, and to requesters with a phone but no email address (SATISFACTION_SMS)."""
    if not settings.SATISFACTION_SMS:
        return ""
    number = sms_number_for(ticket)
    if not number or ticket.channel == Channel.SMS:
        return number
    has_email = Identity.objects.filter(contact_id=ticket.requester_id, kind=Identity.Kind.EMAIL).exists()
    return "" if has_email else number


def _survey_text(ticket: Ticket, language: str, *, again: bool = False) -> str:
    with translation.override(language):
        values = {"site": settings.PAYVAND_NAME, "ref": ticket.reference}
        if again:
            text = _(
                "Sorry, we did not understand. To rate request %(ref)s, reply with a number from 1 (bad) to 5 (very "
                "good)."
            )
        else:
            text = _(
                "%(site)s: your request %(ref)s is resolved. How satisfied are you? Reply with a number from 1 "
                "(bad) to 5 (very good), and a comment if you like."
            )
        return text % values


def survey_language(ticket: Ticket, default: str) -> str:
    """The language of the survey SMS: the one the customer last wrote in on the ticket (Persian script: fa,
    Hungarian: hu), else `default` (contacts have no language of their own)."""
    texts = list(
        Message.objects.filter(ticket=ticket, kind=Message.Kind.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("body_text", flat=True)[:3]
    )
    for text in texts:
        guess = language_guess(text, "")
        if guess:
            return guess
    return default


def survey_sms_send(*, ticket: Ticket, language: str) -> SmsSurvey | None:
    """Send the satisfaction survey of a resolved request by SMS (see `survey_sms_number`). The question is an
    automatic reply on the ticket with channel SMS, so it is delivered with the channel's retries and shows in the
    history. A request resolved again gets a fresh survey. None: this requester gets the survey by email."""
    from payvand.portal.links import SURVEY_MAX_AGE

    phone = survey_sms_number(ticket)
    if not phone:
        return None
    language = survey_language(ticket, language)
    with transaction.atomic():
        message = helpdesk_services.message_add(
            ticket=ticket, by=None, body=_survey_text(ticket, language), channel=Channel.SMS, automatic=True
        )
        now = timezone.now()
        survey, _created = SmsSurvey.objects.update_or_create(
            ticket=ticket,
            defaults={
                "phone": phone,
                "language": language,
                "message": message,
                "sent_at": now,
                "expires_at": now + dt.timedelta(seconds=SURVEY_MAX_AGE),
                "reasked_at": None,
                "answered_at": None,
            },
        )
        event_record(
            actor=None,
            verb="satisfaction.sms_sent",
            target=ticket,
            contact=ticket.requester,
            data={"to": phone, "message": message.pk},
        )
    return survey


def _survey_pending(phone: str, at: dt.datetime) -> SmsSurvey | None:
    """The newest survey to this number that is still open at `at`: sent before, not expired, not answered (by SMS,
    the email link or the portal) since it was sent, its request still resolved or closed."""
    return (
        SmsSurvey.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(
            phone=phone,
            answered_at__isnull=True,
            sent_at__lte=at,
            expires_at__gt=at,
            ticket__status_category__in=[StatusCategory.RESOLVED, StatusCategory.CLOSED],
        )
        .exclude(ticket__satisfaction__answered_at__gte=F("sent_at"))
        .order_by("-sent_at", "-id")
        .first()
    )


def _survey_reply(inbound: InboundMessage) -> SmsSurvey | None:
    """An SMS answering a pending survey becomes the request's rating (the same `portal.Satisfaction` the email and
    portal surveys write); a bare number out of range is asked again once. None: a normal message."""
    from payvand.portal.services import MAX_COMMENT, satisfaction_answer

    survey = _survey_pending(_address_of(Kind.SMS, inbound.sender), inbound.received_at)
    if survey is None:
        return None
    answer = survey_rating_parse(str((inbound.data or {}).get("text") or ""))
    if answer is None:
        return None
    rating, comment = answer
    ticket = survey.ticket
    now = timezone.now()
    if rating is None:
        if survey.reasked_at is not None:
            return None  # asked again already: whatever comes now is for the agents
        helpdesk_services.message_add(
            ticket=ticket,
            by=None,
            body=_survey_text(ticket, survey.language, again=True),
            channel=Channel.SMS,
            automatic=True,
        )
        survey.reasked_at = now
        survey.save(update_fields=["reasked_at"])
        event_record(
            actor=None,
            verb="satisfaction.sms_unclear",
            target=ticket,
            contact=ticket.requester,
            data={"text": str((inbound.data or {}).get("text") or "")[:200], "inbound": inbound.pk},
        )
        return survey
    identity = channel_identity_resolve(kind=Kind.SMS, raw_address=inbound.sender, name="")
    satisfaction_answer(ticket=ticket, contact=identity.contact, rating=rating, comment=comment[:MAX_COMMENT])
    survey.answered_at = now
    survey.save(update_fields=["answered_at"])
    return survey


# ---------------------------------------------------------------------------------------------- web forms


def webform_rate_limited(*, ip: str) -> bool:
    """Count this attempt; True when the address went over WEBFORM_RATE_LIMIT in the window."""
    since = timezone.now() - dt.timedelta(seconds=settings.WEBFORM_RATE_WINDOW_SECONDS)
    WebFormHit.objects.filter(created_at__lt=since - dt.timedelta(days=1)).delete()
    recent = WebFormHit.objects.filter(ip=ip, created_at__gte=since).count()
    WebFormHit.objects.create(ip=ip)
    return recent >= settings.WEBFORM_RATE_LIMIT


def _webform_contact(*, name: str, email: str, phone: str) -> Contact:
    found = contact_selectors.contact_lookup_unscoped(phone=phone or None, email=email or None)
    if found:
        return found[0]
    return contact_services.contact_create(
        by=None,
        name=name or email or phone,
        emails=[email] if email else [],
        phones=[phone] if phone else [],
        source="web",
        allow_duplicates=True,
    )


def webform_submit(
    *,
    web_form: WebForm,
    name: str,
    email: str,
    phone: str,
    subject: str,
    description: str,
    form_values: dict[str, Any] | None = None,
    form_files: Mapping[str, UploadedFile] | None = None,
) -> Ticket:
    """A public submission: the contact found by email or phone (else created) and a ticket of the form's type with
    channel web, all in one transaction."""
    errors: list[FieldError] = []
    name, email, phone = name.strip(), email.strip(), phone.strip()
    if not name:
        errors.append(FieldError("name", _("Write your name.")))
    if not email and not phone:
        errors.append(FieldError("email", _("Give an email address or a phone number so we can answer.")))
    if email:
        try:
            normalize_email(email)
        except ValueError:
            errors.append(FieldError("email", _("This is not an email address.")))
    if phone:
        try:
            normalize_phone(phone)
        except ValueError:
            errors.append(FieldError("phone", _("This is not a phone number.")))
    if not subject.strip():
        errors.append(FieldError("subject", _("Write a subject.")))
    if not web_form.is_active or not web_form.ticket_type.is_active:
        errors.append(FieldError(None, _("This form is closed.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        contact = _webform_contact(name=name, email=email, phone=phone)
        return helpdesk_services.ticket_create(
            by=None,
            subject=subject,
            requester=contact,
            description=description,
            channel=Channel.WEB,
            type=web_form.ticket_type,
            form_values=form_values,
            form_files=form_files,
        )
