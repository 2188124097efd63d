"""Ticket services: create (validation, numbering, organisation, tags, watchers, events), duplicates, edit with
optimistic locking and status rules, assign, watch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.contacts.services import contact_affiliation_add, contact_create
from payvand.core.errors import Conflict, ValidationFailed
from payvand.helpdesk import services
from payvand.helpdesk.models import Channel, Status, StatusCategory, Ticket, TicketCounter
from payvand.helpdesk.tests.factories import CategoryFactory, TicketTypeFactory, status_for
from payvand.helpdesk.tests.services_support import agent_in, event_data, ticket_new, verbs
from payvand.notifications.models import Notification
from payvand.projects.models import Project

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[Any]) -> set[str | None]:
    return {e.field for e in exc.value.errors}


# ---------------------------------------------------------------------------------------------- create


def test_it_creates_a_ticket_with_every_field(agent_a: User, supervisor: User, customer_x: Contact, team_a: Team):
    ticket_type = TicketTypeFactory.create(default_priority=3)
    category = CategoryFactory.create()
    project = Project.objects.create(name="Rollout", code="R1")
    due = timezone.now() + dt.timedelta(days=2)

    ticket = services.ticket_create(
        by=agent_a,
        subject="  Printer jams  ",
        description="Every morning.",
        requester=customer_x,
        channel=Channel.PHONE,
        type=ticket_type,
        category=category,
        team=team_a,
        project=project,
        tags=["hardware", "urgent", "hardware", " "],
        watchers=[supervisor],
        estimate_minutes=90,
        due_at=due,
        external_id="<m1@mail>",
        route=False,
    )

    ticket.refresh_from_db()
    assert ticket.subject == "Printer jams"
    assert ticket.priority == 3  # the type's default
    assert (ticket.channel, ticket.type, ticket.category, ticket.project, ticket.team) == (
        "phone",
        ticket_type,
        category,
        project,
        team_a,
    )
    assert ticket.status_category == StatusCategory.NEW
    assert ticket.status.category == StatusCategory.NEW
    assert sorted(t.name for t in ticket.tags.all()) == ["hardware", "urgent"]
    assert list(ticket.watchers.all()) == [supervisor]
    assert ticket.estimate_minutes == 90
    assert ticket.due_at == due
    assert ticket.created_by == agent_a
    assert ticket.version == 1
    assert "printer" in ticket.search_text
    assert ticket.reference == f"#{ticket.number}"
    assert verbs(ticket) == ["ticket.created"]
    assert event_data(ticket, "ticket.created")["reference"] == ticket.reference


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"description": "x" * 100_001}, "description"),
        ({"priority": 9}, "priority"),
        ({"priority": 0}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"estimate_minutes": -5}, "estimate_minutes"),
        ({"external_id": "x" * 301}, "external_id"),
        ({"tags": ["x" * 65]}, "tags"),
        ({"tags": "one,two"}, "tags"),
    ],
)
def test_it_refuses_bad_fields(agent_a: User, customer_x: Contact, fields: dict[str, Any], bad: str):
    before = Ticket.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=agent_a, requester=customer_x, **fields)
    assert bad in _fields(exc)
    assert Ticket.objects.count() == before


def test_it_names_every_bad_field_at_once(agent_a: User, customer_x: Contact):
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=agent_a, requester=customer_x, subject="", priority=7, channel="x")
    assert _fields(exc) == {"subject", "priority", "channel"}


def test_it_refuses_inactive_type_category_and_assignee(agent_a: User, customer_x: Contact, team_a: Team):
    old_type = TicketTypeFactory.create(is_active=False)
    old_category = CategoryFactory.create(is_active=False)
    agent_a.is_active = False
    agent_a.save()
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=None, requester=customer_x, type=old_type, category=old_category, assignee=agent_a)
    assert _fields(exc) == {"type", "category", "assignee"}


def test_it_refuses_an_assignee_outside_the_team(agent_a: User, customer_x: Contact, team_b: Team):
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=None, requester=customer_x, team=team_b, assignee=agent_a)
    assert _fields(exc) == {"assignee"}


def test_it_puts_a_preassigned_ticket_in_the_assignees_team(agent_a: User, customer_x: Contact, team_a: Team):
    ticket = ticket_new(by=None, requester=customer_x, assignee=agent_a)
    assert ticket.team == team_a
    assert verbs(ticket) == ["ticket.created", "ticket.assigned"]
    assert Notification.objects.filter(user=agent_a, ticket=ticket, kind="assigned").count() == 1


def test_it_never_registers_an_external_id_twice(agent_a: User, customer_x: Contact):
    first = ticket_new(by=agent_a, requester=customer_x, external_id="<same@mail>")
    with pytest.raises(Conflict) as exc:
        ticket_new(by=agent_a, requester=customer_x, subject="Other", external_id="<same@mail>")
    assert exc.value.extra == {"ticket": first.pk, "reference": first.reference}
    assert Ticket.objects.filter(external_id="<same@mail>").count() == 1


def test_numbers_are_unique_and_increasing(agent_a: User, customer_x: Contact):
    numbers = [ticket_new(by=agent_a, requester=customer_x, subject=f"T{i}").number for i in range(5)]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 5
    assert numbers[-1] - numbers[0] == 4
    assert TicketCounter.objects.get(pk=1).last == numbers[-1]


def test_a_failed_create_does_not_use_up_a_number(agent_a: User, customer_x: Contact):
    first = ticket_new(by=agent_a, requester=customer_x, external_id="<x@mail>")
    with pytest.raises(Conflict):
        ticket_new(by=agent_a, requester=customer_x, external_id="<x@mail>")
    assert ticket_new(by=agent_a, requester=customer_x).number == first.number + 1


def test_numbering_survives_a_lost_counter_row(agent_a: User, customer_x: Contact):
    first = ticket_new(by=agent_a, requester=customer_x)
    TicketCounter.objects.all().delete()
    second = ticket_new(by=agent_a, requester=customer_x)
    assert second.number == first.number + 1


def test_the_organisation_comes_from_the_requesters_affiliation(customer_x: Contact):
    other = contact_create(by=None, name="Other Org", kind=Contact.Kind.ORGANISATION, allow_duplicates=True)
    primary = contact_create(by=None, name="Main Org", kind=Contact.Kind.ORGANISATION, allow_duplicates=True)
    contact_affiliation_add(person=customer_x, organisation=other, by=None)
    contact_affiliation_add(person=customer_x, organisation=primary, by=None)
    customer_x.affiliations.update(is_primary=False)
    customer_x.affiliations.filter(organisation=primary).update(is_primary=True)

    ticket = ticket_new(by=None, requester=customer_x)
    assert ticket.organisation == primary

    org_ticket = ticket_new(by=None, requester=primary)
    assert org_ticket.organisation is None


def test_a_projects_ticket_goes_to_the_projects_team(customer_x: Contact, team_b: Team):
    project = Project.objects.create(name="Rollout", code="R2", team=team_b)
    ticket = ticket_new(by=None, requester=customer_x, project=project)
    assert ticket.team == team_b


def test_creating_routes_and_notifies_the_assignee(agent_a: User, dispatcher: User, customer_x: Contact, team_a):
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a, route=True)
    assert ticket.assignee == agent_a
    assert verbs(ticket) == ["ticket.created", "ticket.routed", "ticket.assigned"]
    assert Notification.objects.filter(user=agent_a, kind="assigned", ticket=ticket).exists()


def test_a_ticket_nobody_can_take_tells_the_team_lead(customer_x: Contact, team_a: Team, supervisor: User):
    team_a.lead = supervisor
    team_a.save()
    ticket = ticket_new(by=None, requester=customer_x, team=team_a, route=True)  # the team has no members
    assert ticket.assignee is None
    assert Notification.objects.filter(user=supervisor, kind="queued", ticket=ticket).exists()


# ---------------------------------------------------------------------------------------------- form values


def _form_type() -> Any:
    forms_services = pytest.importorskip("payvand.forms.services")
    form = forms_services.form_create(
        by=None,
        name="Device",
        spec={
            "sections": [
                {
                    "title": "Device",
                    "fields": [
                        {
                            "name": "serial",
                            "kind": "text",
                            "label": "Serial",
                            "required": True,
                            "pattern": "[A-Z]{2}-[0-9]{4}",
                        },
                        {"name": "count", "kind": "number", "label": "Count", "min": 1, "max": 10},
                    ],
                }
            ]
        },
    )
    return TicketTypeFactory.create(form=form)


def test_it_cleans_form_values_with_the_types_form(agent_a: User, customer_x: Contact):
    ticket_type = _form_type()
    ticket = ticket_new(
        by=agent_a, requester=customer_x, type=ticket_type, form_values={"serial": "AB-1234", "count": "۳"}
    )
    assert ticket.form_values == {"serial": "AB-1234", "count": 3}


def test_it_refuses_bad_form_values_per_field(agent_a: User, customer_x: Contact):
    ticket_type = _form_type()
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=agent_a, requester=customer_x, type=ticket_type, form_values={"serial": "nope", "count": 50})
    assert _fields(exc) == {"serial", "count"}
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=agent_a, requester=customer_x, type=ticket_type, form_values={})
    assert _fields(exc) == {"serial"}
    assert not Ticket.objects.exists()


def test_form_values_without_a_form_are_refused(agent_a: User, customer_x: Contact):
    with pytest.raises(ValidationFailed) as exc:
        ticket_new(by=agent_a, requester=customer_x, form_values={"serial": "AB-1234"})
    assert _fields(exc) == {"form_values"}


# ---------------------------------------------------------------------------------------------- duplicates


def test_it_finds_a_similar_ticket_of_the_same_requester(customer_x: Contact, customer_y: Contact):
    first = ticket_new(by=None, requester=customer_x, subject="Printer on floor 3 is broken")
    found = services.ticket_find_duplicates(requester=customer_x, subject="printer on floor 3 broken")
    assert [c.ticket for c in found] == [first]
    assert found[0].reason == "subject"
    assert found[0].score >= services.DUPLICATE_SCORE
    # another requester, an unrelated subject, or the ticket itself: nothing
    assert services.ticket_find_duplicates(requester=customer_y, subject="Printer on floor 3 is broken") == []
    assert services.ticket_find_duplicates(requester=customer_x, subject="Invoice is wrong") == []
    assert services.ticket_find_duplicates(requester=customer_x, subject=first.subject, exclude_id=first.pk) == []


def test_duplicates_by_body(customer_x: Contact):
    first = ticket_new(
        by=None, requester=customer_x, subject="Help", description="The scanner in room 12 shows error E42"
    )
    found = services.ticket_find_duplicates(
        requester=customer_x, subject="Question", description="scanner room 12 shows error E42 again"
    )
    assert [(c.ticket, c.reason) for c in found] == [(first, "description")]


def test_duplicates_outside_the_window_or_closed_are_not_offered(customer_x: Contact, supervisor: User, settings):
    settings.TICKET_DUPLICATE_WINDOW_DAYS = 7
    old = ticket_new(by=None, requester=customer_x, subject="Printer is broken")
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    closed = ticket_new(by=None, requester=customer_x, subject="Printer is broken")
    services.ticket_close(ticket=closed, by=supervisor)
    assert services.ticket_find_duplicates(requester=customer_x, subject="Printer is broken") == []


def test_duplicates_by_external_id_are_found_whatever_their_state(customer_x: Contact, customer_y, supervisor):
    first = ticket_new(by=None, requester=customer_x, subject="A", external_id="<dup@mail>")
    services.ticket_close(ticket=first, by=supervisor)
    found = services.ticket_find_duplicates(requester=customer_y, subject="B", external_id="<dup@mail>")
    assert [(c.ticket, c.reason, c.score) for c in found] == [(first, "external_id", 100)]


# ---------------------------------------------------------------------------------------------- update


def test_it_updates_fields_and_bumps_the_version(agent_a: User, customer_x: Contact, team_a: Team):
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    category = CategoryFactory.create()
    updated = services.ticket_update(
        ticket=ticket,
        by=agent_a,
        version=ticket.version,
        subject="New subject",
        priority=4,
        category=category,
        tags=["a", "b"],
        status=status_for(StatusCategory.PENDING_CUSTOMER),
    )
    updated.refresh_from_db()
    assert (updated.subject, updated.priority, updated.category) == ("New subject", 4, category)
    assert updated.status_category == StatusCategory.PENDING_CUSTOMER
    assert sorted(t.name for t in updated.tags.all()) == ["a", "b"]
    assert updated.version == ticket.version + 1
    assert "new subject" in updated.search_text
    assert set(event_data(updated, "ticket.updated")["fields"]) == {"subject", "priority", "category", "tags", "status"}


def test_a_stale_version_conflicts_and_says_the_current_one(agent_a: User, customer_x: Contact):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_update(ticket=ticket, by=agent_a, version=1, subject="First")
    with pytest.raises(Conflict) as exc:
        services.ticket_update(ticket=ticket, by=agent_a, version=1, subject="Second")
    assert exc.value.extra == {"version": 2}
    assert _fields(exc) == {"version"}
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.version) == ("First", 2)


def test_tags_only_edits_are_versioned_too(agent_a: User, customer_x: Contact):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_update(ticket=ticket, by=agent_a, version=1, tags=["x"])
    with pytest.raises(Conflict):
        services.ticket_update(ticket=ticket, by=agent_a, version=1, tags=["y"])
    assert [t.name for t in ticket.tags.all()] == ["x"]


def test_an_update_without_changes_writes_nothing(agent_a: User, customer_x: Contact):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_update(ticket=ticket, by=agent_a, version=1, subject=ticket.subject, priority=ticket.priority)
    ticket.refresh_from_db()
    assert ticket.version == 1
    assert "ticket.updated" not in verbs(ticket)


@pytest.mark.parametrize("category", [StatusCategory.RESOLVED, StatusCategory.CLOSED, StatusCategory.POSTPONED])
def test_update_cannot_jump_to_a_done_or_postponed_status(agent_a: User, customer_x: Contact, category: str):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_update(ticket=ticket, by=agent_a, status=status_for(category))
    assert _fields(exc) == {"status"}


def test_a_custom_status_sets_its_category(agent_a: User, customer_x: Contact):
    waiting = Status.objects.create(name="Waiting for parts", category=StatusCategory.PENDING_THIRD_PARTY)
    ticket = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_set_status(ticket=ticket, by=agent_a, status=waiting)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.status_category) == (waiting, StatusCategory.PENDING_THIRD_PARTY)


def test_a_done_ticket_must_be_reopened_before_editing(agent_a: User, supervisor: User, customer_x: Contact):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_close(ticket=ticket, by=supervisor)
    with pytest.raises(Conflict):
        services.ticket_update(ticket=ticket, by=agent_a, subject="Changed")
    # tags and watchers may still change
    services.ticket_update(ticket=ticket, by=agent_a, tags=["after-close"])
    assert [t.name for t in ticket.tags.all()] == ["after-close"]


def test_update_refuses_unknown_fields_and_bad_values(agent_a: User, customer_x: Contact):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_update(ticket=ticket, by=agent_a, number=5)
    assert _fields(exc) == {"number"}
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_update(ticket=ticket, by=agent_a, subject="", priority=12, status="open")
    assert _fields(exc) == {"subject", "priority", "status"}
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_update(ticket=ticket, by=agent_a, type=TicketTypeFactory.create(is_active=False))
    assert _fields(exc) == {"type"}


# ---------------------------------------------------------------------------------------------- assign and watch


def test_it_assigns_a_team_member_and_opens_the_ticket(agent_a: User, dispatcher: User, customer_x, team_a: Team):
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a)
    services.ticket_assign(ticket=ticket, by=dispatcher, assignee=agent_a, version=1)
    ticket.refresh_from_db()
    assert ticket.assignee == agent_a
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.version == 2
    data = event_data(ticket, "ticket.assigned")
    assert (data["assignee"], data["from_assignee"], data["reason"]) == (agent_a.pk, None, "manual")
    assert Notification.objects.filter(user=agent_a, kind="assigned", ticket=ticket).count() == 1


def test_assigning_someone_outside_the_team_is_refused(agent_b: User, dispatcher: User, customer_x, team_a: Team):
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_assign(ticket=ticket, by=dispatcher, assignee=agent_b)
    assert exc.value.status == 422
    assert _fields(exc) == {"assignee"}
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assigning_with_a_team_moves_the_ticket(agent_b: User, dispatcher: User, customer_x, team_a, team_b):
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a)
    services.ticket_assign(ticket=ticket, by=dispatcher, assignee=agent_b, team=team_b)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_b, agent_b)
    assert event_data(ticket, "ticket.assigned")["from_team"] == team_a.pk


def test_assign_with_a_stale_version_conflicts(agent_a: User, dispatcher: User, customer_x, team_a: Team):
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a)
    services.ticket_update(ticket=ticket, by=dispatcher, version=1, priority=3)
    with pytest.raises(Conflict):
        services.ticket_assign(ticket=ticket, by=dispatcher, assignee=agent_a, version=1)


def test_reassigning_frees_the_agent_and_the_queue_moves(
    dispatcher: User, customer_x: Contact, team_a: Team, django_capture_on_commit_callbacks: Any
):
    team_a.capacity_per_member = 1
    team_a.save()
    solo = agent_in(team_a, "solo@example.com")
    first = ticket_new(by=dispatcher, requester=customer_x, team=team_a, route=True)
    waiting = ticket_new(by=dispatcher, requester=customer_x, team=team_a, route=True, subject="Second")
    assert (first.assignee, waiting.assignee) == (solo, None)
    other = agent_in(team_a, "other@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=first, by=dispatcher, assignee=other)
    waiting.refresh_from_db()
    assert waiting.assignee == solo  # solo's capacity freed: the waiting ticket was taken at once


def test_unassigning_puts_the_ticket_back_in_the_queue(agent_a: User, dispatcher: User, customer_x, team_a):
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a, assignee=agent_a)
    services.ticket_assign(ticket=ticket, by=dispatcher, assignee=None)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_a, None)
    assert event_data(ticket, "ticket.assigned")["from_assignee"] == agent_a.pk


def test_watching_is_idempotent_and_recorded(agent_a: User, customer_x: Contact):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_watch(ticket=ticket, by=agent_a)
    services.ticket_watch(ticket=ticket, by=agent_a)
    assert list(ticket.watchers.all()) == [agent_a]
    services.ticket_watch(ticket=ticket, by=agent_a, watch=False)
    assert not ticket.watchers.exists()
    assert verbs(ticket).count("ticket.watched") == 1
    assert verbs(ticket).count("ticket.unwatched") == 1
    ticket.refresh_from_db()
    assert ticket.version == 1
