"""The notifications API: my notifications (unread first), marking them read, and what I want to receive."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from payvand.accounts.models import User
from payvand.core.errors import ValidationFailed
from payvand.core.schemas import ERRORS
from payvand.notifications import selectors, services
from payvand.notifications.models import Notification
from payvand.notifications.schemas import (
    NotificationListParams,
    NotificationOut,
    NotificationPageOut,
    NotificationReadIn,
    NotificationReadOut,
    PreferenceOut,
    PreferencesIn,
)

router = Router(tags=["notifications"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _out(n: Notification) -> NotificationOut:
    return NotificationOut.model_validate(n, from_attributes=True)


def _preferences(user: User) -> list[PreferenceOut]:
    return [PreferenceOut.model_validate(row, from_attributes=True) for row in selectors.preference_rows(user=user)]


@router.get("", response={200: NotificationPageOut, **ERRORS}, summary="My notifications, unread first")
def notification_list(request: HttpRequest, params: Query[NotificationListParams]) -> NotificationPageOut:
    """The first page holds every unread notification, then the newest read ones; `next_cursor` pages on through
    the read ones. With `unread=true`, only the unread ones."""
    user = _user(request)
    page = selectors.notification_page(user=user, cursor=params.cursor, limit=params.limit)
    items = page.unread if params.unread else [*page.unread, *page.read]
    return NotificationPageOut(
        items=[_out(n) for n in items],
        next_cursor=None if params.unread else page.next_cursor,
        unread=selectors.notification_unread_count(user=user),
    )


@router.post("/read", response={200: NotificationReadOut, **ERRORS}, summary="Mark notifications read")
def notification_read(request: HttpRequest, payload: NotificationReadIn) -> NotificationReadOut:
    """Send `ids` (your own; others' are ignored), or `all: true`."""
    user = _user(request)
    if payload.all == (payload.ids is not None):
        raise ValidationFailed.on("ids", _("Send either the ids to mark read or all: true."))
    marked = services.notification_mark_read(user=user, ids=None if payload.all else payload.ids)
    return NotificationReadOut(marked=marked, unread=selectors.notification_unread_count(user=user))


@router.get(
    "/preferences", response={200: list[PreferenceOut], **ERRORS}, summary="What I receive, in the app and by email"
)
def preference_list(request: HttpRequest) -> list[PreferenceOut]:
    return _preferences(_user(request))


@router.put(
    "/preferences",
    response={200: list[PreferenceOut], **ERRORS},
    summary="Choose per kind: in the app or not; email never, at once or in a daily digest",
)
def preference_update(request: HttpRequest, payload: PreferencesIn) -> list[PreferenceOut]:
    """Kinds left out keep their setting."""
    user = _user(request)
    kinds = [p.kind for p in payload.preferences]
    for n, kind in enumerate(kinds):
        if kind in kinds[:n]:
            raise ValidationFailed.on(f"preferences.{n}.kind", _("This kind is given twice."))
    with transaction.atomic():
        for p in payload.preferences:
            services.preference_set(user=user, kind=p.kind, in_app=p.in_app, email=p.email)
    return _preferences(user)
