"""Email delivery of notifications: at once, or as a daily digest."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from payvand.accounts.models import User
from payvand.notifications.models import Notification, Preference


def _send_for(user: User, notes: list[Notification], *, digest: bool) -> None:
    with translation.override(user.language or "en"):
        context = {
            "user": user,
            "notes": notes,
            "digest": digest,
            "site": settings.PAYVAND_NAME,
            "base_url": settings.PAYVAND_BASE_URL,
        }
        subject = render_to_string("notifications/email_subject.txt", context).strip()
        text = render_to_string("notifications/email.txt", context)
    send_mail(subject, text, None, [user.email])


def _deliver(*, user_ids: list[int] | None, digest: bool) -> int:
    sent = 0
    kinds_digest = Preference.objects.filter(email=Preference.Email.DIGEST)
    users = User.objects.filter(is_active=True)
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    for user in users:
        digest_kinds = set(kinds_digest.filter(user=user).values_list("kind", flat=True))
        with transaction.atomic():
            qs = Notification.objects.select_for_update().filter(user=user, email_due=True, emailed_at__isnull=True)
            qs = qs.filter(kind__in=digest_kinds) if digest else qs.exclude(kind__in=digest_kinds)
            notes = list(qs.order_by("created_at")[:200])
            if not notes:
                continue
            _send_for(user, notes, digest=digest)
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=timezone.now())
            sent += len(notes)
    return sent


@task()
def notifications_email_send(user_ids: list[int]) -> int:
    """Send the instant notifications waiting for these users."""
    return _deliver(user_ids=user_ids, digest=False)


@task()
def notifications_digest_send() -> int:
    """Send each user one email with the notifications they chose to take as a digest."""
    return _deliver(user_ids=None, digest=True)
