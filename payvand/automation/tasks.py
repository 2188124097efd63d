from __future__ import annotations

import requests
from django.conf import settings
from django.tasks import task

from payvand.automation.actions import sign


@task()
def webhook_post(*, url: str, body: str) -> int:
    """POST a rule's webhook call, signed with HMAC-SHA256 of the body (header X-Payvand-Signature)."""
    secret = str(getattr(settings, "PAYVAND_WEBHOOK_SECRET", "") or settings.SECRET_KEY)
    response = requests.post(
        url,
        data=body.encode(),
        headers={"Content-Type": "application/json", "X-Payvand-Signature": f"sha256={sign(secret, body.encode())}"},
        timeout=10,
    )
    return response.status_code


@task()
def automation_tick_task() -> dict[str, int]:
    """The scheduler's time-based rules."""
    from payvand.automation.timed import automation_tick

    result = automation_tick()
    return {"fired": result.fired, "failed": result.failed, "checked": result.checked}


@task()
def webhooks_task() -> dict[str, int]:
    """The scheduler's webhooks: queue deliveries of new events, then send the due ones."""
    from payvand.automation.webhooks import webhooks_collect, webhooks_send

    queued = webhooks_collect()
    return {"queued": queued, **webhooks_send()}
