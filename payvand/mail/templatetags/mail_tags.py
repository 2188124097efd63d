"""Template tags of the mail app: the emails sent on a ticket, for its page."""

from __future__ import annotations

from django import template

from payvand.helpdesk.models import Ticket
from payvand.mail.models import OutboundEmail

register = template.Library()


@register.simple_tag
def ticket_emails(ticket: Ticket, limit: int = 20) -> list[OutboundEmail]:
    """The ticket's outgoing emails, newest first, without the sent copies (one query)."""
    return list(
        OutboundEmail.objects.filter(ticket=ticket)
        .defer("raw", "body_text", "body_html")
        .order_by("-created_at", "-pk")[:limit]
    )
