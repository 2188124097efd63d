from __future__ import annotations

from django.tasks import task

from payvand.telephony.services import appointment_reminders_send


@task()
def appointment_reminders_task() -> dict[str, int]:
    """The scheduler's reminder of planned calls and meetings that start now."""
    return {"sent": appointment_reminders_send()}
