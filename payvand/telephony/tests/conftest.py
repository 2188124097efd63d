from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from payvand.accounts.models import User
from payvand.accounts.services import api_token_create, user_create


@pytest.fixture
def pbx_user(role_groups: dict[str, Any]) -> User:
    """The service account a PBX connector posts call events with."""
    user = user_create(email="pbx@example.com", password="pw-Secret-123", full_name="PBX", role_names=[])
    user.user_permissions.add(Permission.objects.get(codename="post_events", content_type__app_label="telephony"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def pbx(pbx_user: User) -> Client:
    _token, raw = api_token_create(user=pbx_user, name="pbx")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def post_event(pbx: Client) -> Callable[..., Any]:
    def post(event: str, call_id: str = "c-1", **fields: Any) -> Any:
        return pbx.post(
            "/api/v1/telephony/events",
            {"event": event, "call_id": call_id, **fields},
            content_type="application/json",
        )

    return post


@pytest.fixture
def agent_ext(agent_a: User) -> User:
    agent_a.extension = "201"
    agent_a.save(update_fields=["extension"])
    return agent_a


@pytest.fixture(autouse=True)
def _fresh_agent_cache() -> Any:
    """Each test sets its own extensions: the event path's extension → agents cache starts empty."""
    from payvand.telephony.services import agent_cache_clear

    agent_cache_clear()
    yield
    agent_cache_clear()
