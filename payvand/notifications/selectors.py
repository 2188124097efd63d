"""Every read of notifications: always the viewer's own."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from payvand.core.errors import NotFound, ValidationFailed
from payvand.notifications.models import Kind, Notification, Preference

if TYPE_CHECKING:
    from payvand.accounts.models import User


def notification_queryset_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """The user's own notification; anyone else's is a 404 (no one learns which ids exist)."""
    note = notification_queryset_for_user(user=user).filter(pk=notification_id).first()
    if note is None:
        raise NotFound(detail=_("No such notification."))
    return note


def notification_unread_count(*, user: User) -> int:
    return notification_queryset_for_user(user=user).filter(read_at__isnull=True).count()


def notification_latest(*, user: User, limit: int = 8) -> list[Notification]:
    """For the bell: unread first, then the newest."""
    qs = notification_queryset_for_user(user=user).select_related("ticket")
    unread = list(qs.filter(read_at__isnull=True).order_by("-created_at", "-id")[:limit])
    if len(unread) < limit:
        unread += list(qs.filter(read_at__isnull=False).order_by("-created_at", "-id")[: limit - len(unread)])
    return unread


@dataclass
class NotificationPage:
    unread: list[Notification]
    read: list[Notification]
    next_cursor: str | None


def _encode(note: Notification) -> str:
    raw = json.dumps([note.created_at.isoformat(), note.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = json.loads(raw)
        if not isinstance(pk, int) or not isinstance(when, str):
            raise ValueError
        moment = dt.datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError
        return moment, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page.")) from None


def notification_page(
    *, user: User, cursor: str | None = None, limit: int = 30, unread_limit: int = 200
) -> NotificationPage:
    """The notifications page: every unread one first (up to `unread_limit`), then the read ones newest first,
    by keyset pagination (`cursor`); later pages hold read ones only."""
    qs = notification_queryset_for_user(user=user).select_related("ticket")
    unread: list[Notification] = []
    read_qs = qs.filter(read_at__isnull=False)
    if cursor:
        when, pk = _decode(cursor)
        read_qs = read_qs.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
    else:
        unread = list(qs.filter(read_at__isnull=True).order_by("-created_at", "-id")[:unread_limit])
    read = list(read_qs.order_by("-created_at", "-id")[: limit + 1])
    next_cursor = _encode(read[limit - 1]) if len(read) > limit else None
    return NotificationPage(unread=unread, read=read[:limit], next_cursor=next_cursor)


@dataclass
class PreferenceRow:
    kind: str
    label: str
    in_app: bool
    email: str


def preference_rows(*, user: User) -> list[PreferenceRow]:
    """One row per kind of notification, with the user's choice or the default (in-app, email at once)."""
    saved = {p.kind: p for p in Preference.objects.filter(user=user)}
    rows = []
    for value, label in Kind.choices:
        pref = saved.get(value)
        rows.append(
            PreferenceRow(
                kind=value,
                label=str(label),
                in_app=pref.in_app if pref else True,
                email=pref.email if pref else Preference.Email.INSTANT,
            )
        )
    return rows
