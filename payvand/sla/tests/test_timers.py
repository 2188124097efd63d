"""SLA clocks driven by the helpdesk: started on creation, paused in pending-customer and postponed, resumed, stopped
by replies and resolution; policy matching; the scheduler's tick with its warnings, breaches and escalations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact, Segment
from payvand.contacts.services import contact_create
from payvand.core.errors import ValidationFailed
from payvand.helpdesk import services as helpdesk
from payvand.helpdesk.models import Channel, Message, Priority, StatusCategory, TeamContact, Ticket, TicketType
from payvand.helpdesk.tests.factories import status_for
from payvand.helpdesk.tests.services_support import event_data, ticket_new, verbs
from payvand.notifications.models import Notification
from payvand.sla import services
from payvand.sla.models import Holiday, Timer, TimerKind
from payvand.sla.selectors import ticket_clocks
from payvand.sla.tests.support import always_calendar, policy_new, timer

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def _age(ticket: Ticket, minutes: int) -> None:
    """Pretend the running clocks of the ticket have been running `minutes` longer."""
    delta = dt.timedelta(minutes=minutes)
    Timer.objects.filter(ticket=ticket, state=Timer.State.RUNNING).update(
        running_since=F("running_since") - delta,
        started_at=F("started_at") - delta,
        warn_at=F("warn_at") - delta,
        breach_at=F("breach_at") - delta,
    )


@pytest.fixture
def ticket(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    policy_new()
    return ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)


def test_it_starts_first_response_and_resolution_clocks_on_a_new_ticket(ticket: Ticket) -> None:
    first, resolution = timer(ticket.pk, TimerKind.FIRST_RESPONSE), timer(ticket.pk, TimerKind.RESOLUTION)
    assert first.state == resolution.state == Timer.State.RUNNING
    assert first.breach_at == ticket.created_at + dt.timedelta(minutes=60)
    assert first.warn_at == ticket.created_at + dt.timedelta(minutes=48)  # 80 %
    assert resolution.breach_at == ticket.created_at + dt.timedelta(hours=8)
    assert not Timer.objects.filter(ticket=ticket, kind=TimerKind.NEXT_RESPONSE).exists()
    assert "sla.applied" in verbs(ticket)


def test_it_starts_no_clock_without_a_matching_policy(agent_a: User, customer_x: Contact, team_a: Team) -> None:
    policy_new(priorities=[Priority.URGENT])
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a, priority=Priority.LOW)
    assert not Timer.objects.filter(ticket=ticket).exists()
    assert "sla.applied" not in verbs(ticket)


def test_it_takes_the_first_policy_in_order_whose_conditions_all_hold(
    agent_a: User, customer_x: Contact, customer_y: Contact, team_a: Team
) -> None:
    calendar = always_calendar()
    vip = Segment.objects.create(name="VIP")
    customer_x.segments.add(vip)
    kind = TicketType.objects.create(name="Outage")
    org = contact_create(by=None, name="Acme Ltd", kind=Contact.Kind.ORGANISATION, allow_duplicates=True)
    policy_new(calendar, name="Fallback", order=100, first_response_minutes=600)
    policy_new(calendar, name="VIP phone", order=10, segments=[vip], channels=[Channel.PHONE], first_response_minutes=5)
    policy_new(calendar, name="Outages", order=20, types=[kind], first_response_minutes=15)
    policy_new(calendar, name="Acme", order=30, organisations=[org], first_response_minutes=30)

    def policy_of(ticket: Ticket) -> str:
        return timer(ticket.pk, TimerKind.FIRST_RESPONSE).policy.name

    assert policy_of(ticket_new(by=agent_a, requester=customer_x, channel=Channel.PHONE)) == "VIP phone"
    assert policy_of(ticket_new(by=agent_a, requester=customer_x, channel=Channel.EMAIL)) == "Fallback"
    assert policy_of(ticket_new(by=agent_a, requester=customer_y, channel=Channel.PHONE, type=kind)) == "Outages"
    assert policy_of(ticket_new(by=agent_a, requester=customer_y)) == "Fallback"
    assert timer(ticket_new(by=agent_a, requester=customer_x, channel="phone").pk, "first_response").target_minutes == 5


def test_it_pauses_while_pending_the_customer_and_resumes_on_their_message(
    ticket: Ticket, agent_a: User, customer_x: Contact
) -> None:
    _age(ticket, 30)
    helpdesk.ticket_update(ticket=ticket, by=agent_a, status=status_for(StatusCategory.PENDING_CUSTOMER))
    resolution = timer(ticket.pk, TimerKind.RESOLUTION)
    assert resolution.state == Timer.State.PAUSED
    assert 30 * 60 <= resolution.used_seconds < 31 * 60
    assert resolution.breach_at is None
    assert resolution.running_since is None
    assert "sla.paused" in verbs(ticket)

    # Paused: the tick finds nothing, however late it is.
    assert services.sla_tick(now=timezone.now() + dt.timedelta(days=30)).breaches == 0

    helpdesk.message_add(
        ticket=ticket, by=None, body="Here it is", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    resolution.refresh_from_db()
    assert resolution.state == Timer.State.RUNNING
    left = dt.timedelta(hours=8) - dt.timedelta(seconds=resolution.used_seconds)
    assert resolution.running_since is not None
    assert resolution.breach_at == resolution.running_since + left
    assert "sla.resumed" in verbs(ticket)


def test_it_pauses_while_postponed_and_resumes_when_it_wakes(ticket: Ticket, agent_a: User) -> None:
    helpdesk.ticket_postpone(ticket=ticket, by=agent_a, until=timezone.now() + dt.timedelta(seconds=1))
    assert set(Timer.objects.filter(ticket=ticket).values_list("state", flat=True)) == {Timer.State.PAUSED}
    helpdesk.postponed_wake(now=timezone.now() + dt.timedelta(minutes=5))
    assert set(Timer.objects.filter(ticket=ticket).values_list("state", flat=True)) == {Timer.State.RUNNING}


def test_it_stops_first_response_at_the_first_public_reply_and_runs_next_response_per_customer_message(
    ticket: Ticket, agent_a: User, customer_x: Contact
) -> None:
    helpdesk.message_add(ticket=ticket, by=agent_a, body="An internal note", kind=Message.Kind.NOTE)
    assert timer(ticket.pk, TimerKind.FIRST_RESPONSE).state == Timer.State.RUNNING
    helpdesk.message_add(ticket=ticket, by=agent_a, body="We are on it")
    first = timer(ticket.pk, TimerKind.FIRST_RESPONSE)
    assert first.state == Timer.State.STOPPED
    assert first.breached_at is None
    assert "sla.met.first_response" in verbs(ticket)

    helpdesk.message_add(ticket=ticket, by=None, body="Any news?", kind=Message.Kind.INBOUND, author_contact=customer_x)
    helpdesk.message_add(ticket=ticket, by=None, body="Hello?", kind=Message.Kind.INBOUND, author_contact=customer_x)
    assert Timer.objects.filter(ticket=ticket, kind=TimerKind.NEXT_RESPONSE).count() == 1  # one at a time
    _age(ticket, 150)  # past the two-hour next-response target
    helpdesk.message_add(ticket=ticket, by=agent_a, body="Fixed tomorrow")
    nxt = timer(ticket.pk, TimerKind.NEXT_RESPONSE)
    assert nxt.state == Timer.State.STOPPED
    assert nxt.breached_at is not None
    assert "sla.breached_done.next_response" in verbs(ticket)
    assert timer(ticket.pk, TimerKind.RESOLUTION).state == Timer.State.RUNNING


def test_it_stops_on_resolve_and_resumes_the_resolution_clock_on_reopen(ticket: Ticket, supervisor: User) -> None:
    _age(ticket, 60)
    helpdesk.ticket_resolve(ticket=ticket, by=supervisor, resolution="Replaced the cable")
    resolution = timer(ticket.pk, TimerKind.RESOLUTION)
    assert resolution.state == Timer.State.STOPPED
    assert resolution.breached_at is None
    used = resolution.used_seconds
    assert "sla.met.resolution" in verbs(ticket)
    helpdesk.ticket_reopen(ticket=ticket, by=supervisor, reason="Broken again")
    resolution.refresh_from_db()
    assert resolution.state == Timer.State.RUNNING
    assert resolution.used_seconds == used
    assert Timer.objects.filter(ticket=ticket, kind=TimerKind.RESOLUTION).count() == 1


def test_it_moves_the_clocks_to_the_policy_a_new_priority_matches(ticket: Ticket, agent_a: User) -> None:
    policy_new(name="Urgent", order=1, priorities=[Priority.URGENT], first_response_minutes=10, resolution_minutes=60)
    _age(ticket, 5)
    helpdesk.ticket_update(ticket=ticket, by=agent_a, priority=Priority.URGENT)
    first = timer(ticket.pk, TimerKind.FIRST_RESPONSE)
    assert first.policy.name == "Urgent"
    assert first.target_minutes == 10
    assert first.breach_at is not None
    assert first.breach_at - timezone.now() < dt.timedelta(minutes=5, seconds=5)


def test_the_tick_warns_then_breaches_once_with_events_on_the_timeline(ticket: Ticket) -> None:
    created = ticket.created_at
    assert services.sla_tick(now=created + dt.timedelta(minutes=47)).warnings == 0
    result = services.sla_tick(now=created + dt.timedelta(minutes=50))
    assert (result.warnings, result.breaches) == (1, 0)
    assert "sla.warning.first_response" in verbs(ticket)
    assert services.sla_tick(now=created + dt.timedelta(minutes=55)).warnings == 0  # not twice
    result = services.sla_tick(now=created + dt.timedelta(minutes=61))
    assert (result.warnings, result.breaches) == (0, 1)
    assert verbs(ticket).count("sla.breached.first_response") == 1
    assert services.sla_tick(now=created + dt.timedelta(hours=9)).breaches == 1  # the resolution clock
    assert verbs(ticket).count("sla.warning.resolution") == 0  # a breach found late is not also a warning
    first = timer(ticket.pk, TimerKind.FIRST_RESPONSE)
    assert first.team_id == ticket.team_id
    assert first.assignee_id == ticket.assignee_id


def test_the_tick_costs_the_same_queries_for_one_or_many_due_clocks(
    agent_a: User, customer_x: Contact, team_a: Team, django_assert_max_num_queries: object
) -> None:
    policy_new()
    tickets = [ticket_new(by=agent_a, requester=customer_x, team=team_a) for _n in range(12)]
    later = timezone.now() + dt.timedelta(days=1)
    with django_assert_max_num_queries(9):  # type: ignore[operator]  # 9th: the automation rules check
        result = services.sla_tick(now=later)
    assert result.breaches == 24  # two clocks each
    assert all("sla.breached.resolution" in verbs(t) for t in tickets)


def test_escalations_notify_raise_priority_and_refer(
    agent_a: User, customer_x: Contact, team_a: Team, team_b: Team, supervisor: User
) -> None:
    team_a.lead = supervisor
    team_a.save()
    manager = User.objects.create(email="manager@example.com", full_name="Manager")
    TeamContact.objects.create(team=team_a, user=manager, role=TeamContact.Role.SERVICE_MANAGER)
    calendar = always_calendar()
    policy = policy_new(
        calendar,
        escalations=[
            services.EscalationIn(on="warning", kind="first_response", action="notify_assignee"),
            services.EscalationIn(on="breach", kind="first_response", action="notify_lead"),
            services.EscalationIn(on="breach", kind="first_response", action="notify_manager"),
            services.EscalationIn(on="breach", kind="first_response", action="raise_priority"),
            services.EscalationIn(on="breach", kind="resolution", action="refer", team=team_b),
        ],
    )
    ticket = ticket_new(by=None, requester=customer_x, team=team_a, assignee=agent_a, priority=Priority.NORMAL)
    services.sla_tick(now=ticket.created_at + dt.timedelta(minutes=50))
    assert Notification.objects.filter(user=agent_a, kind="sla", ticket=ticket).count() == 1
    services.sla_tick(now=ticket.created_at + dt.timedelta(minutes=61))
    assert Notification.objects.filter(user=supervisor, kind="sla").exists()
    assert Notification.objects.filter(user=manager, kind="sla").exists()
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    services.sla_tick(now=ticket.created_at + dt.timedelta(hours=9))
    ticket.refresh_from_db()
    assert ticket.team_id == team_b.pk
    assert verbs(ticket).count("sla.escalated") == 5
    assert policy.escalations.count() == 5


def test_a_failing_escalation_is_recorded_and_leaves_the_ticket_as_it_was(
    agent_a: User, agent_b: User, customer_x: Contact, team_a: Team
) -> None:
    policy_new(
        escalations=[
            services.EscalationIn(on="breach", kind="first_response", action="reassign", user=agent_b),
            services.EscalationIn(on="breach", kind="first_response", action="notify_assignee"),
        ]
    )
    ticket = ticket_new(by=None, requester=customer_x, team=team_a, assignee=agent_a)
    version = Ticket.objects.get(pk=ticket.pk).version
    result = services.sla_tick(now=ticket.created_at + dt.timedelta(minutes=61))
    assert (result.escalations, result.failed) == (1, 1)  # agent B is not in team A: reassigning fails
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.team_id, ticket.version) == (agent_a.pk, team_a.pk, version)
    assert event_data(ticket, "sla.escalation_failed")["action"] == "reassign"
    assert Notification.objects.filter(user=agent_a, kind="sla").count() == 1  # the other escalation still ran


def test_the_clocks_as_the_ticket_page_sees_them(ticket: Ticket, agent_a: User, agent_b: User) -> None:
    _ticket, clocks = ticket_clocks(user=agent_a, ticket_id=ticket.pk, now=ticket.created_at + dt.timedelta(minutes=50))
    first = next(c for c in clocks if c.kind == TimerKind.FIRST_RESPONSE)
    assert first.state == "running"
    assert first.warning
    assert not first.breached
    assert 9 * 60 <= first.remaining_seconds <= 10 * 60
    from payvand.core.errors import NotFound

    with pytest.raises(NotFound):
        ticket_clocks(user=agent_b, ticket_id=ticket.pk)


def test_it_loads_public_holidays_of_iran_and_hungary_per_year() -> None:
    iran = services.calendar_create(
        by=None, name="IR", time_zone="Asia/Tehran", country="IR", hours=[services.HoursIn(5, dt.time(8), dt.time(16))]
    )
    hungary = services.calendar_create(
        by=None,
        name="HU",
        time_zone="Europe/Budapest",
        country="hu",
        hours=[services.HoursIn(0, dt.time(8), dt.time(16))],
    )
    services.holiday_add(calendar=iran, by=None, date=dt.date(2025, 3, 21), name="Our own Nowruz name")
    assert services.holidays_load(calendar=iran, by=None, year=2025) > 5
    assert services.holidays_load(calendar=hungary, by=None, year=2025) > 5
    days = set(Holiday.objects.filter(calendar=iran).values_list("date", flat=True))
    assert {dt.date(2025, 3, 21), dt.date(2025, 3, 22)} <= days  # Nowruz
    assert Holiday.objects.get(calendar=iran, date=dt.date(2025, 3, 21)).name == "Our own Nowruz name"
    assert Holiday.objects.filter(calendar=hungary, date=dt.date(2025, 3, 15)).exists()
    # Loading again replaces the year's package dates, not the admin's.
    count = Holiday.objects.filter(calendar=hungary).count()
    services.holidays_load(calendar=hungary, by=None, year=2025)
    assert Holiday.objects.filter(calendar=hungary).count() == count


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        (
            {"first_response_minutes": None, "resolution_minutes": None, "next_response_minutes": None},
            "first_response_minutes",
        ),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"priorities": [9]}, "priorities"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"escalations": [services.EscalationIn(on="breach", action="refer")]}, "escalations.0.team"),
        ({"escalations": [services.EscalationIn(on="later", action="notify_lead")]}, "escalations.0.on"),
    ],
)
def test_it_refuses_bad_policies(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        policy_new(**changes)
    assert field in [e.field for e in exc.value.errors]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"country": "XX"}, "country"),
        ({"hours": []}, "hours"),
        ({"hours": [services.HoursIn(0, dt.time(10), dt.time(9))]}, "hours.0.end"),
        (
            {"hours": [services.HoursIn(0, dt.time(8), dt.time(12)), services.HoursIn(0, dt.time(11), dt.time(13))]},
            "hours.1.start",
        ),
        ({"hours": [services.HoursIn(7, dt.time(8), dt.time(12))]}, "hours.0.weekday"),
    ],
)
def test_it_refuses_bad_calendars(kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "name": "Bad",
        "time_zone": "UTC",
        "hours": [services.HoursIn(0, dt.time(8), dt.time(9))],
    }
    values.update(kwargs)
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_create(by=None, **values)  # type: ignore[arg-type]
    assert field in [e.field for e in exc.value.errors]
    assert not services.BusinessCalendar.objects.filter(name="Bad").exists()


def test_a_calendar_change_reschedules_running_clocks(ticket: Ticket) -> None:
    first = timer(ticket.pk, TimerKind.FIRST_RESPONSE)
    calendar = first.policy.calendar
    today = timezone.now().astimezone(dt.UTC).date()
    services.holiday_add(calendar=calendar, by=None, date=today + dt.timedelta(days=0), name="Snow day")
    first.refresh_from_db()
    assert first.breach_at is not None
    assert first.breach_at.date() > today  # the rest of today does not count any more
