"""The user's calendar and time zone hold for their request only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from payvand.accounts.services import user_update_preferences
from payvand.core import localization

pytestmark = pytest.mark.django_db


def test_the_calendar_and_time_zone_do_not_outlive_the_request(agent_a, client_for):
    user_update_preferences(user=agent_a, language="fa", time_zone="Asia/Tehran")
    localization.activate_calendar(None)
    assert client_for(agent_a).get("/accounts/profile/").status_code == 200
    assert localization._calendar.get() is None  # the language-based default applies again
    assert timezone.get_current_timezone_name() == "UTC"
