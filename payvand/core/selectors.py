"""Reads of the shared kernel: timelines, the per-sender hourly limit."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

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


def over_hourly_limit(sent: QuerySet[Any], *, received_at: dt.datetime, pk: int, limit: int) -> bool:
    """More than `limit` of the rows in `sent` (one sender's messages on one channel or mailbox) in the hour up to
    the row `pk` received at `received_at`, that one included; 0 is no limit. Counted from the store by arrival, so
    the answer is the same whenever, and by whichever worker, it is asked. The email and the SMS/social intakes
    share it."""
    if not limit:
        return False
    since = received_at - dt.timedelta(hours=1)
    return sent.filter(received_at__gte=since, received_at__lte=received_at, pk__lte=pk).count() > limit
