"""Every read of the portal, scoped to one customer: their own requests and, where an admin allowed it, their
organisation's. Anything else is "not found", never "forbidden", so ids can't be probed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from payvand.contacts.models import Affiliation, Contact
from payvand.core.errors import NotFound
from payvand.core.models import Event
from payvand.helpdesk.models import Attachment, Message, Ticket
from payvand.portal.models import Branding, PortalAccount

PUBLIC_VERBS = (
    "ticket.created",
    "ticket.resolved",
    "ticket.closed",
    "ticket.reopened",
    "ticket.cancelled",
    "ticket.resolution_proposed",
    "portal.accepted",
    "satisfaction.answered",
)


def branding_get() -> Branding:
    return Branding.objects.order_by("pk").first() or Branding()


def sees_organisation(contact: Contact) -> bool:
    if Contact.portal_account.is_cached(contact):  # loaded with the contact (auth.portal_contact)
        account = getattr(contact, "portal_account", None)
        return bool(account is not None and account.sees_organisation)
    return PortalAccount.objects.filter(contact=contact, sees_organisation=True).exists()


def portal_ticket_queryset(*, contact: Contact) -> QuerySet[Ticket]:
    scope = Q(requester=contact)
    if sees_organisation(contact):
        # The organisations as values, not a subquery: "requester = X OR organisation IN (a few ids)" lets both
        # databases combine the requester and organisation indexes (bench/portal.py).
        orgs = list(Affiliation.objects.filter(person=contact).values_list("organisation_id", flat=True))
        if orgs:
            scope |= Q(organisation_id__in=orgs)
    # "Not merged" written as NOT (merged_into IS NOT NULL): as "merged_into IS NULL", SQLite without statistics
    # took the merged_into index (every ticket) over the requester and organisation ones for the OR (bench/portal.py).
    return Ticket.objects.filter(scope).exclude(merged_into__isnull=False)


def portal_ticket_list(*, contact: Contact, state: str = "") -> QuerySet[Ticket]:
    from payvand.helpdesk.models import StatusCategory

    qs = portal_ticket_queryset(contact=contact).select_related("status", "type", "requester")
    done = (StatusCategory.RESOLVED, StatusCategory.CLOSED, StatusCategory.CANCELLED)
    if state == "open":
        qs = qs.exclude(status_category__in=done)
    elif state == "done":
        qs = qs.filter(status_category__in=done)
    return qs.order_by("-created_at", "-id")


@dataclass
class TicketPage:
    items: list[Ticket]
    number: int
    pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def portal_ticket_page(*, contact: Contact, state: str = "", page: Any = 1, per_page: int | None = None) -> TicketPage:
    """One page of the customer's requests, newest first ("My requests"). A page number out of range (or not a
    number) gives the nearest page, as links to a page that has since emptied should still show something."""
    size = per_page or settings.PORTAL_PAGE_SIZE
    qs = portal_ticket_list(contact=contact, state=state)
    count = qs.count()
    pages = max(1, -(-count // size))
    try:
        number = min(max(1, int(str(page))), pages)
    except (TypeError, ValueError, OverflowError):
        number = 1
    # Only what the page shows: a request's description, resolution and form values can be long.
    columns = ("number", "subject", "created_at", "requester_id", "requester__name", "status_category")
    status = ("status__name", "status__colour", "status__category", "status__is_builtin")
    items = list(
        qs.select_related(None)
        .select_related("status", "requester")
        .only(*columns, *status)[(number - 1) * size : number * size]
    )
    return TicketPage(items=items, number=number, pages=pages, count=count)


def portal_ticket_get(*, contact: Contact, ticket_id: int) -> Ticket:
    ticket = (
        portal_ticket_queryset(contact=contact)
        .select_related("status", "type", "requester", "assignee", "type__form")
        .filter(pk=ticket_id)
        .first()
        if 0 < ticket_id < 2**63
        else None
    )
    if ticket is None:
        raise NotFound(detail=_("No such request."))
    return ticket


def public_messages(*, ticket: Ticket) -> QuerySet[Message]:
    """What the customer may read: their own messages and the replies that were sent. Never internal notes,
    drafts or replies still waiting for review."""
    return (
        Message.objects.filter(ticket=ticket)
        .filter(Q(kind=Message.Kind.INBOUND) | Q(kind=Message.Kind.REPLY, is_draft=False, sent_at__isnull=False))
        .select_related("author", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def public_history(*, ticket: Ticket) -> QuerySet[Event]:
    from django.contrib.contenttypes.models import ContentType

    return Event.objects.filter(
        target_type=ContentType.objects.get_for_model(Ticket), target_id=str(ticket.pk), verb__in=PUBLIC_VERBS
    ).order_by("created_at", "id")


def portal_attachment_get(*, contact: Contact, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("message", "message__ticket").filter(pk=attachment_id).first()
        if 0 < attachment_id < 2**63
        else None
    )
    if attachment is None:
        raise NotFound(detail=_("No such file."))
    ticket = portal_ticket_get(contact=contact, ticket_id=attachment.message.ticket_id)
    if not public_messages(ticket=ticket).filter(pk=attachment.message_id).exists():
        raise NotFound(detail=_("No such file."))
    return attachment


def agent_display_name(message: Message) -> str:
    """An agent's first name only: customers never see full names or addresses of staff."""
    if message.author is None:
        return ""
    name = (message.author.full_name or "").strip()
    return name.split()[0] if name else _("Agent")
