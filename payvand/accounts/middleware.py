from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from payvand.core import localization


class UserPreferencesMiddleware:
    """Activates the signed-in user's language, time zone and calendar for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            localization.activate_calendar(user.effective_calendar)
        else:
            timezone.deactivate()
            localization.activate_calendar(None)
        try:
            return self.get_response(request)
        finally:
            # The calendar and time zone live in the thread (or task context): don't hand them to the next request
            # or to code that runs after this one on the same thread.
            localization.activate_calendar(None)
            timezone.deactivate()
