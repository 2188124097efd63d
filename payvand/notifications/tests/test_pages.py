"""Notification pages: the list (unread first), the bell and its count, following and marking read, preferences."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from payvand.notifications.models import Kind, Notification, Preference

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
PREFS = reverse("notifications:preferences")


def _note(user, title: str, *, read: bool = False, minutes_ago: int = 0, url: str = "/cartable/") -> Notification:
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user, kind=Kind.ASSIGNED, title=title, url=url, created_at=when, read_at=when if read else None
    )


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-notification-id="(\d+)"', html)]


def test_it_sends_visitors_to_the_login_page(db, client_for):
    for name in ("list", "bell", "count", "preferences"):
        response = client_for(None).get(reverse(f"notifications:{name}"))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_it_lists_my_notifications_unread_first(agent_a, agent_b, client_for):
    old_unread = _note(agent_a, "Old but unread", minutes_ago=60)
    new_read = _note(agent_a, "New and read", read=True)
    newest_unread = _note(agent_a, "Newest unread", minutes_ago=1)
    _note(agent_b, "Not mine")
    response = client_for(agent_a).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert _ids(html) == [newest_unread.pk, old_unread.pk, new_read.pk]
    assert "Not mine" not in html


def test_it_pages_through_read_notifications(agent_a, client_for):
    notes = [_note(agent_a, f"N{i}", read=True, minutes_ago=i) for i in range(35)]
    client = client_for(agent_a)
    first = client.get(LIST)
    assert _ids(first.content.decode()) == [n.pk for n in notes[:30]]
    cursor = first.context["page"].next_cursor
    second = client.get(LIST, {"cursor": cursor})
    assert _ids(second.content.decode()) == [n.pk for n in notes[30:]]
    assert client.get(LIST, {"cursor": "garbage"}).status_code == 200


def test_it_keeps_the_list_queries_flat(agent_a, client_for, django_assert_max_num_queries):
    client = client_for(agent_a)
    _note(agent_a, "one")
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for i in range(40):
        _note(agent_a, f"n{i}", read=bool(i % 2))
    with django_assert_max_num_queries(12) as many:
        client.get(LIST)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_marks_one_as_read_and_only_my_own(agent_a, agent_b, client_for):
    mine, theirs = _note(agent_a, "mine"), _note(agent_b, "theirs")
    client = client_for(agent_a)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("notifications:read", args=[mine.pk]), {"next": "/notifications/?x=1"})
    assert response["Location"] == "/notifications/?x=1"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
    assert client.get(reverse("notifications:read", args=[mine.pk])).status_code == 405


def test_it_marks_all_as_read(agent_a, agent_b, client_for):
    _note(agent_a, "a"), _note(agent_a, "b")
    theirs = _note(agent_b, "c")
    client = client_for(agent_a)
    response = client.post(reverse("notifications:read_all"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Trigger"] == "pv-notifications-changed"
    assert not Notification.objects.filter(user=agent_a, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_following_a_notification_marks_it_read_and_goes_there(agent_a, agent_b, client_for):
    note = _note(agent_a, "go", url="/tickets/42/")
    evil = _note(agent_a, "evil", url="https://evil.example/")
    theirs = _note(agent_b, "theirs")
    client = client_for(agent_a)
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == "/tickets/42/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert client.get(reverse("notifications:open", args=[evil.pk]))["Location"] == LIST
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404


def test_the_bell_shows_the_unread_count_and_latest(agent_a, outsider, client_for):
    client = client_for(agent_a)
    assert "pv-bell-unread" not in client.get(reverse("notifications:count")).content.decode()
    unread = _note(agent_a, "Ticket assigned to you")
    read = _note(agent_a, "Old news", read=True, minutes_ago=5)
    count = client.get(reverse("notifications:count")).content.decode()
    assert 'data-count="1"' in count
    bell = client.get(reverse("notifications:bell")).content.decode()
    assert _ids(bell) == [unread.pk, read.pk]
    assert "Ticket assigned to you" in bell
    # Someone without any role still has a bell, showing only their own.
    assert _ids(client_for(outsider).get(reverse("notifications:bell")).content.decode()) == []


def test_it_shows_preferences_with_the_defaults(agent_a, client_for):
    Preference.objects.create(user=agent_a, kind=Kind.MESSAGE, in_app=False, email=Preference.Email.DIGEST)
    response = client_for(agent_a).get(PREFS)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["in_app_message"].initial is False
    assert form["email_message"].initial == "digest"
    assert form["in_app_task"].initial is True
    assert form["email_task"].initial == "instant"
    assert len(form.field_rows()) == len(Kind.values)


def test_it_saves_preferences(agent_a, client_for):
    data = {f"email_{kind}": "instant" for kind in Kind.values}
    data.update({f"in_app_{kind}": "on" for kind in Kind.values})
    data["email_message"] = "digest"
    del data["in_app_status"]
    data["email_status"] = "never"
    response = client_for(agent_a).post(PREFS, data)
    assert response.status_code == 302
    rows = {p.kind: (p.in_app, p.email) for p in Preference.objects.filter(user=agent_a)}
    assert rows == {"message": (True, "digest"), "status": (False, "never")}


def test_it_refuses_bad_preferences(agent_a, client_for):
    data = {f"email_{kind}": "instant" for kind in Kind.values}
    data["email_task"] = "hourly"
    response = client_for(agent_a).post(PREFS, data)
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert not Preference.objects.exists()
