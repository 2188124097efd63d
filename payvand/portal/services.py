"""Every write of the portal: signing in (magic links, passwords, API tokens), requests opened and answered by
customers, accepting or reopening a resolution, and the satisfaction survey."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from payvand.contacts.models import Contact, Identity
from payvand.contacts.normalize import normalize_email
from payvand.core.errors import Conflict, FieldError, NotAuthenticated, TooManyRequests, ValidationFailed
from payvand.core.services import event_record
from payvand.helpdesk import services as helpdesk
from payvand.helpdesk.models import Channel, Message, StatusCategory, Ticket, TicketType
from payvand.portal.models import MagicLink, PortalAccount, PortalToken, Satisfaction, SignInAttempt

MAGIC_LINK_MINUTES = getattr(settings, "PORTAL_MAGIC_LINK_MINUTES", 15)
TOKEN_DAYS = 30
MAX_SUBJECT = 300
MAX_COMMENT = 4000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _contact_by_email(email: str) -> Contact | None:
    identity = (
        Identity.objects.select_related("contact")
        .filter(kind=Identity.Kind.EMAIL, value__iexact=email)
        .order_by("-is_primary", "id")
        .first()
    )
    return identity.contact if identity is not None else None


def _clean_email(raw: Any) -> str:
    text = str(raw or "").strip()
    if not text or len(text) > 254 or "@" not in text:
        raise ValidationFailed.on("email", _("Enter a valid email address."))
    try:
        return normalize_email(text)
    except (ValueError, DjangoValidationError):
        raise ValidationFailed.on("email", _("Enter a valid email address.")) from None


def _language_of(contact: Contact) -> str:
    lang = getattr(contact, "language", "") or translation.get_language() or settings.LANGUAGE_CODE
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def signin_rate_limited(*, kind: str, email: str, ip: str, now: dt.datetime | None = None) -> bool:
    """Count this sign-in attempt (`kind`: "link" or "password", counted apart); True when its email address or
    its IP address went over PORTAL_SIGNIN_RATE_LIMIT_PER_EMAIL / _PER_IP in the window. The web forms' way
    (`messaging.services.webform_rate_limited`): attempts over the limit count too, so hammering stays blocked."""
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=settings.PORTAL_SIGNIN_RATE_WINDOW_SECONDS)
    SignInAttempt.objects.filter(created_at__lt=since - dt.timedelta(days=1)).delete()
    limits = {
        f"{kind}:email:{email}"[:300]: settings.PORTAL_SIGNIN_RATE_LIMIT_PER_EMAIL,
        f"{kind}:ip:{ip}"[:300]: settings.PORTAL_SIGNIN_RATE_LIMIT_PER_IP,
    }
    over = any(
        SignInAttempt.objects.filter(key=key, created_at__gte=since).count() >= limit for key, limit in limits.items()
    )
    SignInAttempt.objects.bulk_create([SignInAttempt(key=key, created_at=now) for key in limits])
    return over


TOO_MANY_ATTEMPTS = gettext_noop("Too many sign-in attempts. Please wait a few minutes and try again.")


def _throttle(kind: str, address: str, ip: str | None, now: dt.datetime | None) -> None:
    if ip is not None and signin_rate_limited(kind=kind, email=address, ip=ip, now=now):
        raise TooManyRequests(detail=_(TOO_MANY_ATTEMPTS))


def magic_link_request(*, email: Any, ip: str | None = None, now: dt.datetime | None = None) -> bool:
    """Email a single-use sign-in link to the contact with this address. Says nothing about whether the address
    is known (returns whether a link was sent, for tests and logs only). With `ip` (the pages and the API), the
    request counts towards the sign-in rate limit, and one over it is refused (429) whether or not the address
    is known."""
    address = _clean_email(email)
    _throttle("link", address, ip, now)
    contact = _contact_by_email(address)
    if contact is None:
        return False
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        contact=contact,
        token_hash=_hash(token),
        email=address,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=MAGIC_LINK_MINUTES),
    )
    url = settings.PAYVAND_BASE_URL + reverse("portal:magic", args=[token])
    from payvand.portal.selectors import branding_get

    with translation.override(_language_of(contact)):
        context = {"url": url, "token": token, "minutes": MAGIC_LINK_MINUTES, "site": str(branding_get())}
        subject = _("Your sign-in link for %(site)s") % {"site": context["site"]}
        text = render_to_string("portal/email/magic_link.txt", context)
    EmailMultiAlternatives(subject, text, None, [address]).send()
    return True


def magic_link_consume(*, token: Any, now: dt.datetime | None = None) -> Contact:
    """The contact a magic link signs in. It works once, and only until it expires."""
    raw = str(token or "")
    if not raw or len(raw) > 200:
        raise NotAuthenticated(detail=_("This sign-in link is not valid."))
    now = now or timezone.now()
    with transaction.atomic():
        link = MagicLink.objects.select_for_update().filter(token_hash=_hash(raw)).select_related("contact").first()
        if link is None:
            raise NotAuthenticated(detail=_("This sign-in link is not valid."))
        if link.used_at is not None:
            raise NotAuthenticated(detail=_("This sign-in link was already used. Ask for a new one."))
        if link.expires_at <= now:
            raise NotAuthenticated(detail=_("This sign-in link has expired. Ask for a new one."))
        link.used_at = now
        link.save(update_fields=["used_at"])
        _signed_in(link.contact, now, "magic_link")
    return link.contact


def _signed_in(contact: Contact, now: dt.datetime, how: str) -> None:
    account, _created = PortalAccount.objects.get_or_create(contact=contact)
    account.last_login = now
    account.save(update_fields=["last_login"])
    event_record(actor=None, verb="portal.signed_in", target=contact, contact=contact, data={"how": how})


def password_login(*, email: Any, password: Any, ip: str | None = None) -> Contact:
    """The contact whose portal password this is. With `ip`, the attempt counts towards the sign-in rate limit:
    over it, even the right password is refused (429) until the window has passed."""
    address = _clean_email(email)
    _throttle("password", address, ip, None)
    contact = _contact_by_email(address)
    account = PortalAccount.objects.filter(contact=contact).first() if contact is not None else None
    if account is None or not account.password or not check_password(str(password or ""), account.password):
        make_password(str(password or ""))  # the same work whether or not the address is known
        raise NotAuthenticated(detail=_("The email address or the password is wrong."))
    assert contact is not None
    with transaction.atomic():
        _signed_in(contact, timezone.now(), "password")
    return contact


def password_set(*, contact: Contact, password: Any) -> PortalAccount:
    text = str(password or "")
    try:
        validate_password(text)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            detail=_("Some fields are not valid."), errors=[FieldError("password", str(m)) for m in exc.messages]
        ) from None
    with transaction.atomic():
        account, _created = PortalAccount.objects.select_for_update().get_or_create(contact=contact)
        account.password = make_password(text)
        account.save(update_fields=["password"])
        event_record(actor=None, verb="portal.password_set", target=contact, contact=contact)
    return account


def token_create(*, contact: Contact) -> str:
    """A bearer token for the portal API, valid for 30 days. Only its hash is kept."""
    token = "pvp_" + secrets.token_urlsafe(32)
    PortalToken.objects.create(
        contact=contact, token_hash=_hash(token), expires_at=timezone.now() + dt.timedelta(days=TOKEN_DAYS)
    )
    return token


def token_contact(token: str) -> Contact | None:
    if not token.startswith("pvp_") or len(token) > 200:
        return None
    row = (
        PortalToken.objects.select_related("contact")
        .filter(token_hash=_hash(token), expires_at__gt=timezone.now())
        .first()
    )
    return row.contact if row is not None else None


# ---------------------------------------------------------------------------------------------- requests


def portal_ticket_create(
    *,
    contact: Contact,
    subject: Any,
    description: Any = "",
    type: TicketType | None = None,
    form_values: dict[str, Any] | None = None,
    form_files: Mapping[str, UploadedFile] | None = None,
    deflection_articles: Iterable[int] = (),
) -> Ticket:
    """A customer opens a request (channel portal) with the type's form, validated by the helpdesk."""
    subject_text = str(subject or "").strip()
    errors = []
    if not subject_text:
        errors.append(FieldError("subject", _("Say in a few words what it is about.")))
    elif len(subject_text) > MAX_SUBJECT:
        errors.append(FieldError("subject", _("Use at most %(n)s characters.") % {"n": MAX_SUBJECT}))
    if type is not None and not type.is_active:
        errors.append(FieldError("type", _("Choose one of the request types.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    ticket = helpdesk.ticket_create(
        by=None,
        subject=subject_text,
        requester=contact,
        description=str(description or ""),
        channel=Channel.PORTAL,
        type=type,
        form_values=form_values,
        form_files=form_files,
    )
    return ticket


def portal_reply(*, contact: Contact, ticket: Ticket, body: Any, attachments: Iterable[UploadedFile] = ()) -> Message:
    """The customer writes on their request (an inbound message from the contact; it reopens a resolved one)."""
    return helpdesk.message_add(
        ticket=ticket,
        by=None,
        body=str(body or ""),
        kind=Message.Kind.INBOUND,
        attachments=attachments,
        author_contact=contact,
        channel=Channel.PORTAL,
    )


def portal_accept(*, contact: Contact, ticket: Ticket) -> Ticket:
    """The customer accepts the resolution: a resolved request, or one with a proposed resolution, is closed."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("status").get(pk=ticket.pk)
        proposed = locked.is_active and bool(locked.proposed_resolution)
        if locked.status_category != StatusCategory.RESOLVED and not proposed:
            raise Conflict(detail=_("There is no resolution to accept on this request."))
        if not locked.resolution:
            locked.resolution = locked.proposed_resolution
        fields = ["resolution", *helpdesk._set_status(locked, helpdesk.status_for(StatusCategory.CLOSED))]
        helpdesk._save(locked, fields)
        event_record(actor=None, verb="portal.accepted", target=locked, contact=contact)
        helpdesk._broadcast(locked, "closed")
    return locked


def portal_reopen(*, contact: Contact, ticket: Ticket, reason: Any = "") -> Ticket:
    text = str(reason or "")[:500]
    if ticket.is_active:
        raise Conflict(detail=_("This request is still open."))
    if ticket.status_category == StatusCategory.CANCELLED:
        raise Conflict(detail=_("A cancelled request can't be reopened; open a new one."))
    return helpdesk.ticket_reopen(ticket=ticket, by=None, reason=text)


def satisfaction_answer(*, ticket: Ticket, contact: Contact | None, rating: Any, comment: Any = "") -> Satisfaction:
    """The customer's rating of a resolved or closed request: 1 to 5 and a comment. Answering again changes it."""
    errors = []
    try:
        value = int(str(rating).strip())
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors.append(FieldError("rating", _("Choose a rating from 1 to 5.")))
    text = str(comment or "").strip()
    if len(text) > MAX_COMMENT:
        errors.append(FieldError("comment", _("Use at most %(n)s characters.") % {"n": MAX_COMMENT}))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    if ticket.status_category not in (StatusCategory.RESOLVED, StatusCategory.CLOSED):
        raise Conflict(detail=_("You can rate a request once it is resolved."))
    with transaction.atomic():
        answer, _created = Satisfaction.objects.select_for_update().update_or_create(
            ticket=ticket,
            defaults={
                "contact": contact,
                "agent_id": ticket.assignee_id,
                "team_id": ticket.team_id,
                "rating": value,
                "comment": text,
                "answered_at": timezone.now(),
            },
        )
        event_record(
            actor=None,
            verb="satisfaction.answered",
            target=ticket,
            contact=ticket.requester,
            data={"rating": value, "comment": text[:500]},
        )
    return answer
