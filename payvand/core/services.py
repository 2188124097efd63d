"""Writes of the shared kernel: recording events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from payvand.core.models import Event

if TYPE_CHECKING:
    from payvand.accounts.models import User
    from payvand.contacts.models import Contact


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def event_record(
    *,
    actor: User | None,
    verb: str,
    target: models.Model,
    contact: Contact | None = None,
    data: dict[str, Any] | None = None,
    contact_id: int | None = None,
) -> Event:
    """Write one Event. Call it inside the service's transaction so the event and the change commit together."""
    return Event.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        contact_id=contact.pk if contact is not None else contact_id,
        data=_jsonable(data or {}),
    )
