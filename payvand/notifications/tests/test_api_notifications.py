"""The notifications API: my notifications (unread first, paged), marking them read, and my preferences."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import User
from payvand.notifications.models import Kind, Notification, Preference

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


def _post(api: Client, path: str, body: Any) -> Any:
    return api.post(path, body, content_type="application/json")


def _put(api: Client, path: str, body: Any) -> Any:
    return api.put(path, body, content_type="application/json")


def _fields(response: Any) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


def _note(user: User, title: str, minutes_ago: int, read: bool = False) -> Notification:
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user, kind=Kind.TASK, title=title, created_at=when, read_at=when if read else None
    )


def test_it_lists_my_notifications_unread_first_then_pages_the_read_ones(agent_a, agent_b, api_for):
    old_unread = _note(agent_a, "old unread", 100)
    new_read = _note(agent_a, "new read", 1, read=True)
    older_read = _note(agent_a, "older read", 50, read=True)
    oldest_read = _note(agent_a, "oldest read", 200, read=True)
    _note(agent_b, "someone else's", 1)
    api = api_for(agent_a)
    first = api.get(f"{URL}?limit=2")
    assert first.status_code == 200, first.content
    body = first.json()
    assert [n["id"] for n in body["items"]] == [old_unread.pk, new_read.pk, older_read.pk]
    assert body["unread"] == 1
    second = api.get(f"{URL}?limit=2&cursor={body['next_cursor']}").json()
    assert [n["id"] for n in second["items"]] == [oldest_read.pk]
    assert second["next_cursor"] is None
    unread = api.get(f"{URL}?unread=true").json()
    assert [n["id"] for n in unread["items"]] == [old_unread.pk]


@pytest.mark.parametrize("query", ["cursor=bogus", "limit=0", "limit=101", "unread=perhaps"])
def test_it_refuses_bad_list_parameters(agent_a, api_for, query):
    response = api_for(agent_a).get(f"{URL}?{query}")
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}


def test_notifications_need_a_signed_in_user(outsider, api_for):
    assert Client().get(URL).status_code == 401
    assert _post(Client(), f"{URL}/read", {"all": True}).status_code == 401
    assert Client().get(f"{URL}/preferences").status_code == 401
    assert api_for(outsider).get(URL).json()["items"] == []  # everyone has their own, possibly empty, list


def test_it_marks_some_or_all_read_but_never_someone_elses(agent_a, agent_b, api_for):
    a1, a2, a3 = (_note(agent_a, f"n{n}", n) for n in range(3))
    theirs = _note(agent_b, "theirs", 1)
    api = api_for(agent_a)
    response = _post(api, f"{URL}/read", {"ids": [a1.pk, theirs.pk]})
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 2}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = _post(api, f"{URL}/read", {"all": True})
    assert response.json() == {"marked": 2, "unread": 0}
    assert not Notification.objects.filter(user=agent_a, read_at__isnull=True).exists()
    assert {a2.pk, a3.pk} <= set(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True))


@pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"ids": [0]}, {"ids": "all"}, {"all": False}, [1, 2]])
def test_it_refuses_a_bad_read_request(agent_a, api_for, body):
    note = _note(agent_a, "n", 1)
    response = _post(api_for(agent_a), f"{URL}/read", body)
    assert response.status_code == 422, response.content
    note.refresh_from_db()
    assert note.read_at is None


def test_it_shows_and_changes_my_preferences(agent_a, agent_b, api_for):
    api = api_for(agent_a)
    defaults = api.get(f"{URL}/preferences").json()
    assert [p["kind"] for p in defaults] == Kind.values
    assert all(p["in_app"] is True and p["email"] == "instant" for p in defaults)
    response = _put(
        api,
        f"{URL}/preferences",
        {
            "preferences": [
                {"kind": "task", "in_app": True, "email": "digest"},
                {"kind": "queued", "in_app": False, "email": "never"},
            ]
        },
    )
    assert response.status_code == 200, response.content
    by_kind = {p["kind"]: p for p in response.json()}
    assert (by_kind["task"]["in_app"], by_kind["task"]["email"]) == (True, "digest")
    assert (by_kind["queued"]["in_app"], by_kind["queued"]["email"]) == (False, "never")
    assert by_kind["mention"]["email"] == "instant"
    assert Preference.objects.get(user=agent_a, kind="task").email == "digest"
    assert not Preference.objects.filter(user=agent_b).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"preferences": [{"kind": "gossip", "in_app": True, "email": "never"}]}, "preferences.0.kind"),
        ({"preferences": [{"kind": "task", "in_app": True, "email": "hourly"}]}, "preferences.0.email"),
        (
            {
                "preferences": [
                    {"kind": "task", "in_app": True, "email": "never"},
                    {"kind": "task", "in_app": False, "email": "never"},
                ]
            },
            "preferences.1.kind",
        ),
    ],
)
def test_it_refuses_bad_preferences(agent_a, api_for, body, field):
    response = _put(api_for(agent_a), f"{URL}/preferences", body)
    assert response.status_code == 422, response.content
    assert _fields(response) == {field}
    assert not Preference.objects.exists()
