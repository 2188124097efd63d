"""Reads of the shared kernel: timelines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from payvand.core.models import Event

if TYPE_CHECKING:
    from payvand.contacts.models import Contact


def event_list_for_contact(*, contact: Contact, limit: int = 100) -> QuerySet[Event]:
    """The 360° timeline: every event that concerns this contact, newest first."""
    return Event.objects.filter(contact=contact).select_related("actor", "target_type")[:limit]
