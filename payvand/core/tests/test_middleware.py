"""UserPreferencesMiddleware: the signed-in user's language, time zone and calendar hold for the whole request."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from payvand.accounts.middleware import UserPreferencesMiddleware
from payvand.accounts.models import User
from payvand.core import localization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    with translation.override("en"):
        yield
    localization.activate_calendar(None)
    timezone.deactivate()


def _seen_during_request(user: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update(
            language=translation.get_language(),
            zone=timezone.get_current_timezone_name(),
            calendar=localization.current_calendar(),
            request_language=getattr(request, "LANGUAGE_CODE", None),
        )
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = user
    assert UserPreferencesMiddleware(view)(request).status_code == 200
    return seen


def test_it_activates_a_persian_users_language_zone_and_jalali_calendar(agent_a):
    User.objects.filter(pk=agent_a.pk).update(language="fa", time_zone="Asia/Tehran")
    agent_a.refresh_from_db()
    assert _seen_during_request(agent_a) == {
        "language": "fa",
        "zone": "Asia/Tehran",
        "calendar": "jalali",
        "request_language": "fa",
    }


def test_it_honours_a_persian_user_who_chose_gregorian(agent_a):
    agent_a.language, agent_a.calendar = "fa", "gregorian"
    assert _seen_during_request(agent_a)["calendar"] == "gregorian"


def test_it_activates_a_hungarian_users_preferences(agent_a):
    agent_a.language, agent_a.time_zone = "hu", "Europe/Budapest"
    assert _seen_during_request(agent_a) == {
        "language": "hu",
        "zone": "Europe/Budapest",
        "calendar": "gregorian",
        "request_language": "hu",
    }


def test_it_falls_back_to_the_default_zone_for_a_bad_stored_zone(agent_a, settings):
    agent_a.time_zone = "Not/AZone"
    assert _seen_during_request(agent_a)["zone"] == settings.TIME_ZONE


def test_it_resets_zone_and_calendar_for_anonymous_visitors(agent_a):
    timezone.activate(zoneinfo.ZoneInfo("Asia/Tehran"))  # left over from someone else's request
    localization.activate_calendar("jalali")
    seen = _seen_during_request(AnonymousUser())
    assert seen["calendar"] == "gregorian"  # from the (English) language, not a previous request
    assert seen["zone"] == "UTC"


def test_it_shows_pages_in_the_users_preferences(agent_a, client_for):
    User.objects.filter(pk=agent_a.pk).update(language="fa", time_zone="Asia/Tehran")
    response = client_for(agent_a).get("/accounts/profile/")
    assert response.status_code == 200
    assert response.context["CURRENT_CALENDAR"] == "jalali"
    assert response.context["IS_RTL"] is True
    assert response["Content-Language"] == "fa"
    User.objects.filter(pk=agent_a.pk).update(language="hu", calendar="jalali")
    response = client_for(agent_a).get("/accounts/profile/")
    assert (response.context["CURRENT_CALENDAR"], response.context["IS_RTL"]) == ("jalali", False)
    assert response["Content-Language"] == "hu"
