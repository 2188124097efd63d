"""Writes of notifications: one row per recipient, as each recipient's preferences say, pushed live after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.core import batch
from payvand.core.errors import FieldError, ValidationFailed
from payvand.core.services import event_record
from payvand.notifications import live
from payvand.notifications.models import Kind, Notification, Preference

if TYPE_CHECKING:
    from payvand.accounts.models import User
    from payvand.helpdesk.models import Ticket


def preferences_for(*, user_ids: Iterable[int], kind: str) -> dict[int, Preference]:
    ids = sorted(set(user_ids))
    # In a batch the same people are notified again and again; their preferences don't change meanwhile.
    return batch.memo(
        ("notifications.preferences", kind, tuple(ids)),
        lambda: {p.user_id: p for p in Preference.objects.filter(user_id__in=ids, kind=kind)},
    )


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
        transaction.on_commit(lambda: _email_soon(instant))
    return created


def _email_many(user_ids_lists: list[list[int]]) -> None:
    from payvand.notifications.tasks import notifications_email_send

    notifications_email_send.enqueue(user_ids=sorted({uid for ids in user_ids_lists for uid in ids}))


def _email_soon(user_ids: list[int]) -> None:
    """Queue the instant email of these users' due notifications; in a batch, one task for the whole batch (the
    task sends every due notification of each user, so one run covers them all)."""
    if not batch.after_commit("notifications.email", user_ids, _email_many):
        _email_many([user_ids])


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def preference_set(*, user: User, kind: str, in_app: bool, email: str) -> Preference:
    """What the user wants for one kind of notification: in the app or not, and by email never, at once or in the
    daily digest. Only a change writes (and leaves an Event)."""
    errors = []
    if kind not in Kind.values:
        errors.append(FieldError("kind", _("Unknown kind of notification.")))
    if email not in Preference.Email.values:
        errors.append(FieldError("email", _("Choose never, at once or in a daily digest.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        pref = Preference.objects.select_for_update().filter(user=user, kind=kind).first()
        if pref is None:
            if in_app and email == Preference.Email.INSTANT:
                return Preference(user=user, kind=kind, in_app=True, email=email)  # the default: nothing to store
            pref = Preference.objects.create(user=user, kind=kind, in_app=in_app, email=email)
        elif (pref.in_app, pref.email) == (in_app, email):
            return pref
        else:
            pref.in_app, pref.email = in_app, email
            pref.save(update_fields=["in_app", "email"])
        event_record(
            actor=user,
            verb="notification.preference",
            target=user,
            data={"kind": kind, "in_app": in_app, "email": email},
        )
    return pref
