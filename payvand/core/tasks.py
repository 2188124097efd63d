from __future__ import annotations

from django.contrib.sessions.models import Session
from django.tasks import task
from django.utils import timezone


@task()
def sessions_purge() -> int:
    """Delete expired sessions."""
    deleted, _info = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
