"""Notification writes: who gets a row, what their preferences change, the live push after commit, marking read,
and saving preferences."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.core.errors import ValidationFailed
from payvand.core.models import Event
from payvand.notifications import live, services
from payvand.notifications.models import Kind, Notification, Preference

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[int], dict[str, Any]]]:
    sent: list[tuple[list[int], dict[str, Any]]] = []
    monkeypatch.setattr(live, "push_users", lambda user_ids, payload: sent.append((list(user_ids), payload)))
    return sent


def test_it_notifies_each_recipient_once_and_leaves_out_the_actor(
    agent_a, agent_b, dispatcher, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = services.notify(
            recipients=[agent_a, agent_a, agent_b, None, dispatcher], kind=Kind.ASSIGNED, title="T", exclude=dispatcher
        )
    assert sorted(n.user_id for n in rows) == sorted([agent_a.pk, agent_b.pk])
    assert Notification.objects.count() == 2
    assert pushes == [([agent_a.pk, agent_b.pk], {"type": "notification", "kind": "assigned"})]


def test_it_pushes_only_after_the_commit(agent_a, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(recipients=[agent_a], kind=Kind.TASK, title="A task")
    assert pushes == []
    assert callbacks


def test_it_skips_inactive_users(agent_a, pushes):
    agent_a.is_active = False
    assert services.notify(recipients=[agent_a], kind=Kind.TASK, title="x") == []


def test_it_follows_each_users_preferences(agent_a, agent_b, outsider, pushes, django_capture_on_commit_callbacks):
    Preference.objects.create(user=agent_a, kind=Kind.MESSAGE, in_app=False, email=Preference.Email.INSTANT)
    Preference.objects.create(user=agent_b, kind=Kind.MESSAGE, in_app=False, email=Preference.Email.NEVER)
    Preference.objects.create(user=outsider, kind=Kind.MESSAGE, in_app=True, email=Preference.Email.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[agent_a, agent_b, outsider], kind=Kind.MESSAGE, title="New message")
    by_user = {n.user_id: n for n in Notification.objects.all()}
    assert agent_b.pk not in by_user  # neither in the app nor by email: nothing at all
    assert by_user[agent_a.pk].read_at is not None  # email only
    assert by_user[agent_a.pk].email_due
    assert by_user[outsider.pk].read_at is None  # in the app, and by email in the digest
    assert by_user[outsider.pk].email_due
    assert pushes == [([outsider.pk], {"type": "notification", "kind": "message"})]


def test_it_marks_read_only_the_users_own_notifications(agent_a, agent_b, pushes):
    mine = services.notify(recipients=[agent_a], kind=Kind.TASK, title="mine")[0]
    theirs = services.notify(recipients=[agent_b], kind=Kind.TASK, title="theirs")[0]
    assert services.notification_mark_read(user=agent_a, ids=[mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
    assert services.notification_mark_read(user=agent_b) == 1


def test_preference_set_stores_a_change_and_records_it(agent_a):
    pref = services.preference_set(user=agent_a, kind=Kind.MESSAGE, in_app=False, email=Preference.Email.DIGEST)
    assert (pref.pk is not None, pref.in_app, pref.email) == (True, False, "digest")
    assert Event.objects.filter(verb="notification.preference").count() == 1
    services.preference_set(user=agent_a, kind=Kind.MESSAGE, in_app=False, email=Preference.Email.DIGEST)
    assert Event.objects.filter(verb="notification.preference").count() == 1  # no change, no event
    services.preference_set(user=agent_a, kind=Kind.MESSAGE, in_app=True, email=Preference.Email.INSTANT)
    row = Preference.objects.get(user=agent_a, kind=Kind.MESSAGE)
    assert (row.in_app, row.email) == (True, "instant")
    assert Event.objects.filter(verb="notification.preference").count() == 2


def test_preference_set_stores_nothing_for_the_default(agent_a):
    services.preference_set(user=agent_a, kind=Kind.TASK, in_app=True, email=Preference.Email.INSTANT)
    assert not Preference.objects.exists()
    assert not Event.objects.filter(verb="notification.preference").exists()


@pytest.mark.parametrize(
    ("kind", "email", "field"),
    [("birthday", "instant", "kind"), (Kind.TASK, "weekly", "email"), ("", "", "kind")],
)
def test_preference_set_refuses_bad_values(agent_a, kind, email, field):
    with pytest.raises(ValidationFailed) as caught:
        services.preference_set(user=agent_a, kind=kind, in_app=True, email=email)
    assert field in [e.field for e in caught.value.errors]
    assert not Preference.objects.exists()
