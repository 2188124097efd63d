"""Signed links in emails to the requester: tracking a request without an account, and the satisfaction survey."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from payvand.helpdesk.models import Ticket

TRACK_SALT = "payvand.portal.track"
SURVEY_SALT = "payvand.portal.survey"
TRACK_MAX_AGE = 60 * 60 * 24 * 365  # a year
SURVEY_MAX_AGE = 60 * 60 * 24 * 60  # sixty days


def _token(ticket: Ticket, salt: str) -> str:
    # The requester is part of the signed value: moving the ticket to another requester voids old links.
    return signing.dumps({"t": ticket.pk, "c": ticket.requester_id}, salt=salt, compress=True)


def track_url(ticket: Ticket) -> str:
    return settings.PAYVAND_BASE_URL + reverse("portal:track", args=[_token(ticket, TRACK_SALT)])


def survey_url(ticket: Ticket) -> str:
    return settings.PAYVAND_BASE_URL + reverse("portal:survey", args=[_token(ticket, SURVEY_SALT)])


def ticket_from_token(token: str, *, salt: str, max_age: int) -> Ticket | None:
    """The ticket a signed link names, or None when the signature is wrong, expired or no longer matches."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        return None
    return (
        Ticket.objects.select_related("status", "requester", "assignee")
        .filter(pk=data["t"], requester_id=data.get("c"))
        .first()
    )
