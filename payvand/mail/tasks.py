"""Background work of the mail app: processing stored mail, sending, polling IMAP, the safety nets."""

from __future__ import annotations

from django.tasks import task


@task()
def inbound_process_task(inbound_id: int) -> str:
    from payvand.mail.services import inbound_process

    row = inbound_process(inbound_id=inbound_id)
    return row.status if row is not None else "missing"


@task()
def inbound_process_batch_task(inbound_ids: list[int]) -> int:
    """Process messages stored together (a file import with --queue, an IMAP poll) in one transaction, each in its
    own savepoint. Returns how many were processed."""
    from payvand.mail.services import inbound_process_batch

    return inbound_process_batch(inbound_ids=inbound_ids)


@task()
def inbound_retry_task() -> int:
    """Messages left unprocessed by a crash or a database failure are processed again (once)."""
    from payvand.mail.services import inbound_retry_stale

    return inbound_retry_stale()


@task()
def outbound_send_task(outbound_id: int) -> str:
    from payvand.mail.outbound import outbound_send

    out = outbound_send(outbound_id=outbound_id)
    return out.status if out is not None else "missing"


@task()
def outbound_send_many_task(outbound_ids: list[int]) -> int:
    from payvand.mail.outbound import outbound_send

    return sum(1 for pk in outbound_ids if (out := outbound_send(outbound_id=pk)) is not None and out.status == "sent")


@task()
def outbound_retry_task() -> int:
    from payvand.mail.outbound import outbound_retry_due

    return outbound_retry_due()


@task()
def imap_poll_task() -> int:
    """Fetch new mail of every mailbox that has an IMAP server."""
    from payvand.mail.imap import imap_poll_all

    return imap_poll_all()
