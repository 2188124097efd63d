"""The periodic-job table and the lease that lets only one scheduler enqueue at a time.

Each job is a django.tasks Task and an interval. Apps add their jobs to JOBS (SLA checks, mail polling, reminders).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone

from payvand.core.models import ScheduledRun, SchedulerLease

LEASE_NAME = "scheduler"


@dataclass(frozen=True)
class Job:
    name: str
    task: Task
    every: dt.timedelta


def jobs() -> list[Job]:
    from payvand.automation.tasks import automation_tick_task, webhooks_task
    from payvand.contacts.tasks import import_files_purge
    from payvand.core.tasks import sessions_purge
    from payvand.helpdesk.tasks import postponed_wake_task, queues_drain_task
    from payvand.mail.tasks import imap_poll_task, inbound_retry_task, outbound_retry_task
    from payvand.messaging.tasks import outbound_retry_due_task
    from payvand.notifications.tasks import notifications_digest_send
    from payvand.sla.tasks import sla_tick_task
    from payvand.telephony.tasks import appointment_reminders_task

    return [
        Job("core.sessions_purge", sessions_purge, dt.timedelta(hours=6)),
        Job("contacts.import_files_purge", import_files_purge, dt.timedelta(hours=1)),
        Job("helpdesk.postponed_wake", postponed_wake_task, dt.timedelta(minutes=5)),
        Job("helpdesk.queues_drain", queues_drain_task, dt.timedelta(minutes=5)),
        Job("messaging.outbound_retry", outbound_retry_due_task, dt.timedelta(minutes=1)),
        Job("notifications.digest", notifications_digest_send, dt.timedelta(days=1)),
        Job("sla.tick", sla_tick_task, dt.timedelta(minutes=1)),
        Job("mail.imap_poll", imap_poll_task, dt.timedelta(minutes=1)),
        Job("mail.inbound_retry", inbound_retry_task, dt.timedelta(minutes=2)),
        Job("mail.outbound_retry", outbound_retry_task, dt.timedelta(minutes=1)),
        Job("telephony.appointment_reminders", appointment_reminders_task, dt.timedelta(minutes=1)),
        Job("automation.tick", automation_tick_task, dt.timedelta(minutes=5)),
        Job("automation.webhooks", webhooks_task, dt.timedelta(minutes=1)),
    ]


def lease_acquire(*, holder: str, ttl: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Take or renew the lease; False when another live scheduler holds it. Safe under concurrency."""
    now = now or timezone.now()
    SchedulerLease.objects.get_or_create(name=LEASE_NAME)
    taken = SchedulerLease.objects.filter(
        Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lt=now), name=LEASE_NAME
    ).update(holder=holder, expires_at=now + ttl)
    return taken == 1


def lease_release(*, holder: str) -> None:
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).update(holder="", expires_at=None)


def enqueue_due(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose interval has passed since its last run. Returns the names enqueued."""
    now = now or timezone.now()
    done = []
    for job in jobs():
        with transaction.atomic():
            run, created = ScheduledRun.objects.select_for_update().get_or_create(
                job=job.name, defaults={"last_run_at": now}
            )
            if not created and run.last_run_at + job.every > now:
                continue
            run.last_run_at = now
            run.save(update_fields=["last_run_at"])
            transaction.on_commit(job.task.enqueue)
            done.append(job.name)
    return done
