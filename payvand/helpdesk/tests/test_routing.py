"""Routing: team by project and rules, then a person by the team's strategy, capacity and availability; events."""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.utils import translation

from payvand.accounts.models import Availability, Skill, Team, User
from payvand.contacts.models import Contact, Segment
from payvand.contacts.tests.factories import ContactFactory, OrganisationFactory
from payvand.core.models import Event
from payvand.helpdesk import routing
from payvand.helpdesk.models import (
    Channel,
    StatusCategory,
    TeamSettings,
    Ticket,
)
from payvand.helpdesk.routing import (
    NoTeamError,
    Reason,
    assignee_choose,
    capacity_load,
    queue_drain,
    queue_drain_for_user,
    reason_label,
    team_choose,
    ticket_route,
)
from payvand.helpdesk.tests.factories import (
    CategoryFactory,
    RoutingRuleFactory,
    SkillFactory,
    TeamFactory,
    TeamMembershipFactory,
    TeamSettingsFactory,
    TicketFactory,
    TicketTypeFactory,
    UserFactory,
    status_for,
)
from payvand.projects.models import Project

pytestmark = pytest.mark.django_db

Strategy = TeamSettings.Strategy


# --- helpers ----------------------------------------------------------------------------------------------------


@pytest.fixture
def requester(db: None) -> Contact:
    return ContactFactory.create(name="Routing Customer")


def team_with(strategy: str | None = None, **fields: Any) -> Team:
    team = TeamFactory.create(**fields)
    if strategy is not None:
        TeamSettingsFactory.create(team=team, strategy=strategy)
    return team


def agent_in(
    team: Team,
    *,
    capacity: int | None = None,
    availability: str = Availability.ONLINE,
    skills: tuple[Skill, ...] = (),
    **fields: Any,
) -> User:
    user = UserFactory.create(availability=availability, **fields)
    TeamMembershipFactory.create(team=team, user=user, capacity=capacity)
    if skills:
        user.skills.set(skills)
    return user


def new_ticket(requester: Contact, **fields: Any) -> Ticket:
    return TicketFactory.create(requester=requester, **fields)


def routed(requester: Contact, **fields: Any) -> Ticket:
    ticket = new_ticket(requester, **fields)
    ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    return ticket


def give(user: User, team: Team, requester: Contact, count: int = 1) -> None:
    for _ in range(count):
        new_ticket(requester, team=team, assignee=user)


def close(ticket: Ticket) -> None:
    status = status_for(StatusCategory.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(status=status, status_category=status.category)


def ticket_events(ticket: Ticket) -> Any:
    return Event.objects.filter(
        target_type=ContentType.objects.get_for_model(Ticket), target_id=str(ticket.pk)
    ).order_by("id")


def events(ticket: Ticket, verb: str) -> list[Event]:
    return list(ticket_events(ticket).filter(verb=verb))


def last_data(ticket: Ticket, verb: str) -> dict[str, Any]:
    found = events(ticket, verb)
    assert found, f"no {verb} event"
    return found[-1].data


# --- team -------------------------------------------------------------------------------------------------------


def test_it_keeps_a_team_set_by_the_caller(requester: Contact) -> None:
    first, preset = TeamFactory.create(), TeamFactory.create()
    RoutingRuleFactory.create(team=first)

    ticket = routed(requester, team=preset)

    assert ticket.team == preset
    assert last_data(ticket, "ticket.routed") == {"team": preset.pk, "reason": Reason.PRESET}


def test_it_sends_a_project_ticket_to_the_project_team(requester: Contact) -> None:
    other, project_team = TeamFactory.create(), TeamFactory.create()
    RoutingRuleFactory.create(team=other, channel=Channel.EMAIL)
    project = Project.objects.create(name="Rollout", code="RO-1", team=project_team)

    ticket = routed(requester, project=project, channel=Channel.EMAIL)

    assert ticket.team == project_team
    assert last_data(ticket, "ticket.routed") == {"team": project_team.pk, "reason": Reason.PROJECT}


def test_it_routes_a_project_without_a_team_by_the_rules(requester: Contact) -> None:
    TeamFactory.create()
    ruled = TeamFactory.create()
    project = Project.objects.create(name="Loose", code="LO-1")
    rule = RoutingRuleFactory.create(team=ruled, project=project)

    ticket = routed(requester, project=project)

    assert ticket.team == ruled
    assert last_data(ticket, "ticket.routed") == {"team": ruled.pk, "reason": Reason.RULE, "rule": rule.pk}


def test_it_tries_rules_by_order_then_id(requester: Contact) -> None:
    late, early, tie = TeamFactory.create(), TeamFactory.create(), TeamFactory.create()
    RoutingRuleFactory.create(team=late, channel=Channel.PHONE, order=20)
    first_of_tie = RoutingRuleFactory.create(team=early, channel=Channel.PHONE, order=10)
    RoutingRuleFactory.create(team=tie, channel=Channel.PHONE, order=10)

    ticket = new_ticket(requester, channel=Channel.PHONE)

    assert team_choose(ticket=ticket) == (early, Reason.RULE)
    first_of_tie.order = 30
    first_of_tie.save()
    assert team_choose(ticket=ticket) == (tie, Reason.RULE)


def test_it_skips_inactive_rules(requester: Contact) -> None:
    fallback, off = TeamFactory.create(), TeamFactory.create()
    RoutingRuleFactory.create(team=off, channel=Channel.SMS, is_active=False)

    assert team_choose(ticket=new_ticket(requester, channel=Channel.SMS)) == (fallback, Reason.FALLBACK)


def condition_value(condition: str, key: str) -> Any:
    """A value for one rule condition; `key` tells two values apart."""
    if condition == "type":
        return TicketTypeFactory.create()
    if condition == "category":
        return CategoryFactory.create()
    if condition == "channel":
        return {"a": Channel.LETTER, "b": Channel.FAX}[key]
    if condition == "segment":
        return Segment.objects.create(name=f"Group {key}")
    return Project.objects.create(name=f"Project {key}", code=f"PR-{key}")


@pytest.mark.parametrize("condition", ["type", "category", "channel", "segment", "project"])
def test_it_matches_each_rule_condition(requester: Contact, condition: str) -> None:
    fallback, target = TeamFactory.create(), TeamFactory.create()
    wanted, other = condition_value(condition, "a"), condition_value(condition, "b")
    RoutingRuleFactory.create(team=target, **{condition: wanted})

    def ticket_with(value: Any) -> Ticket:
        if condition == "segment":  # the customer's group, not a ticket field
            requester.segments.set([value])
            return new_ticket(requester)
        return new_ticket(requester, **{condition: value})

    assert team_choose(ticket=ticket_with(wanted)) == (target, Reason.RULE)
    assert team_choose(ticket=ticket_with(other)) == (fallback, Reason.FALLBACK)


def test_it_requires_every_condition_of_a_rule(requester: Contact) -> None:
    fallback, target = TeamFactory.create(), TeamFactory.create()
    kind = TicketTypeFactory.create()
    RoutingRuleFactory.create(team=target, type=kind, channel=Channel.EMAIL)

    assert team_choose(ticket=new_ticket(requester, type=kind, channel=Channel.WEB)) == (fallback, Reason.FALLBACK)
    assert team_choose(ticket=new_ticket(requester, type=kind, channel=Channel.EMAIL)) == (target, Reason.RULE)


def test_it_matches_a_parent_category_rule_for_a_subcategory(requester: Contact) -> None:
    TeamFactory.create()
    target = TeamFactory.create()
    parent = CategoryFactory.create(name="Billing")
    child = CategoryFactory.create(name="Refunds", parent=parent)
    RoutingRuleFactory.create(team=target, category=parent)

    assert team_choose(ticket=new_ticket(requester, category=child)) == (target, Reason.RULE)


def test_it_matches_the_customer_group_of_the_organisation(requester: Contact) -> None:
    TeamFactory.create()
    target = TeamFactory.create()
    corporate = Segment.objects.create(name="Corporate")
    organisation = OrganisationFactory.create(name="Acme")
    organisation.segments.add(corporate)
    RoutingRuleFactory.create(team=target, segment=corporate)

    assert team_choose(ticket=new_ticket(requester, organisation=organisation)) == (target, Reason.RULE)


def test_it_uses_a_rule_without_conditions_as_the_default_team(requester: Contact) -> None:
    TeamFactory.create()
    specific, default = TeamFactory.create(), TeamFactory.create()
    RoutingRuleFactory.create(team=default, order=1000)
    RoutingRuleFactory.create(team=specific, channel=Channel.EMAIL, order=10)

    assert team_choose(ticket=new_ticket(requester, channel=Channel.EMAIL)) == (specific, Reason.RULE)
    assert team_choose(ticket=new_ticket(requester, channel=Channel.WEB)) == (default, Reason.DEFAULT_RULE)


def test_it_falls_back_to_the_team_with_the_lowest_id(requester: Contact) -> None:
    first = TeamFactory.create(name="Zulu")  # created first: lowest id, though last by name
    TeamFactory.create(name="Alpha")

    ticket = routed(requester)

    assert ticket.team == first
    assert last_data(ticket, "ticket.routed")["reason"] == Reason.FALLBACK


def test_it_leaves_a_ticket_unrouted_when_no_team_exists(requester: Contact) -> None:
    ticket = new_ticket(requester)

    with pytest.raises(NoTeamError):
        team_choose(ticket=ticket)
    ticket_route(ticket=ticket)

    ticket.refresh_from_db()
    assert ticket.team is None
    assert last_data(ticket, "ticket.queued") == {"team": None, "reason": Reason.NO_TEAM}


# --- person: strategies -----------------------------------------------------------------------------------------


def test_it_assigns_the_least_loaded_agent_when_the_team_has_no_settings(requester: Contact) -> None:
    team = team_with(capacity_per_member=5)
    busy, idle = agent_in(team), agent_in(team)
    give(busy, team, requester, 2)

    ticket = routed(requester, team=team)

    assert ticket.assignee == idle
    assert last_data(ticket, "ticket.assigned") == {"assignee": idle.pk, "reason": Reason.LEAST_LOADED}


def test_it_skips_agents_at_capacity_and_queues_when_everyone_is_full(requester: Contact) -> None:
    team = team_with(Strategy.LEAST_LOADED, capacity_per_member=1)
    full, free = agent_in(team), agent_in(team)
    give(full, team, requester)

    assert routed(requester, team=team).assignee == free
    waiting = routed(requester, team=team)

    assert waiting.assignee is None
    assert last_data(waiting, "ticket.queued") == {"team": team.pk, "reason": Reason.EVERYONE_FULL}
    assert events(waiting, "ticket.assigned") == []


def test_it_uses_a_personal_capacity_over_the_team_default(requester: Contact) -> None:
    team = team_with(capacity_per_member=1)
    roomy = agent_in(team, capacity=3)
    agent_in(team, capacity=0)

    tickets = [routed(requester, team=team) for _ in range(4)]

    assert [t.assignee for t in tickets] == [roomy, roomy, roomy, None]


def test_it_respects_the_team_total_capacity(requester: Contact) -> None:
    team = team_with(capacity_per_member=5, capacity=2)
    agent_in(team)
    agent_in(team)

    tickets = [routed(requester, team=team) for _ in range(3)]

    assert [t.assignee is not None for t in tickets] == [True, True, False]
    assert last_data(tickets[2], "ticket.queued")["reason"] == Reason.TEAM_FULL


def test_it_counts_only_active_tickets_towards_capacity(requester: Contact) -> None:
    team = team_with(capacity_per_member=1)
    agent = agent_in(team)
    done = new_ticket(requester, team=team, assignee=agent)
    close(done)
    for category in (StatusCategory.RESOLVED, StatusCategory.CANCELLED):
        status = status_for(category)
        new_ticket(requester, team=team, assignee=agent, status=status, status_category=category)

    assert capacity_load(team=team) == {agent.pk: 0}
    assert routed(requester, team=team).assignee == agent
    assert capacity_load(team=team) == {agent.pk: 1}


def test_it_counts_tickets_of_every_team_towards_an_agents_capacity(requester: Contact) -> None:
    team, other = team_with(capacity_per_member=2), team_with(capacity_per_member=5)
    shared = agent_in(team)
    TeamMembershipFactory.create(team=other, user=shared)
    give(shared, other, requester, 2)

    ticket = routed(requester, team=team)

    assert ticket.assignee is None
    assert last_data(ticket, "ticket.queued")["reason"] == Reason.EVERYONE_FULL


def test_it_leaves_tickets_of_a_manual_team_in_the_queue(requester: Contact) -> None:
    team = team_with(Strategy.MANUAL)
    agent_in(team)

    ticket = routed(requester, team=team)

    assert ticket.assignee is None
    assert last_data(ticket, "ticket.queued") == {"team": team.pk, "reason": Reason.MANUAL}
    assert queue_drain(team=team) == 0


def test_it_rotates_round_robin_after_the_last_assigned(requester: Contact) -> None:
    team = team_with(Strategy.ROUND_ROBIN, capacity_per_member=10)
    a, b, c = agent_in(team), agent_in(team), agent_in(team)
    TeamSettings.objects.filter(team=team).update(last_assigned=b)

    assignees = [routed(requester, team=team).assignee for _ in range(4)]

    assert assignees == [c, a, b, c]
    assert TeamSettings.objects.get(team=team).last_assigned == c
    assert {e.data["reason"] for t in Ticket.objects.filter(team=team) for e in events(t, "ticket.assigned")} == {
        Reason.ROUND_ROBIN
    }


def test_it_skips_full_and_unavailable_agents_in_round_robin(requester: Contact) -> None:
    team = team_with(Strategy.ROUND_ROBIN, capacity_per_member=1)
    a = agent_in(team)
    b = agent_in(team, availability=Availability.AWAY)
    c = agent_in(team)
    give(a, team, requester)

    assert routed(requester, team=team).assignee == c
    ticket = routed(requester, team=team)
    assert ticket.assignee is None
    assert last_data(ticket, "ticket.queued")["reason"] == Reason.EVERYONE_FULL
    assert b.assigned_tickets.count() == 0


def test_it_assigns_by_the_skill_of_the_ticket_type(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    persian = SkillFactory.create(name="Persian")
    agent_in(team)
    busy_speaker = agent_in(team, skills=(persian,))
    speaker = agent_in(team, skills=(persian,))
    give(busy_speaker, team, requester)
    kind = TicketTypeFactory.create(required_skill=persian)

    ticket = routed(requester, team=team, type=kind)

    assert ticket.assignee == speaker
    assert last_data(ticket, "ticket.assigned")["reason"] == Reason.SKILL


def test_it_assigns_by_the_skill_of_the_category_or_its_parent(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    network = SkillFactory.create(name="Networking")
    agent_in(team)
    expert = agent_in(team, skills=(network,))
    parent = CategoryFactory.create(required_skill=network)
    child = CategoryFactory.create(parent=parent)

    assert routed(requester, team=team, category=parent).assignee == expert
    assert routed(requester, team=team, category=child).assignee == expert


def test_it_requires_both_the_type_and_the_category_skill(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    one, two = SkillFactory.create(), SkillFactory.create()
    agent_in(team, skills=(one,))
    both = agent_in(team, skills=(one, two))

    ticket = routed(
        requester,
        team=team,
        type=TicketTypeFactory.create(required_skill=one),
        category=CategoryFactory.create(required_skill=two),
    )

    assert ticket.assignee == both


def test_it_queues_when_no_agent_has_the_skill(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    agent_in(team)
    kind = TicketTypeFactory.create(required_skill=SkillFactory.create(name="Legal"))

    ticket = routed(requester, team=team, type=kind)

    assert ticket.assignee is None
    assert last_data(ticket, "ticket.queued") == {"team": team.pk, "reason": Reason.NO_SKILLED_AGENT}


def test_it_queues_when_the_skilled_agents_are_not_online(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    legal = SkillFactory.create(name="Legal")
    agent_in(team)
    agent_in(team, skills=(legal,), availability=Availability.OFF)

    ticket = routed(requester, team=team, type=TicketTypeFactory.create(required_skill=legal))

    assert last_data(ticket, "ticket.queued")["reason"] == Reason.NOBODY_AVAILABLE


def test_it_assigns_the_least_loaded_when_no_skill_is_required(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    agent = agent_in(team)

    ticket = routed(requester, team=team, type=TicketTypeFactory.create())

    assert ticket.assignee == agent
    assert last_data(ticket, "ticket.assigned")["reason"] == Reason.LEAST_LOADED


def test_it_prefers_project_members_then_others(requester: Contact) -> None:
    team = team_with(Strategy.PROJECT, capacity_per_member=1)
    outsider_member = agent_in(team)
    member_a, member_b = agent_in(team), agent_in(team)
    not_in_team = UserFactory.create()
    project = Project.objects.create(name="Fibre", code="FB-1", team=team)
    project.members.set([member_a, member_b, not_in_team])

    tickets = [routed(requester, project=project) for _ in range(4)]

    assert [t.assignee for t in tickets] == [member_a, member_b, outsider_member, None]
    reasons = [last_data(t, "ticket.assigned")["reason"] for t in tickets[:3]]
    assert reasons == [Reason.PROJECT_MEMBER, Reason.PROJECT_MEMBER, Reason.LEAST_LOADED]
    assert not_in_team.assigned_tickets.count() == 0


# --- availability -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("availability", [Availability.AWAY, Availability.OFF])
def test_it_skips_agents_who_are_not_online(requester: Contact, availability: str) -> None:
    team = team_with(Strategy.LEAST_LOADED)
    online = agent_in(team)
    agent_in(team, availability=availability)
    give(online, team, requester, 3)

    assert routed(requester, team=team).assignee == online


def test_it_skips_deactivated_users(requester: Contact) -> None:
    team = team_with()
    agent_in(team, is_active=False)

    ticket = routed(requester, team=team)

    assert last_data(ticket, "ticket.queued")["reason"] == Reason.NOBODY_AVAILABLE


@pytest.mark.parametrize("strategy", [Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN, Strategy.PROJECT])
def test_it_queues_when_nobody_is_online(requester: Contact, strategy: str) -> None:
    team = team_with(strategy)
    agent_in(team, availability=Availability.AWAY)
    agent_in(team, availability=Availability.OFF)

    ticket = routed(requester, team=team)

    assert ticket.assignee is None
    assert last_data(ticket, "ticket.queued") == {"team": team.pk, "reason": Reason.NOBODY_AVAILABLE}


def test_it_queues_in_a_team_without_members(requester: Contact) -> None:
    team = team_with()

    assert last_data(routed(requester, team=team), "ticket.queued")["reason"] == Reason.NOBODY_AVAILABLE


# --- ticket_route: what it writes -------------------------------------------------------------------------------


def test_it_records_routed_then_assigned_events_with_actor_and_customer(requester: Contact) -> None:
    team = team_with()
    agent = agent_in(team)
    rule = RoutingRuleFactory.create(team=team, channel=Channel.EMAIL)
    dispatcher = UserFactory.create()
    ticket = new_ticket(requester, channel=Channel.EMAIL)

    ticket_route(ticket=ticket, by=dispatcher)

    routed_event, assigned_event = ticket_events(ticket)
    assert routed_event.verb == "ticket.routed"
    assert routed_event.data == {"team": team.pk, "reason": Reason.RULE, "rule": rule.pk}
    assert assigned_event.verb == "ticket.assigned"
    assert assigned_event.data == {"assignee": agent.pk, "reason": Reason.LEAST_LOADED}
    assert {routed_event.actor, assigned_event.actor} == {dispatcher}
    assert {routed_event.contact, assigned_event.contact} == {requester}


def test_it_saves_only_the_fields_it_changed_and_bumps_the_version(requester: Contact) -> None:
    team = team_with()
    agent = agent_in(team)
    ticket = new_ticket(requester)
    ticket.subject = "changed in memory only"

    ticket_route(ticket=ticket)

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.team, stored.assignee, stored.version) == (team, agent, 2)
    assert stored.subject != "changed in memory only"
    assert ticket.version == 2


def test_it_does_not_save_when_nothing_changes(requester: Contact) -> None:
    team = team_with(Strategy.MANUAL)
    ticket = new_ticket(requester, team=team)

    ticket_route(ticket=ticket)

    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_it_keeps_an_assignee_set_by_the_caller(requester: Contact) -> None:
    team = team_with()
    agent_in(team)
    chosen = agent_in(team)
    give(chosen, team, requester, 3)

    ticket = routed(requester, team=team, assignee=chosen)

    assert ticket.assignee == chosen
    assert events(ticket, "ticket.assigned") == []
    assert events(ticket, "ticket.queued") == []


def test_it_does_not_assign_a_ticket_that_is_no_longer_active(requester: Contact) -> None:
    team = team_with()
    agent_in(team)
    status = status_for(StatusCategory.CLOSED)

    ticket = routed(requester, status=status, status_category=status.category)

    assert (ticket.team, ticket.assignee) == (team, None)
    assert events(ticket, "ticket.queued") == []


def test_assignee_choose_decides_without_writing(requester: Contact) -> None:
    team = team_with(Strategy.ROUND_ROBIN)
    agent = agent_in(team)
    ticket = new_ticket(requester, team=team)

    assert assignee_choose(ticket=ticket, team=team) == (agent, Reason.ROUND_ROBIN)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert TeamSettings.objects.get(team=team).last_assigned is None
    assert not ticket_events(ticket).exists()


def test_capacity_load_counts_active_assigned_tickets_of_each_member(requester: Contact) -> None:
    team, other = team_with(), team_with()
    a, b, idle = agent_in(team), agent_in(team), agent_in(team)
    agent_in(other)
    give(a, team, requester, 2)
    give(b, other, requester, 1)
    close(new_ticket(requester, team=team, assignee=b))

    assert capacity_load(team=team) == {a.pk: 2, b.pk: 1, idle.pk: 0}


def test_reason_labels_are_translatable_text() -> None:
    assert reason_label(Reason.EVERYONE_FULL) == "Every available agent is at capacity"
    assert reason_label("something_new") == "something_new"
    with translation.override("fa"):
        assert isinstance(reason_label(Reason.MANUAL), str)
    assert set(routing.VERBS) == {"ticket.routed", "ticket.assigned", "ticket.queued"}


# --- queue_drain ------------------------------------------------------------------------------------------------


def test_it_drains_the_queue_oldest_first_when_capacity_frees(requester: Contact) -> None:
    team = team_with(capacity_per_member=1)
    agent = agent_in(team)
    first = routed(requester, team=team)
    waiting = [routed(requester, team=team) for _ in range(3)]
    assert [t.assignee for t in waiting] == [None, None, None]

    close(first)
    assert queue_drain(team=team) == 1

    assignees = [Ticket.objects.get(pk=t.pk).assignee for t in waiting]
    assert assignees == [agent, None, None]
    data = last_data(waiting[0], "ticket.assigned")
    assert data == {"assignee": agent.pk, "reason": Reason.LEAST_LOADED, "from_queue": True}
    assert Ticket.objects.get(pk=waiting[0].pk).version == 2


def test_a_ticket_taken_from_the_queue_notifies_its_assignee_and_the_cartables(
    requester: Contact, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from payvand.notifications import live
    from payvand.notifications.models import Notification

    pushed: list[dict[str, Any]] = []
    monkeypatch.setattr(live, "push_ticket", lambda **kw: pushed.append(kw))
    team = team_with(capacity_per_member=1)
    agent = agent_in(team)
    first = routed(requester, team=team)
    waiting = routed(requester, team=team)
    close(first)
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert queue_drain(team=team) == 1

    note = Notification.objects.get(user=agent)
    assert (note.kind, note.ticket_id, note.url) == ("assigned", waiting.pk, f"/tickets/{waiting.pk}/")
    assert pushed == [{"ticket_id": waiting.pk, "team_ids": [team.pk], "user_ids": [agent.pk], "verb": "assigned"}]


def test_it_drains_when_an_agent_comes_online(requester: Contact) -> None:
    team, other = team_with(capacity_per_member=5), team_with(capacity_per_member=5)
    agent = agent_in(team, availability=Availability.AWAY)
    TeamMembershipFactory.create(team=other, user=agent)
    waiting = [routed(requester, team=team), routed(requester, team=other)]

    User.objects.filter(pk=agent.pk).update(availability=Availability.ONLINE)
    assert queue_drain_for_user(user=agent) == 2

    assert [Ticket.objects.get(pk=t.pk).assignee for t in waiting] == [agent, agent]


def test_it_drains_in_round_robin_turn(requester: Contact) -> None:
    team = team_with(Strategy.ROUND_ROBIN, capacity_per_member=5)
    a = agent_in(team, availability=Availability.OFF)
    b = agent_in(team, availability=Availability.OFF)
    waiting = [routed(requester, team=team) for _ in range(3)]

    User.objects.filter(pk__in=[a.pk, b.pk]).update(availability=Availability.ONLINE)
    assert queue_drain(team=team) == 3

    assert [Ticket.objects.get(pk=t.pk).assignee for t in waiting] == [a, b, a]
    assert TeamSettings.objects.get(team=team).last_assigned == a


def test_it_stops_draining_at_the_team_total(requester: Contact) -> None:
    team = team_with(capacity_per_member=5, capacity=2)
    agent = agent_in(team, availability=Availability.OFF)
    waiting = [routed(requester, team=team) for _ in range(4)]

    User.objects.filter(pk=agent.pk).update(availability=Availability.ONLINE)

    assert queue_drain(team=team) == 2
    assert queue_drain(team=team) == 0
    assert [Ticket.objects.get(pk=t.pk).assignee for t in waiting] == [agent, agent, None, None]


def test_it_drains_past_a_ticket_nobody_can_take(requester: Contact) -> None:
    team = team_with(Strategy.SKILL)
    legal = SkillFactory.create(name="Legal")
    agent = agent_in(team, availability=Availability.OFF)
    needs_skill = routed(requester, team=team, type=TicketTypeFactory.create(required_skill=legal))
    plain = routed(requester, team=team)

    User.objects.filter(pk=agent.pk).update(availability=Availability.ONLINE)

    assert queue_drain(team=team) == 1
    assert Ticket.objects.get(pk=needs_skill.pk).assignee is None
    assert Ticket.objects.get(pk=plain.pk).assignee == agent


def test_it_drains_only_active_unassigned_tickets_of_the_team(requester: Contact) -> None:
    team, other = team_with(), team_with()
    agent = agent_in(team)
    closed = new_ticket(requester, team=team)
    close(closed)
    elsewhere = new_ticket(requester, team=other)
    mine = new_ticket(requester, team=team)

    assert queue_drain(team=team) == 1

    assert Ticket.objects.get(pk=mine.pk).assignee == agent
    assert Ticket.objects.get(pk=closed.pk).assignee is None
    assert Ticket.objects.get(pk=elsewhere.pk).assignee is None


def test_it_drains_more_waiting_tickets_than_one_batch(requester: Contact, monkeypatch: Any) -> None:
    monkeypatch.setattr(routing, "_DRAIN_BATCH", 2)
    team = team_with(Strategy.SKILL, capacity_per_member=10)
    legal = SkillFactory.create(name="Legal")
    agent_in(team)
    kind = TicketTypeFactory.create(required_skill=legal)
    stuck = [new_ticket(requester, team=team, type=kind) for _ in range(3)]
    plain = [new_ticket(requester, team=team) for _ in range(3)]

    assert queue_drain(team=team) == 3
    assert Ticket.objects.filter(pk__in=[t.pk for t in plain], assignee__isnull=False).count() == 3
    assert Ticket.objects.filter(pk__in=[t.pk for t in stuck], assignee__isnull=True).count() == 3


# --- concurrency ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builtin_rows_restored(django_db_blocker: Any) -> Any:
    """A transactional test ends by flushing every table, the built-in statuses and the ticket counter included, and
    `--reuse-db` would keep that database for the next run: put the data migration's rows back afterwards (module
    scope, so this runs after the flush)."""
    yield
    with django_db_blocker.unblock():
        migration = importlib.import_module("payvand.helpdesk.migrations.0003_builtin_statuses")
        migration.forwards(django_apps, None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("builtin_rows_restored")
@pytest.mark.parametrize("shared", [False, True], ids=["same-team", "two-teams-sharing-the-agent"])
def test_it_never_gives_the_last_slot_twice_under_concurrency(monkeypatch: Any, shared: bool) -> None:
    """Two creations race for one agent's last free slot, into one team or into two teams the agent belongs to;
    reading the loads is slowed down so that, without the locks, both would see the slot free."""
    team = TeamFactory.create(capacity_per_member=1)
    agent = agent_in(team)
    teams = [team, TeamFactory.create(capacity_per_member=1) if shared else team]
    if shared:
        TeamMembershipFactory.create(team=teams[1], user=agent)
    requester = ContactFactory.create(name="Racer")
    status = status_for(StatusCategory.NEW)
    loads = routing._loads

    def slow_loads(user_ids: list[int]) -> dict[int, int]:
        result = loads(user_ids)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(routing, "_loads", slow_loads)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def create(number: int, team: Team) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                ticket = Ticket.objects.create(
                    number=number, subject="race", requester=requester, status=status, team=team
                )
                ticket_route(ticket=ticket)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(2_000_000_000 + n, teams[n])) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Ticket.objects.filter(number__gte=2_000_000_000).count() == 2
    assert Ticket.objects.filter(assignee=agent).count() == 1
    assert Event.objects.filter(verb="ticket.queued", data__reason=Reason.EVERYONE_FULL).count() == 1
