"""Time-based rules: pending customer for N (business) minutes → remind, later → close; once per state entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.automation import services
from payvand.automation.models import StateEntry
from payvand.automation.timed import automation_tick
from payvand.contacts.models import Contact
from payvand.core.errors import ValidationFailed
from payvand.core.scheduler import jobs
from payvand.helpdesk import services as helpdesk
from payvand.helpdesk.models import StatusCategory, Ticket
from payvand.helpdesk.tests.factories import status_for
from payvand.helpdesk.tests.services_support import event_data, ticket_new, verbs
from payvand.sla import services as sla
from payvand.sla.models import BusinessCalendar

pytestmark = pytest.mark.django_db
T = dt.time


def timed_rule(
    after: int,
    actions: list[dict[str, str]],
    calendar: BusinessCalendar | None = None,
    by: User | None = None,
    **kw: str,
) -> None:
    services.rule_create(
        by=by,
        data=services.RuleIn(
            name=kw.get("name", f"after {after}"),
            trigger="time.elapsed",
            state="pending_customer",
            after_minutes=after,
            calendar=calendar.pk if calendar else None,
            actions=actions,
        ),
    )


def pending(by: User, customer: Contact, team: Team) -> Ticket:
    ticket = ticket_new(by=by, requester=customer, team=team)
    return helpdesk.ticket_set_status(ticket=ticket, by=by, status=status_for(StatusCategory.PENDING_CUSTOMER))


def test_it_reminds_then_closes_once_per_state_entry(supervisor: User, team_a: Team, customer_x: Contact) -> None:
    timed_rule(60, [{"type": "add_tag", "value": "reminded"}], name="remind")
    timed_rule(180, [{"type": "set_status", "value": "closed"}], by=supervisor, name="close")
    ticket = pending(supervisor, customer_x, team_a)
    entered = StateEntry.objects.get(ticket=ticket).entered_at
    assert automation_tick(now=entered + dt.timedelta(minutes=59)).fired == 0
    assert automation_tick(now=entered + dt.timedelta(minutes=61)).fired == 1
    assert "reminded" in set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))
    assert automation_tick(now=entered + dt.timedelta(minutes=120)).fired == 0  # once per entry
    assert automation_tick(now=entered + dt.timedelta(minutes=181)).fired == 1
    assert Ticket.objects.get(pk=ticket.pk).status_category == StatusCategory.CLOSED
    assert verbs(ticket).count("automation.fired") == 2
    assert event_data(ticket, "automation.fired")["trigger"] == "time.elapsed"


def test_a_new_entry_into_the_state_counts_again(supervisor: User, team_a: Team, customer_x: Contact) -> None:
    timed_rule(60, [{"type": "add_tag", "value": "reminded"}])
    ticket = pending(supervisor, customer_x, team_a)
    first = StateEntry.objects.get(ticket=ticket).entered_at
    assert automation_tick(now=first + dt.timedelta(minutes=61)).fired == 1
    helpdesk.ticket_set_status(ticket=ticket, by=supervisor, status=status_for(StatusCategory.OPEN))
    assert automation_tick(now=timezone.now() + dt.timedelta(days=1)).fired == 0  # not pending now
    helpdesk.ticket_set_status(
        ticket=Ticket.objects.get(pk=ticket.pk), by=supervisor, status=status_for(StatusCategory.PENDING_CUSTOMER)
    )
    second = StateEntry.objects.get(ticket=ticket).entered_at
    assert second > first
    assert automation_tick(now=second + dt.timedelta(minutes=61)).fired == 1


def test_it_counts_business_time(supervisor: User, team_a: Team, customer_x: Contact) -> None:
    """Hungarian hours: a ticket pending from Friday 13:00 has used 1 business hour by Monday 08:00 + 1 h."""
    calendar = sla.calendar_create(
        by=None,
        name="HU",
        time_zone="Europe/Budapest",
        hours=[sla.HoursIn(d, T(8), T(14)) for d in range(5)],
    )
    timed_rule(120, [{"type": "add_tag", "value": "late"}], calendar=calendar)
    ticket = pending(supervisor, customer_x, team_a)
    friday = dt.datetime(2030, 1, 4, 12, 0, tzinfo=dt.UTC)  # 13:00 in Budapest
    StateEntry.objects.filter(ticket=ticket).update(entered_at=friday)
    assert automation_tick(now=friday + dt.timedelta(days=2)).fired == 0  # Sunday: one business hour used
    monday_0830 = dt.datetime(2030, 1, 7, 7, 30, tzinfo=dt.UTC)
    assert automation_tick(now=monday_0830).fired == 0  # 1.5 h
    assert automation_tick(now=monday_0830 + dt.timedelta(minutes=31)).fired == 1  # 2 h 1 min


def test_the_scheduler_runs_it(db: None) -> None:
    assert "automation.tick" in [job.name for job in jobs()]


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"state": "sleeping"}, "state"), ({"after_minutes": 0}, "after_minutes"), ({"calendar": 99999}, "calendar")],
)
def test_it_rejects_bad_time_rules(extra: dict[str, object], field: str) -> None:
    data: dict[str, object] = {
        "name": "T",
        "trigger": "time.elapsed",
        "state": "pending_customer",
        "after_minutes": 60,
        "actions": [{"type": "add_tag", "value": "x"}],
    }
    data.update(extra)
    with pytest.raises(ValidationFailed) as exc:
        services.rule_create(by=None, data=services.RuleIn(**data))  # type: ignore[arg-type]
    assert field in [e.field for e in exc.value.errors]
