"""The Event timeline: event_record writes one row per state change; the selector reads a contact's timeline."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from payvand.accounts.models import Team
from payvand.core.models import Event
from payvand.core.selectors import event_list_for_contact
from payvand.core.services import event_record

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_to_which_object(supervisor, team_a, customer_x):
    before = Event.objects.count()
    event = event_record(
        actor=supervisor, verb="team.member_added", target=team_a, contact=customer_x, data={"user": "a@example.com"}
    )
    assert Event.objects.count() == before + 1
    event.refresh_from_db()
    assert event.actor == supervisor
    assert event.verb == "team.member_added"
    assert event.target_type == ContentType.objects.get_for_model(Team)
    assert event.target_id == str(team_a.pk)
    assert event.target == team_a
    assert event.contact == customer_x
    assert event.data == {"user": "a@example.com"}
    assert event.created_at is not None


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_it_records_system_events_without_an_actor(team_a, actor):
    event = event_record(actor=actor, verb="import.finished", target=team_a)
    event.refresh_from_db()
    assert event.actor is None
    assert event.data == {}
    assert event.contact is None


def test_it_stores_data_as_plain_json(team_a):
    when = dt.datetime(2024, 3, 20, 8, 30, tzinfo=dt.UTC)
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    event = event_record(
        actor=None,
        verb="x.changed",
        target=team_a,
        data={
            "amount": Decimal("12.50"),
            "at": when,
            "day": dt.date(2024, 3, 20),
            "key": key,
            "names": ("a", "b"),
            "nested": {"n": 1},
        },
    )
    event.refresh_from_db()
    assert event.data == {
        "amount": "12.50",
        "at": "2024-03-20T08:30:00Z",
        "day": "2024-03-20",
        "key": str(key),
        "names": ["a", "b"],
        "nested": {"n": 1},
    }


def test_it_refuses_data_that_is_not_json(team_a):
    with pytest.raises(TypeError):
        event_record(actor=None, verb="x.changed", target=team_a, data={"team": object()})
    assert not Event.objects.filter(verb="x.changed").exists()


def test_it_lists_a_contacts_timeline_newest_first(customer_x, customer_y, team_a, supervisor):
    Event.objects.filter(contact__in=[customer_x, customer_y]).delete()
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    old = event_record(actor=supervisor, verb="contact.updated", target=customer_x, contact=customer_x)
    new = event_record(actor=None, verb="contact.flag_added", target=customer_x, contact=customer_x)
    Event.objects.filter(pk=old.pk).update(created_at=base)
    Event.objects.filter(pk=new.pk).update(created_at=base + dt.timedelta(hours=1))
    event_record(actor=None, verb="contact.updated", target=customer_y, contact=customer_y)
    event_record(actor=None, verb="team.member_added", target=team_a)

    timeline = list(event_list_for_contact(contact=customer_x))
    assert [e.pk for e in timeline] == [new.pk, old.pk]
    assert timeline[1].actor == supervisor


def test_it_breaks_ties_by_the_newest_row(customer_x):
    Event.objects.filter(contact=customer_x).delete()
    same = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    first = event_record(actor=None, verb="contact.updated", target=customer_x, contact=customer_x)
    second = event_record(actor=None, verb="contact.updated", target=customer_x, contact=customer_x)
    Event.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=same)
    assert [e.pk for e in event_list_for_contact(contact=customer_x)] == [second.pk, first.pk]


def test_it_limits_the_timeline_without_extra_queries(customer_x, supervisor, django_assert_num_queries):
    for _i in range(12):
        event_record(actor=supervisor, verb="contact.updated", target=customer_x, contact=customer_x)
    with django_assert_num_queries(1):
        timeline = list(event_list_for_contact(contact=customer_x, limit=5))
        assert [e.actor.email for e in timeline if e.actor] == [supervisor.email] * 5
        assert {e.target_type.model for e in timeline} == {"contact"}


def test_it_describes_events_in_the_viewers_language(team_a):
    known = event_record(actor=None, verb="token.created", target=team_a)
    unknown = event_record(actor=None, verb="something.new", target=team_a)
    with translation.override("en"):
        assert known.summary == "API token created"
        assert unknown.summary == "something.new"
    with translation.override("hu"):  # translated when shown, not when the module was imported
        assert known.summary == translation.gettext("API token created")
    assert str(known) == f"token.created {known.target_type_id}:{team_a.pk}"


def test_every_verb_the_services_write_has_a_text(team_a, customer_x, dispatcher, agent_a, supervisor):
    """Creating, working and closing a ticket writes only verbs with a timeline text; routing shows its reason."""
    from payvand.core.events import VERBS
    from payvand.helpdesk import services

    ticket = services.ticket_create(by=dispatcher, subject="Modem", requester=customer_x, team=team_a)
    services.message_add(ticket=ticket, by=agent_a, body="On it", kind="note")
    task = services.task_create(ticket=ticket, by=agent_a, title="Call back", assignee=agent_a)
    services.task_update(task=task, by=agent_a, state="done")
    services.worklog_add(ticket=ticket, by=agent_a, minutes=15)
    services.ticket_close(ticket=ticket, by=supervisor)
    verbs = set(Event.objects.values_list("verb", flat=True))
    assert {"ticket.created", "ticket.routed", "ticket.assigned", "task.done", "ticket.closed"} <= verbs
    assert verbs <= set(VERBS), verbs - set(VERBS)
    assigned = Event.objects.get(verb="ticket.assigned")
    with translation.override("en"):
        assert assigned.summary.startswith("Ticket assigned: ")
        assert assigned.summary != "Ticket assigned: "
