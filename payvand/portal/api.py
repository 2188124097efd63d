"""The portal API for customers at /api/v1/portal/: the same isolation as the portal pages. Authenticate with the
token from `POST /login/magic` (or `/login/password`) as a bearer token, or with the portal session (writes then
need the CSRF token). Staff tokens and staff sessions are not accepted here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, UploadedFile
from ninja.security import APIKeyCookie, HttpBearer

from payvand.contacts.models import Contact
from payvand.core.errors import NotFound, ValidationFailed
from payvand.core.http import client_ip
from payvand.core.schemas import ERRORS, ErrorOut, PathId
from payvand.helpdesk.models import Message, Ticket, TicketType
from payvand.portal import selectors, services
from payvand.portal.auth import portal_contact
from payvand.portal.models import Satisfaction
from payvand.portal.schemas import (
    ArticleOut,
    DetailOut,
    EmailIn,
    MagicTokenIn,
    PasswordLoginIn,
    PortalMessageOut,
    PortalTicketIn,
    PortalTicketOut,
    PortalTokenOut,
    RatingIn,
    RatingOut,
    ReopenIn,
)


class PortalTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        contact = services.token_contact(token)
        if contact is not None:
            request.portal_contact = contact  # type: ignore[attr-defined]
        return contact


class PortalSessionAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        contact = portal_contact(request) if key else None
        if contact is not None:
            request.portal_contact = contact  # type: ignore[attr-defined]
        return contact


router = Router(tags=["portal"], auth=[PortalTokenAuth(), PortalSessionAuth()])


def _contact(request: HttpRequest) -> Contact:
    return request.portal_contact  # type: ignore[attr-defined]


def _ticket_out(ticket: Ticket, rating: int | None = None) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": str(ticket.status),
        "status_category": ticket.status_category,
        "type": ticket.type.name if ticket.type_id and ticket.type else None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolution": ticket.resolution,
        "proposed_resolution": ticket.proposed_resolution,
        "rating": rating,
    }


def _message_out(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "author": "you" if m.kind == Message.Kind.INBOUND else selectors.agent_display_name(m),
        "body": m.body_text,
        "created_at": m.created_at,
        "attachments": [
            {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size} for a in m.attachments.all()
        ],
    }


SIGN_IN_ERRORS = {**ERRORS, 429: ErrorOut}


@router.post("/login/link", auth=None, response={202: DetailOut, **SIGN_IN_ERRORS})
def login_link(request: HttpRequest, payload: EmailIn) -> tuple[int, dict[str, str]]:
    """Email a sign-in link. The answer is the same whether or not the address is known. Rate-limited per email
    address and per IP address (429)."""
    services.magic_link_request(email=payload.email, ip=client_ip(request))
    return 202, {"detail": _("If this address is known to us, a sign-in link is on its way.")}


@router.post("/login/magic", auth=None, response={200: PortalTokenOut, **ERRORS})
def login_magic(request: HttpRequest, payload: MagicTokenIn) -> dict[str, Any]:
    """Spend a magic link's token (once, before it expires) for an API token."""
    contact = services.magic_link_consume(token=payload.token)
    return {"token": services.token_create(contact=contact), "contact_id": contact.pk, "name": contact.name}


@router.post("/login/password", auth=None, response={200: PortalTokenOut, **SIGN_IN_ERRORS})
def login_password(request: HttpRequest, payload: PasswordLoginIn) -> dict[str, Any]:
    """Rate-limited per email address and per IP address (429), as the sign-in page is."""
    contact = services.password_login(email=payload.email, password=payload.password, ip=client_ip(request))
    return {"token": services.token_create(contact=contact), "contact_id": contact.pk, "name": contact.name}


@router.get("/tickets", response={200: list[PortalTicketOut], **ERRORS})
def ticket_list(request: HttpRequest, state: str = "", limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    if state not in ("", "open", "done"):
        raise ValidationFailed.on("state", _("Choose open or done."))
    if not 1 <= limit <= settings.API_PAGE_SIZE_MAX:
        raise ValidationFailed.on("limit", _("Choose a limit from 1 to %(n)s.") % {"n": settings.API_PAGE_SIZE_MAX})
    if not 0 <= offset <= 10**9:
        raise ValidationFailed.on("offset", _("The offset can't be negative."))
    tickets = list(selectors.portal_ticket_list(contact=_contact(request), state=state)[offset : offset + limit])
    ratings = dict(Satisfaction.objects.filter(ticket__in=tickets).values_list("ticket_id", "rating"))
    return [_ticket_out(t, ratings.get(t.pk)) for t in tickets]


@router.post("/tickets", response={201: PortalTicketOut, **ERRORS})
def ticket_create(request: HttpRequest, payload: PortalTicketIn) -> tuple[int, dict[str, Any]]:
    ticket_type = None
    if payload.type_id is not None:
        ticket_type = TicketType.objects.filter(pk=payload.type_id, is_active=True).first()
        if ticket_type is None:
            raise ValidationFailed.on("type_id", _("Choose one of the request types."))
    ticket = services.portal_ticket_create(
        contact=_contact(request),
        subject=payload.subject,
        description=payload.description,
        type=ticket_type,
        form_values=payload.form_values,
    )
    return 201, _ticket_out(selectors.portal_ticket_get(contact=_contact(request), ticket_id=ticket.pk))


@router.get("/tickets/{ticket_id}", response={200: PortalTicketOut, **ERRORS})
def ticket_get(request: HttpRequest, ticket_id: PathId) -> dict[str, Any]:
    ticket = selectors.portal_ticket_get(contact=_contact(request), ticket_id=ticket_id)
    rating = Satisfaction.objects.filter(ticket=ticket).values_list("rating", flat=True).first()
    return _ticket_out(ticket, rating)


@router.get("/tickets/{ticket_id}/messages", response={200: list[PortalMessageOut], **ERRORS})
def message_list(request: HttpRequest, ticket_id: PathId) -> list[dict[str, Any]]:
    ticket = selectors.portal_ticket_get(contact=_contact(request), ticket_id=ticket_id)
    return [_message_out(m) for m in selectors.public_messages(ticket=ticket)]


@router.post("/tickets/{ticket_id}/messages", response={201: PortalMessageOut, **ERRORS})
def message_add(
    request: HttpRequest,
    ticket_id: PathId,
    body: Form[str] = "",
    attachments: File[list[UploadedFile]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Write on the request (multipart: `body`, and files as `attachments`)."""
    contact = _contact(request)
    ticket = selectors.portal_ticket_get(contact=contact, ticket_id=ticket_id)
    message = services.portal_reply(contact=contact, ticket=ticket, body=body, attachments=attachments or [])
    message = selectors.public_messages(ticket=message.ticket).get(pk=message.pk)
    return 201, _message_out(message)


@router.post("/tickets/{ticket_id}/accept", response={200: PortalTicketOut, **ERRORS})
def ticket_accept(request: HttpRequest, ticket_id: PathId) -> dict[str, Any]:
    contact = _contact(request)
    ticket = services.portal_accept(
        contact=contact, ticket=selectors.portal_ticket_get(contact=contact, ticket_id=ticket_id)
    )
    return _ticket_out(selectors.portal_ticket_get(contact=contact, ticket_id=ticket.pk))


@router.post("/tickets/{ticket_id}/reopen", response={200: PortalTicketOut, **ERRORS})
def ticket_reopen(request: HttpRequest, ticket_id: PathId, payload: ReopenIn) -> dict[str, Any]:
    contact = _contact(request)
    ticket = selectors.portal_ticket_get(contact=contact, ticket_id=ticket_id)
    services.portal_reopen(contact=contact, ticket=ticket, reason=payload.reason)
    return _ticket_out(selectors.portal_ticket_get(contact=contact, ticket_id=ticket.pk))


@router.post("/tickets/{ticket_id}/satisfaction", response={200: RatingOut, **ERRORS})
def ticket_rate(request: HttpRequest, ticket_id: PathId, payload: RatingIn) -> dict[str, Any]:
    contact = _contact(request)
    ticket = selectors.portal_ticket_get(contact=contact, ticket_id=ticket_id)
    answer = services.satisfaction_answer(
        ticket=ticket, contact=contact, rating=payload.rating, comment=payload.comment
    )
    return {
        "ticket_id": ticket.pk,
        "rating": answer.rating,
        "comment": answer.comment,
        "answered_at": answer.answered_at,
    }


@router.get("/attachments/{attachment_id}", response={200: None, **ERRORS})
def attachment_get(request: HttpRequest, attachment_id: PathId) -> FileResponse:
    try:
        item = selectors.portal_attachment_get(contact=_contact(request), attachment_id=attachment_id)
    except NotFound:
        raise
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _article_out(a: Any) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "id": a.pk,
        "title": a.title,
        "summary": a.summary,
        "body": a.body,
        "language": a.language,
        "category": a.category.name,
        "url": reverse("kb:detail", args=[a.category.slug, a.slug]),
    }


@router.get("/kb/articles", auth=None, response={200: list[ArticleOut], **ERRORS})
def kb_search(request: HttpRequest, q: str = "", language: str = "") -> list[dict[str, Any]]:
    """Published public articles matching the query (what the portal suggests while a customer types)."""
    from payvand.kb.selectors import article_search

    if len(q) > 200:
        raise ValidationFailed.on("q", _("Use at most %(n)s characters.") % {"n": 200})
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationFailed.on("language", _("Choose one of the languages."))
    return [_article_out(a) for a in article_search(query=q, language=language, limit=20)]


@router.get("/kb/articles/{article_id}", auth=None, response={200: ArticleOut, **ERRORS})
def kb_article(request: HttpRequest, article_id: PathId) -> dict[str, Any]:
    """A published public article. Drafts and internal articles are "not found" here, whoever asks."""
    from payvand.kb.selectors import article_get_for_user

    return _article_out(article_get_for_user(user=None, article_id=article_id))
