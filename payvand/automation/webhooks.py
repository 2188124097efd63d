"""Outgoing webhooks (R-001.12): subscriptions to events of the timeline, signed deliveries, retries with backoff,
and a delivery log.

The scheduler job `automation.webhooks` (every minute) does two steps: `webhooks_collect()` reads the Events
written since the last run (a cursor row, locked) and queues one delivery per matching subscription;
`webhooks_send()` POSTs the due deliveries. A 2xx answer marks a delivery delivered; anything else (or no answer
within 10 s) schedules the next attempt after 1, 2, 4, 8, 16 minutes; after MAX_ATTEMPTS it is failed."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

import requests
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.automation.actions import sign
from payvand.automation.models import WebhookCursor, WebhookDelivery, WebhookSubscription
from payvand.core.errors import FieldError, PermissionDenied, ValidationFailed
from payvand.core.models import Event
from payvand.core.services import event_record

MANAGE_PERM = "automation.change_webhooksubscription"
MAX_ATTEMPTS = 6
COLLECT_BATCH = 2000
SEND_BATCH = 200
TIMEOUT_S = 10


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the n-th failed attempt: 1, 2, 4, 8, 16 minutes."""
    return dt.timedelta(minutes=2 ** max(0, attempts - 1))


def webhook_require_manage(*, user: User) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm(MANAGE_PERM):
        raise PermissionDenied(detail=_("Only admins manage webhooks."))


@dataclass
class WebhookIn:
    name: str
    url: str
    events: list[str]
    is_active: bool = True


def _clean(data: WebhookIn) -> dict[str, Any]:
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    if not name or len(name) > 200:
        errors.append(FieldError("name", _("Give the webhook a name (at most 200 characters).")))
    url = (data.url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
        if len(url) > 500:
            raise DjangoValidationError("long")
    except DjangoValidationError:
        errors.append(FieldError("url", _("Give a web address (http or https).")))
    events = [str(e).strip() for e in (data.events or []) if str(e).strip()] if isinstance(data.events, list) else []
    if not events or len(events) > 50 or any(len(e) > 64 or " " in e for e in events):
        errors.append(FieldError("events", _("Give the events to send: verbs or their beginnings (ticket.).")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    return {"name": name, "url": url, "events": events, "is_active": bool(data.is_active)}


def _cursor_init() -> None:
    last = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    WebhookCursor.objects.get_or_create(name="webhooks", defaults={"last_event_id": last})


@transaction.atomic
def webhook_create(*, by: User, data: WebhookIn) -> WebhookSubscription:
    webhook_require_manage(user=by)
    values = _clean(data)
    _cursor_init()  # the first subscription starts the feed now, not at the beginning of history
    sub = WebhookSubscription.objects.create(**values, secret=secrets.token_hex(32), created_by=by)
    event_record(actor=by, verb="automation.webhook_created", target=sub, data={"url": sub.url})
    return sub


@transaction.atomic
def webhook_update(*, subscription: WebhookSubscription, by: User, data: WebhookIn) -> WebhookSubscription:
    webhook_require_manage(user=by)
    values = _clean(data)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(**values)
    subscription.refresh_from_db()
    event_record(actor=by, verb="automation.webhook_updated", target=subscription, data={"url": subscription.url})
    return subscription


@transaction.atomic
def webhook_delete(*, subscription: WebhookSubscription, by: User) -> None:
    webhook_require_manage(user=by)
    event_record(actor=by, verb="automation.webhook_deleted", target=subscription, data={"url": subscription.url})
    subscription.delete()


def payload_of(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "verb": event.verb,
        "at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "target": {"type": f"{event.target_type.app_label}.{event.target_type.model}", "id": event.target_id},
        "contact": event.contact_id,
        "data": event.data,
    }


def webhooks_collect() -> int:
    """Queue a delivery of every new Event to each active subscription whose prefixes match its verb."""
    subs = list(WebhookSubscription.objects.filter(is_active=True))
    with transaction.atomic():
        cursor = WebhookCursor.objects.select_for_update().filter(name="webhooks").first()
        if cursor is None:
            return 0
        events = list(
            Event.objects.filter(pk__gt=cursor.last_event_id)
            .select_related("target_type")
            .order_by("pk")[:COLLECT_BATCH]
        )
        if not events:
            return 0
        rows = [
            WebhookDelivery(subscription=s, event_id=e.pk, verb=e.verb, payload=payload_of(e), created_at=e.created_at)
            for e in events
            for s in subs
            if e.created_at >= s.created_at and any(e.verb.startswith(prefix) for prefix in s.events)
        ]
        WebhookDelivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        cursor.last_event_id = events[-1].pk
        cursor.save(update_fields=["last_event_id"])
    return len(rows)


def _post(sub: WebhookSubscription, delivery: WebhookDelivery) -> tuple[int | None, str]:
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    try:
        response = requests.post(
            sub.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Payvand-Webhooks/1",
                "X-Payvand-Event": delivery.verb,
                "X-Payvand-Delivery": str(delivery.pk),
                "X-Payvand-Signature": f"sha256={sign(sub.secret, body)}",
            },
            timeout=TIMEOUT_S,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return response.status_code, "" if 200 <= response.status_code < 300 else response.text[:200]


def webhooks_send(*, now: dt.datetime | None = None, batch: int = SEND_BATCH) -> dict[str, int]:
    """POST the due deliveries; each outcome is saved as it comes (a crash loses no more than one attempt)."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now)
        .select_related("subscription")
        .order_by("next_attempt_at", "id")[:batch]
    )
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    for delivery in due:
        status, error = _post(delivery.subscription, delivery)
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
            counts["delivered"] += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = WebhookDelivery.State.FAILED
            counts["failed"] += 1
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            counts["retry"] += 1
        # Only if still pending: a parallel sender that got there first wins, and nothing is sent twice as done.
        WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.PENDING).update(
            attempts=delivery.attempts,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            state=delivery.state,
            delivered_at=delivery.delivered_at,
            next_attempt_at=delivery.next_attempt_at,
        )
    return counts
