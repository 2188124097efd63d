"""Property tests of routing: random teams, capacities, strategies and availability, then random sequences of ticket
creations, closings and availability changes, followed by the drains the services make when capacity frees.

Invariants: no agent is ever assigned beyond capacity (theirs or the team's total); every ticket ends with the team
the rules say; nothing waits that someone could take; round robin stays fair to within one."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payvand.accounts.models import Availability, Skill, Team, TeamMembership, User
from payvand.contacts.models import Contact
from payvand.contacts.tests.factories import ContactFactory
from payvand.helpdesk.models import (
    ACTIVE_CATEGORIES,
    Channel,
    RoutingRule,
    StatusCategory,
    TeamSettings,
    Ticket,
    TicketType,
)
from payvand.helpdesk.routing import assignee_choose, queue_drain, queue_drain_for_user, ticket_route
from payvand.helpdesk.tests.factories import status_for
from payvand.projects.models import Project

pytestmark = pytest.mark.django_db

Strategy = TeamSettings.Strategy
PROPERTY_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHANNELS = [Channel.EMAIL, Channel.PHONE, Channel.WEB]
# Mostly online, so that capacity, not availability, is what binds.
AVAILABILITIES = [Availability.ONLINE, Availability.ONLINE, Availability.AWAY, Availability.OFF]


# --- the world and what happens in it ---------------------------------------------------------------------------

team_specs = st.fixed_dictionaries(
    {
        "strategy": st.sampled_from(Strategy.values),
        "per_member": st.integers(0, 3),
        "total": st.integers(0, 5),
    }
)
agent_specs = st.fixed_dictionaries(
    {
        "availability": st.sampled_from(AVAILABILITIES),
        # (team index, personal capacity or None)
        "teams": st.lists(st.tuples(st.integers(0, 2), st.none() | st.integers(0, 3)), min_size=1, max_size=3),
        "skilled": st.booleans(),
        "in_project": st.booleans(),
    }
)
operations = st.one_of(
    st.fixed_dictionaries(
        {
            "op": st.just("create"),
            "preset": st.none() | st.integers(0, 2),
            "needs_skill": st.booleans(),
            "in_project": st.booleans(),
            "channel": st.sampled_from(CHANNELS),
        }
    ),
    st.fixed_dictionaries({"op": st.just("close"), "pick": st.integers(0, 100)}),
    st.fixed_dictionaries(
        {"op": st.just("availability"), "agent": st.integers(0, 4), "to": st.sampled_from(AVAILABILITIES)}
    ),
)
worlds = st.fixed_dictionaries(
    {
        "teams": st.lists(team_specs, min_size=1, max_size=3),
        "agents": st.lists(agent_specs, min_size=1, max_size=5),
        "rules": st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(0, 2)), max_size=2),
        "project_team": st.none() | st.integers(0, 2),
        "ops": st.lists(operations, min_size=1, max_size=20),
    }
)


@dataclass
class World:
    teams: list[Team]
    agents: list[User]
    rules: list[RoutingRule]
    project: Project
    skill_type: TicketType
    requester: Contact
    tickets: list[Ticket]
    numbers: itertools.count[int]


def build(spec: dict[str, Any]) -> World:
    teams = []
    for i, team_spec in enumerate(spec["teams"]):
        team = Team.objects.create(
            name=f"Property team {i}", capacity_per_member=team_spec["per_member"], capacity=team_spec["total"]
        )
        TeamSettings.objects.create(team=team, strategy=team_spec["strategy"])
        teams.append(team)
    skill = Skill.objects.create(name="Property skill")
    project_team = teams[spec["project_team"] % len(teams)] if spec["project_team"] is not None else None
    project = Project.objects.create(name="Property project", code="PROP-1", team=project_team)
    agents = []
    for i, agent_spec in enumerate(spec["agents"]):
        user = User.objects.create(email=f"prop{i}@example.com", availability=agent_spec["availability"])
        memberships = {teams[t % len(teams)]: cap for t, cap in agent_spec["teams"]}
        for team, cap in memberships.items():
            TeamMembership.objects.create(team=team, user=user, capacity=cap)
        if agent_spec["skilled"]:
            user.skills.add(skill)
        if agent_spec["in_project"]:
            project.members.add(user)
        agents.append(user)
    rules = [
        RoutingRule.objects.create(name=f"Rule {i}", channel=channel, team=teams[t % len(teams)], order=10 + i)
        for i, (channel, t) in enumerate(spec["rules"])
    ]
    return World(
        teams=teams,
        agents=agents,
        rules=rules,
        project=project,
        skill_type=TicketType.objects.create(name="Needs the skill", required_skill=skill),
        requester=ContactFactory.create(name="Property Customer"),
        tickets=[],
        numbers=itertools.count(3_000_000_000),
    )


def expected_team(world: World, op: dict[str, Any]) -> Team:
    if op["preset"] is not None:
        return world.teams[op["preset"] % len(world.teams)]
    if op["in_project"] and world.project.team is not None:
        return world.project.team
    for rule in world.rules:  # in (order, id)
        if rule.channel == op["channel"]:
            return rule.team
    return min(world.teams, key=lambda t: t.pk)


def create(world: World, op: dict[str, Any]) -> Ticket:
    status = status_for(StatusCategory.NEW)
    ticket = Ticket.objects.create(
        number=next(world.numbers),
        subject="property",
        requester=world.requester,
        status=status,
        status_category=status.category,
        channel=op["channel"],
        team=world.teams[op["preset"] % len(world.teams)] if op["preset"] is not None else None,
        type=world.skill_type if op["needs_skill"] else None,
        project=world.project if op["in_project"] else None,
    )
    ticket_route(ticket=ticket)
    world.tickets.append(ticket)
    return ticket


def close(world: World, op: dict[str, Any]) -> None:
    """What the services do when a ticket is closed: the status changes, then its team and its agent's teams drain."""
    if not world.tickets:
        return
    ticket = Ticket.objects.get(pk=world.tickets[op["pick"] % len(world.tickets)].pk)
    if ticket.status_category not in ACTIVE_CATEGORIES:
        return
    status = status_for(StatusCategory.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(status=status, status_category=status.category)
    if ticket.team is not None:
        queue_drain(team=ticket.team)
    if ticket.assignee is not None:
        queue_drain_for_user(user=ticket.assignee)


def set_availability(world: World, op: dict[str, Any]) -> None:
    """An agent changes availability; coming online drains their teams."""
    if not world.agents:
        return
    agent = world.agents[op["agent"] % len(world.agents)]
    was = User.objects.get(pk=agent.pk).availability
    User.objects.filter(pk=agent.pk).update(availability=op["to"])
    if op["to"] == Availability.ONLINE and was != Availability.ONLINE:
        queue_drain_for_user(user=agent)


# --- invariants -------------------------------------------------------------------------------------------------


def assert_within_capacity(world: World) -> None:
    active = Ticket.objects.filter(status_category__in=ACTIVE_CATEGORIES, assignee__isnull=False)
    per_member = {
        (row["team"], row["assignee"]): row["n"]
        for row in active.order_by().values("team", "assignee").annotate(n=Count("id"))
    }
    capacities = {(m.team_id, m.user_id): m.effective_capacity for m in TeamMembership.objects.select_related("team")}
    for (team_id, user_id), count in per_member.items():
        assert (team_id, user_id) in capacities, "assigned to someone outside the team"
        assert count <= capacities[team_id, user_id], "agent beyond capacity"
    for user in world.agents:
        caps = [cap for (_t, u), cap in capacities.items() if u == user.pk]
        assert active.filter(assignee=user).count() <= max(caps, default=0), "agent beyond capacity"
    for team in world.teams:
        assert active.filter(team=team).count() <= team.capacity, "team beyond its total capacity"


def assert_nothing_waits_that_could_be_taken(world: World) -> None:
    waiting = Ticket.objects.filter(
        pk__in=[t.pk for t in world.tickets], status_category__in=ACTIVE_CATEGORIES, assignee__isnull=True
    ).select_related("team")
    for ticket in waiting:
        assert ticket.team is not None
        user, reason = assignee_choose(ticket=ticket, team=ticket.team)
        assert user is None, f"ticket {ticket.pk} waits though {user} could take it ({reason})"


# --- properties -------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(spec=worlds)
def test_it_never_exceeds_capacity_and_every_ticket_ends_with_its_team(spec: dict[str, Any]) -> None:
    with transaction.atomic():
        world = build(spec)
        for op in spec["ops"]:
            if op["op"] == "create":
                ticket = create(world, op)
                ticket.refresh_from_db()
                assert ticket.team == expected_team(world, op)
            elif op["op"] == "close":
                close(world, op)
            else:
                set_availability(world, op)
            assert_within_capacity(world)
        assert not Ticket.objects.filter(pk__in=[t.pk for t in world.tickets], team__isnull=True).exists()
        assert_nothing_waits_that_could_be_taken(world)
        transaction.set_rollback(True)


@PROPERTY_SETTINGS
@given(
    online=st.integers(1, 4),
    offline=st.integers(0, 2),
    start_after=st.none() | st.integers(0, 5),
    ops=st.lists(st.sampled_from(["create", "create", "close"]), min_size=1, max_size=20),
    pick=st.integers(0, 100),
)
def test_round_robin_stays_fair_to_within_one(
    online: int, offline: int, start_after: int | None, ops: list[str], pick: int
) -> None:
    with transaction.atomic():
        team = Team.objects.create(name="Round robin", capacity_per_member=len(ops), capacity=len(ops))
        members = []
        for i in range(online + offline):
            availability = Availability.ONLINE if i < online else Availability.AWAY
            user = User.objects.create(email=f"rr{i}@example.com", availability=availability)
            TeamMembership.objects.create(team=team, user=user)
            members.append(user)
        last = members[start_after % len(members)] if start_after is not None else None
        TeamSettings.objects.create(team=team, strategy=Strategy.ROUND_ROBIN, last_assigned=last)
        world = World(
            [team], members, [], Project(), TicketType(), ContactFactory.create(name="RR"), [], itertools.count(1)
        )
        for step, op in enumerate(ops):
            if op == "create":
                create(world, {"preset": 0, "needs_skill": False, "in_project": False, "channel": Channel.WEB})
            else:
                close(world, {"pick": pick + step})
            counts = dict(
                Ticket.objects.filter(team=team)
                .order_by()
                .values_list("assignee")
                .annotate(n=Count("id"))
                .values_list("assignee", "n")
            )
            assert None not in counts, "a ticket waited though everyone had room"
            online_counts = [counts.get(m.pk, 0) for m in members[:online]]
            assert max(online_counts) - min(online_counts) <= 1
            assert all(counts.get(m.pk, 0) == 0 for m in members[online:])
        transaction.set_rollback(True)
