"""Background work of the channels: processing stored inbound messages, retrying reply deliveries."""

from __future__ import annotations

from django.tasks import task


@task()
def inbound_process_task(inbound_id: int) -> bool:
    from payvand.messaging.models import InboundMessage
    from payvand.messaging.services import inbound_process

    inbound = inbound_process(inbound_id=inbound_id)
    return inbound is not None and inbound.state == InboundMessage.State.PROCESSED


@task()
def outbound_retry_due_task() -> int:
    """Every minute: replies whose backoff has passed, and stored inbound messages that failed (a provider's file
    server was down, the database was)."""
    from payvand.messaging.services import inbound_retry_due, outbound_retry_due

    return outbound_retry_due() + inbound_retry_due()
