"""/api/v1/mail: raw MIME from mail servers (token only), mailboxes, inbound status, reprocessing."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from payvand.accounts.auth import TokenAuth
from payvand.accounts.models import User
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.core.schemas import ERRORS, PathId
from payvand.mail import selectors, services
from payvand.mail.models import InboundEmail, Mailbox
from payvand.mail.schemas import InboundDeliverIn, InboundDeliverOut, InboundListIn, InboundOut, MailboxOut

router = Router(tags=["mail"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def inbound_out(row: InboundEmail) -> InboundOut:
    return InboundOut(
        id=row.pk,
        mailbox_id=row.mailbox_id,
        key=row.key,
        message_id=row.message_id,
        source=row.source,
        sender=row.sender,
        subject=row.subject,
        kind=row.kind,
        status=row.status,
        reason=row.reason,
        attempts=row.attempts,
        size=row.size,
        received_at=row.received_at,
        processed_at=row.processed_at,
        ticket_id=row.ticket_id,
        ticket_message_id=row.ticket_message_id,
    )


def mailbox_out(m: Mailbox) -> MailboxOut:
    return MailboxOut(
        id=m.pk,
        name=m.name,
        address=m.address,
        addresses=m.addresses,
        team_id=m.team_id,
        language=m.language,
        is_active=m.is_active,
        auto_acknowledge=m.auto_acknowledge,
        imap_configured=bool(m.imap_host),
        imap_polled_at=m.imap_polled_at,
        imap_error=m.imap_error,
        smtp_configured=bool(m.smtp_host),
    )


@router.post(
    "/inbound",
    auth=TokenAuth(),
    response={200: InboundDeliverOut, 201: InboundDeliverOut, **ERRORS},
    summary="Deliver one raw MIME message (the request body, e.g. Content-Type: message/rfc822) to a mailbox",
    description="Answers 201 once the message is stored (200 when it was stored before); only then may the sender "
    "forget it. Processing into a ticket follows in the background.",
)
def inbound_deliver(request: HttpRequest, params: Query[InboundDeliverIn]) -> tuple[int, InboundDeliverOut]:
    user = _user(request)
    if not user.has_perm("mail.deliver_inboundemail"):
        raise PermissionDenied(detail=_("This token may not deliver email."))
    mailbox = services.mailbox_for_address(params.to)
    if mailbox is None:
        raise NotFound(detail=_("No mailbox has this address."))
    raw = request.body
    if not raw or raw.isspace():
        raise ValidationFailed.on("body", _("The message is empty."))
    row, created = services.inbound_store(mailbox=mailbox, raw=raw, source=InboundEmail.Source.HTTP)
    return (201 if created else 200), InboundDeliverOut(id=row.pk, created=created, status=row.status, key=row.key)


@router.get("/mailboxes", response={200: list[MailboxOut], **ERRORS}, summary="The mailboxes")
def mailbox_list(request: HttpRequest) -> list[MailboxOut]:
    return [mailbox_out(m) for m in selectors.mailbox_list(user=_user(request))]


@router.get("/inbound", response={200: list[InboundOut], **ERRORS}, summary="Inbound email, newest first")
def inbound_list(request: HttpRequest, params: Query[InboundListIn]) -> list[InboundOut]:
    rows = selectors.inbound_list(
        user=_user(request), status=params.status, mailbox_id=params.mailbox, before=params.before, limit=params.limit
    )
    return [inbound_out(r) for r in rows]


@router.get("/inbound/{inbound_id}", response={200: InboundOut, **ERRORS}, summary="One inbound email's status")
def inbound_get(request: HttpRequest, inbound_id: PathId) -> InboundOut:
    return inbound_out(selectors.inbound_get_for_user(user=_user(request), inbound_id=inbound_id))


@router.post(
    "/inbound/{inbound_id}/reprocess",
    response={200: InboundOut, **ERRORS},
    summary="Send an unprocessable message through processing again",
)
def inbound_reprocess(request: HttpRequest, inbound_id: PathId) -> InboundOut:
    user = _user(request)
    row = selectors.inbound_get_for_user(user=user, inbound_id=inbound_id)
    services.inbound_reprocess(inbound=row, by=user)
    return inbound_out(selectors.inbound_get_for_user(user=user, inbound_id=inbound_id))
