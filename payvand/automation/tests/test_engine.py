"""The rule engine through the helpdesk services: triggers, all/any conditions, actions, loop protection, and a
failing action that leaves the ticket as it was."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from payvand.accounts.models import Skill, Team, User
from payvand.automation import services
from payvand.automation.models import Rule, RuleFiring
from payvand.contacts.models import Contact, Identity
from payvand.core.errors import ValidationFailed
from payvand.helpdesk import services as helpdesk
from payvand.helpdesk.models import Priority, StatusCategory, Task, Ticket, TicketType
from payvand.helpdesk.tests.services_support import event_data, ticket_new, verbs
from payvand.notifications.models import Notification

pytestmark = pytest.mark.django_db


def rule(
    trigger: str = "ticket.created",
    conditions: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Rule:
    return services.rule_create(
        by=None,
        data=services.RuleIn(
            name=extra.pop("name", "Rule"),
            trigger=trigger,
            conditions=conditions or [],
            actions=actions or [{"type": "add_tag", "value": "auto"}],
            **extra,
        ),
    )


def tags(ticket: Ticket) -> set[str]:
    return set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


def test_it_fires_on_a_new_ticket_and_records_it(admin_user: User, customer_x: Contact) -> None:
    r = rule(conditions=[{"field": "subject", "op": "contains", "value": "refund"}], name="Refunds")
    ticket = ticket_new(by=admin_user, requester=customer_x, subject="I want a REFUND")
    other = ticket_new(by=admin_user, requester=customer_x, subject="Printer")
    assert tags(ticket) == {"auto"}
    assert tags(other) == set()
    assert "automation.fired" in verbs(ticket)
    assert event_data(ticket, "automation.fired") == {
        "rule": r.pk,
        "name": "Refunds",
        "trigger": "ticket.created",
        "actions": ["add_tag"],
    }
    assert "automation.fired" not in verbs(other)


def test_it_matches_all_or_any(admin_user: User, customer_x: Contact) -> None:
    conditions = [
        {"field": "priority", "op": "eq", "value": "urgent"},
        {"field": "text", "op": "contains", "value": "outage"},
    ]
    rule(conditions=conditions, match="all", actions=[{"type": "add_tag", "value": "all"}])
    rule(conditions=conditions, match="any", actions=[{"type": "add_tag", "value": "any"}])
    one = ticket_new(by=admin_user, requester=customer_x, subject="Outage", priority=Priority.NORMAL)
    both = ticket_new(by=admin_user, requester=customer_x, subject="Outage", priority=Priority.URGENT)
    none = ticket_new(by=admin_user, requester=customer_x, subject="Hello", priority=Priority.NORMAL)
    assert tags(one) == {"any"}
    assert tags(both) == {"all", "any"}
    assert tags(none) == set()


def test_it_compares_custom_form_values_and_numbers(admin_user: User, customer_x: Contact) -> None:
    rule(
        conditions=[{"field": "form:amount", "op": "gt", "value": "۱۰۰"}],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    from payvand.forms.services import form_create

    spec = {"sections": [{"title": "Money", "fields": [{"name": "amount", "kind": "number", "label": "Amount"}]}]}
    refund = TicketType.objects.create(name="Refund", form=form_create(by=None, name="Refund", spec=spec))
    big = ticket_new(by=admin_user, requester=customer_x, type=refund, form_values={"amount": 250})
    small = ticket_new(by=admin_user, requester=customer_x, type=refund, form_values={"amount": 50})
    assert Ticket.objects.get(pk=big.pk).priority == Priority.HIGH
    assert big.priority == Priority.HIGH  # the caller's object is refreshed
    assert Ticket.objects.get(pk=small.pk).priority == Priority.NORMAL


def test_it_fires_on_update_message_and_task_done(admin_user: User, agent_a: User, customer_x: Contact) -> None:
    rule("ticket.updated", [{"field": "priority", "op": "eq", "value": "4"}], [{"type": "add_tag", "value": "hot"}])
    rule("message.received", actions=[{"type": "add_tag", "value": "wrote"}])
    rule("task.done", actions=[{"type": "add_tag", "value": "task-done"}])
    ticket = ticket_new(by=admin_user, requester=customer_x)
    helpdesk.ticket_update(ticket=ticket, by=admin_user, priority=Priority.URGENT)
    assert tags(ticket) == {"hot"}
    helpdesk.message_add(ticket=ticket, by=None, body="Any news?", kind="inbound", author_contact=customer_x)
    assert "wrote" in tags(ticket)
    task = helpdesk.task_create(ticket=ticket, by=admin_user, title="Call back", assignee=admin_user)
    assert "task-done" not in tags(ticket)
    helpdesk.task_update(task=task, by=admin_user, state=Task.State.DONE)
    assert "task-done" in tags(ticket)


def test_it_assigns_sets_fields_and_adds_tasks_by_skill(
    admin_user: User, agent_a: User, team_a: Team, team_b: Team, customer_x: Contact
) -> None:
    skill = Skill.objects.create(name="Billing")
    agent_a.skills.add(skill)
    kind = TicketType.objects.create(name="Refund")
    rule(
        actions=[
            {"type": "set_type", "value": "refund"},
            {"type": "assign_team", "value": team_a.name},
            {"type": "add_task", "value": "Check {ticket_reference}", "text": "Billing"},
            {"type": "set_status", "value": "open"},
        ]
    )
    ticket = ticket_new(by=admin_user, requester=customer_x)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.type_id == kind.pk
    assert stored.team_id == team_a.pk
    assert stored.status_category == StatusCategory.OPEN
    task = Task.objects.get(ticket=ticket)
    assert task.title == f"Check {ticket.reference}"
    assert task.assignee_id == agent_a.pk
    assert task.required_skill_id == skill.pk


def test_it_notifies_emails_and_skips_the_sms_without_a_phone(
    admin_user: User, agent_a: User, customer_x: Contact
) -> None:
    Identity.objects.filter(contact=customer_x, kind="phone").delete()
    rule(
        actions=[
            {"type": "notify", "value": agent_a.email, "text": "Look at {ticket_subject}"},
            {"type": "send_email", "value": "We got {ticket_reference}", "text": "Dear {customer_name}, thanks."},
            {"type": "send_sms", "text": "Hi {customer_name}"},
        ]
    )
    # Without a phone the SMS is a recorded skip: the rest of the rule stands.
    ticket = ticket_new(by=admin_user, requester=customer_x)
    assert (
        Notification.objects.get(user=agent_a, kind="automation").title
        == f"{ticket.reference}: Look at Printer is broken"
    )
    assert event_data(ticket, "automation.email_sent")["to"] == "x@example.com"
    assert event_data(ticket, "automation.sms_skipped")["reason"] == "The customer has no phone number."
    assert event_data(ticket, "automation.fired")["actions"] == ["notify", "send_email", "send_sms"]
    assert not ticket.messages.filter(channel="sms").exists()


def test_it_sends_the_email_after_commit(
    admin_user: User, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    rule(actions=[{"type": "send_email", "value": "We got {ticket_reference}", "text": "Dear {customer_name}"}])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=admin_user, requester=customer_x)
    assert [m.subject for m in mail.outbox] == [f"We got {ticket.reference}"]
    assert mail.outbox[0].body == f"Dear {customer_x.name}"
    assert mail.outbox[0].to == ["x@example.com"]


def test_it_cannot_loop(admin_user: User, customer_x: Contact) -> None:
    """Two rules that undo each other on every update: each runs at most max_fires times, then stops, once."""
    up = rule(
        "ticket.updated",
        [{"field": "priority", "op": "eq", "value": "normal"}],
        [{"type": "set_priority", "value": "high"}],
        max_fires=3,
        name="up",
    )
    down = rule(
        "ticket.updated",
        [{"field": "priority", "op": "eq", "value": "high"}],
        [{"type": "set_priority", "value": "normal"}],
        max_fires=3,
        name="down",
    )
    ticket = ticket_new(by=admin_user, requester=customer_x, priority=Priority.LOW)
    helpdesk.ticket_update(ticket=ticket, by=admin_user, priority=Priority.NORMAL)
    fired = [v for v in verbs(ticket) if v == "automation.fired"]
    assert 1 <= len(fired) <= 6
    assert RuleFiring.objects.get(rule=up, ticket=ticket).count <= 4
    assert RuleFiring.objects.get(rule=down, ticket=ticket).count <= 4
    # More edits never run them again, and the limit is recorded once per rule.
    for _ in range(3):
        helpdesk.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), by=admin_user, priority=Priority.NORMAL)
        helpdesk.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), by=admin_user, priority=Priority.HIGH)
    assert len([v for v in verbs(ticket) if v == "automation.fired"]) == 6
    assert len([v for v in verbs(ticket) if v == "automation.limit_reached"]) == 2


def test_a_rule_that_changes_what_triggers_it_stops(admin_user: User, customer_x: Contact) -> None:
    """A rule on 'ticket updated' whose action is an update: it would retrigger itself forever."""
    rule(
        "ticket.updated",
        actions=[{"type": "set_priority", "value": "urgent"}, {"type": "set_priority", "value": "low"}],
        max_fires=2,
    )
    ticket = ticket_new(by=admin_user, requester=customer_x)
    helpdesk.ticket_update(ticket=ticket, by=admin_user, subject="Changed")
    assert len([v for v in verbs(ticket) if v == "automation.fired"]) == 2
    assert Ticket.objects.get(pk=ticket.pk).subject == "Changed"


def test_a_failing_action_leaves_the_ticket_consistent(admin_user: User, team_a: Team, customer_x: Contact) -> None:
    """The first action changes the ticket, the second fails (no one to notify): the rule's changes are all
    undone, the failure is recorded, later rules still run, and the ticket's own creation stands."""
    rule(
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "add_tag", "value": "first"},
            {"type": "notify", "value": "assignee", "text": "Hello"},
        ],
        name="Broken",
    )
    rule(actions=[{"type": "add_tag", "value": "second"}], name="Fine")
    ticket = ticket_new(by=admin_user, requester=customer_x)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.priority == Priority.NORMAL
    assert tags(ticket) == {"second"}
    failed = event_data(ticket, "automation.failed")
    assert failed["name"] == "Broken"
    assert failed["action"] == 2
    assert "notify" in failed["reason"] or failed["reason"]
    history = verbs(ticket)
    assert history.count("ticket.updated") == 1  # only the "Fine" rule's tag
    assert history.count("automation.fired") == 1
    assert stored.version == Ticket.objects.get(pk=ticket.pk).version


def test_it_skips_inactive_rules_and_sees_changes_at_once(admin_user: User, customer_x: Contact) -> None:
    r = rule()
    services.rule_set_active(rule=r, by=admin_user, active=False)
    assert tags(ticket_new(by=admin_user, requester=customer_x)) == set()
    services.rule_set_active(rule=r, by=admin_user, active=True)
    assert tags(ticket_new(by=admin_user, requester=customer_x)) == {"auto"}
    services.rule_update(
        rule=r,
        by=admin_user,
        data=services.RuleIn(name="R", trigger="ticket.created", actions=[{"type": "add_tag", "value": "v2"}]),
    )
    assert tags(ticket_new(by=admin_user, requester=customer_x)) == {"v2"}
    services.rule_delete(rule=r, by=admin_user)
    assert tags(ticket_new(by=admin_user, requester=customer_x)) == set()


def test_it_runs_rules_in_order(admin_user: User, customer_x: Contact) -> None:
    first = rule(actions=[{"type": "set_priority", "value": "high"}], name="first")
    rule(
        conditions=[{"field": "priority", "op": "eq", "value": "high"}],
        actions=[{"type": "add_tag", "value": "saw-high"}],
        name="second",
    )
    assert tags(ticket_new(by=admin_user, requester=customer_x)) == {"saw-high"}
    services.rule_move(rule=first, by=admin_user, up=False)
    assert list(Rule.objects.values_list("name", flat=True)) == ["second", "first"]
    assert tags(ticket_new(by=admin_user, requester=customer_x)) == set()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"trigger": "nope"}, "trigger"),
        ({"match": "some"}, "match"),
        ({"max_fires": 0}, "max_fires"),
        ({"actions": []}, "actions"),
        ({"actions": [{"type": "explode"}]}, "actions.0.type"),
        ({"actions": [{"type": "set_priority", "value": "very"}]}, "actions.0.value"),
        ({"actions": [{"type": "assign_team", "value": "No such team"}]}, "actions.0.value"),
        ({"actions": [{"type": "webhook", "value": "ftp://x"}]}, "actions.0.value"),
        ({"actions": [{"type": "add_task", "value": "T", "text": "No skill"}]}, "actions.0.text"),
        ({"conditions": [{"field": "colour", "op": "eq", "value": "1"}]}, "conditions.0.field"),
        ({"conditions": [{"field": "priority", "op": "contains", "value": "1"}]}, "conditions.0.op"),
        ({"conditions": [{"field": "status", "op": "eq", "value": "sleeping"}]}, "conditions.0.value"),
        ({"conditions": [{"field": "subject", "op": "contains", "value": ""}]}, "conditions.0.value"),
        ({"conditions": "x"}, "conditions"),
    ],
)
def test_it_rejects_bad_rules(data: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"name": "R", "trigger": "ticket.created", "actions": [{"type": "add_tag", "value": "a"}]}
    values.update(data)
    with pytest.raises(ValidationFailed) as exc:
        services.rule_create(by=None, data=services.RuleIn(**values))
    assert field in [e.field for e in exc.value.errors]
    assert not Rule.objects.exists()


def test_it_fires_on_sla_breaches_in_the_tick(admin_user: User, team_a: Team, customer_x: Contact) -> None:
    import datetime as dt

    from django.utils import timezone

    from payvand.sla.services import sla_tick
    from payvand.sla.tests.support import policy_new

    policy_new()
    rule("sla.breached", actions=[{"type": "set_priority", "value": "urgent"}])
    rule("sla.warning", actions=[{"type": "add_tag", "value": "warned"}])
    ticket = ticket_new(by=admin_user, requester=customer_x, team=team_a)
    sla_tick(now=timezone.now() + dt.timedelta(minutes=50))  # 50 of 60 minutes: a warning
    assert tags(ticket) == {"warned"}
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    sla_tick(now=timezone.now() + dt.timedelta(days=1))
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT
    assert event_data(ticket, "automation.fired")["trigger"] == "sla.breached"


def test_evaluating_rules_costs_the_same_queries_for_many_rules(
    admin_user: User, customer_x: Contact, django_assert_max_num_queries: Any
) -> None:
    from payvand.automation.engine import active_rules, dispatch

    for i in range(50):
        rule("ticket.updated", [{"field": "tags", "op": "contains", "value": f"t{i}"}], name=f"r{i}")
    ticket = ticket_new(by=admin_user, requester=customer_x)
    active_rules("ticket.updated")
    with django_assert_max_num_queries(2):  # the rule-set check and the ticket's tags
        assert dispatch(trigger="ticket.updated", ticket=ticket) == 0


def test_a_firing_that_changes_nothing_reads_the_ticket_once(
    admin_user: User, customer_x: Contact, django_assert_max_num_queries: Any
) -> None:
    """The rule-set check, the tags (read once for conditions and the add_tag action), the firing counts, the count
    update, the savepoint around the rule, `automation.fired` and the savepoint's release: no re-read of the ticket
    after an action that left it alone, and no savepoint around the whole dispatch inside a transaction."""
    from django.db import transaction

    from payvand.automation.engine import active_rules, dispatch

    rule("ticket.updated", [{"field": "tags", "op": "contains", "value": "vip"}], [{"type": "add_tag", "value": "vip"}])
    ticket = ticket_new(by=admin_user, requester=customer_x, tags=["VIP"])
    active_rules("ticket.updated")
    dispatch(trigger="ticket.updated", ticket=ticket)  # the firing count row exists from here on
    with transaction.atomic(), django_assert_max_num_queries(7):
        assert dispatch(trigger="ticket.updated", ticket=ticket) == 1
    assert tags(ticket) == {"VIP"}
    assert RuleFiring.objects.get(ticket=ticket).count == 2


def test_actions_of_one_rule_see_each_other(admin_user: User, customer_x: Contact) -> None:
    """Two add_tag actions in one rule: the second sees the tag the first added (the engine's cached tags are
    dropped after an action that changed the ticket)."""
    rule(actions=[{"type": "add_tag", "value": "one"}, {"type": "add_tag", "value": "two"}])
    rule(
        conditions=[{"field": "tags", "op": "contains", "value": "two"}],
        actions=[{"type": "add_tag", "value": "three"}],
        name="Later",
    )
    ticket = ticket_new(by=admin_user, requester=customer_x)
    assert tags(ticket) == {"one", "two", "three"}


def test_the_rule_list_costs_one_query(admin_user: User, api_for: Any, django_assert_max_num_queries: Any) -> None:
    for i in range(20):
        rule(name=f"r{i}")
    api = api_for(admin_user)
    api.get("/api/v1/automation/rules")
    with django_assert_max_num_queries(6):  # session/token, permissions, the rules
        assert len(api.get("/api/v1/automation/rules").json()) == 20
