"""Reads of the shared kernel: timelines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from payvand.core.models import Event

if TYPE_CHECKING:
    from payvand.contacts.models import Contact


def event_list_for_contact(*, contact: Contact, limit: int = 100) -> QuerySet[Event]:
    """The 360° timeline: every event that concerns this contact, newest first."""
    return Event.objects.filter(contact=contact).select_related("actor", "target_type")[:limit]


def event_list_for_target(*, target: models.Model, limit: int = 100) -> list[Event]:
    """One object's timeline (a ticket's, a team's), newest first. The caller has checked access to `target`."""
    ct = ContentType.objects.get_for_model(target)
    return list(
        Event.objects.filter(target_type=ct, target_id=str(target.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
