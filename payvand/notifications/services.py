"""Writes of notifications: one row per recipient, as each recipient's preferences say, pushed live after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from payvand.notifications import live
from payvand.notifications.models import Notification, Preference

if TYPE_CHECKING:
    from payvand.accounts.models import User
    from payvand.helpdesk.models import Ticket


def preferences_for(*, user_ids: Iterable[int], kind: str) -> dict[int, Preference]:
    return {p.user_id: p for p in Preference.objects.filter(user_id__in=list(user_ids), kind=kind)}


def notify(
    *,
    recipients: Iterable[User | None],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    ticket: Ticket | None = None,
    exclude: User | None = None,
) -> list[Notification]:
    """Notify each active recipient once (the actor who caused it is left out). Call inside the service's
    transaction: the rows commit with the change, and the live push and instant email go out after commit."""
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if exclude is not None and exclude.pk is not None:
        users.pop(exclude.pk, None)
    if not users:
        return []
    prefs = preferences_for(user_ids=users, kind=kind)
    rows = []
    for user_id in users:
        pref = prefs.get(user_id)
        in_app = pref.in_app if pref else True
        email = pref.email if pref else Preference.Email.INSTANT
        if not in_app and email == Preference.Email.NEVER:
            continue
        rows.append(
            Notification(
                user_id=user_id,
                kind=kind,
                title=title[:300],
                body=body,
                url=url,
                ticket=ticket,
                created_at=timezone.now(),
                read_at=None if in_app else timezone.now(),
                email_due=email != Preference.Email.NEVER,
            )
        )
    created = Notification.objects.bulk_create(rows)
    user_ids = [n.user_id for n in created if n.read_at is None]
    if user_ids:
        transaction.on_commit(lambda: live.push_users(user_ids, {"type": "notification", "kind": kind}))
    instant = [
        n.user_id
        for n in created
        if n.email_due and (prefs.get(n.user_id) is None or prefs[n.user_id].email == Preference.Email.INSTANT)
    ]
    if instant:
        from payvand.notifications.tasks import notifications_email_send

        transaction.on_commit(lambda: notifications_email_send.enqueue(user_ids=instant))
    return created


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
