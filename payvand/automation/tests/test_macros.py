"""Macros: canned replies with placeholders plus actions; personal, team-wide or for everyone; applied from the
ticket page and over the API, all or nothing."""

from __future__ import annotations

from collections.abc import Callable

import jdatetime
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from payvand.accounts.models import Team, User
from payvand.automation import services
from payvand.automation.models import Macro
from payvand.contacts.models import Contact
from payvand.core.errors import ValidationFailed
from payvand.core.localization import format_date
from payvand.helpdesk.models import Message, Priority, StatusCategory, Ticket
from payvand.helpdesk.tests.services_support import ticket_new, verbs

pytestmark = pytest.mark.django_db


def macro(by: User, **fields: object) -> Macro:
    data: dict[str, object] = {
        "name": "Waiting for you",
        "body": "Dear {customer_name}, about {ticket_reference} ({date}).",
    }
    data.update(fields)
    return services.macro_create(by=by, data=services.MacroIn(**data))  # type: ignore[arg-type]


def test_it_replies_with_placeholders_and_runs_its_actions(supervisor: User, team_a: Team, customer_x: Contact) -> None:
    m = macro(
        supervisor,
        actions=[{"type": "set_status", "value": "pending_customer"}, {"type": "set_priority", "value": "high"}],
    )
    ticket = ticket_new(by=supervisor, requester=customer_x, team=team_a)
    services.macro_apply(macro=m, ticket=ticket, by=supervisor)
    reply = Message.objects.get(ticket=ticket)
    assert reply.body_text == f"Dear {customer_x.name}, about {ticket.reference} ({format_date(timezone.now())})."
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status_category == StatusCategory.PENDING_CUSTOMER
    assert stored.priority == Priority.HIGH
    assert "automation.macro_applied" in verbs(ticket)


def test_the_date_is_jalali_for_persian(supervisor: User, team_a: Team, customer_x: Contact) -> None:
    m = macro(supervisor, body="{date}")
    ticket = ticket_new(by=supervisor, requester=customer_x, team=team_a)
    with translation.override("fa"):
        services.macro_apply(macro=m, ticket=ticket, by=supervisor)
    body = Message.objects.get(ticket=ticket).body_text
    year = jdatetime.date.today().year
    assert str(year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in body


def test_a_failing_action_undoes_the_whole_macro(supervisor: User, team_a: Team, customer_x: Contact) -> None:
    m = macro(
        supervisor, actions=[{"type": "set_priority", "value": "urgent"}, {"type": "notify", "value": "assignee"}]
    )
    ticket = ticket_new(by=supervisor, requester=customer_x, team=team_a)
    with pytest.raises(ValidationFailed):
        services.macro_apply(macro=m, ticket=ticket, by=supervisor)
    assert not Message.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    assert "automation.macro_applied" not in verbs(ticket)


def test_who_sees_which_macro(supervisor: User, agent_a: User, agent_b: User, team_a: Team) -> None:
    from payvand.automation.selectors import macros_for_user

    everyone = macro(supervisor, name="Everyone", personal=False)
    for_a = macro(supervisor, name="Team A", personal=False, team=team_a)
    mine = macro(agent_a, name="Mine", personal=True)
    assert set(macros_for_user(user=agent_a)) == {everyone, for_a, mine}
    assert set(macros_for_user(user=agent_b)) == {everyone}
    with pytest.raises(ValidationFailed):  # an agent cannot share a macro
        macro(agent_a, name="Shared", personal=False)
    with pytest.raises(ValidationFailed):
        macro(agent_a, name="", body="")


def test_it_is_applied_from_the_ticket_page(
    agent_a: User, team_a: Team, customer_x: Contact, client_for: Callable[[User | None], Client]
) -> None:
    m = macro(agent_a, name="Thanks", body="Thanks {customer_name}!", personal=True)
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    client = client_for(agent_a)
    menu = client.get(reverse("automation:ticket_macros", args=[ticket.pk])).content.decode()
    assert "Thanks" in menu
    response = client.post(reverse("automation:macro_apply", args=[ticket.pk]), {"macro": m.pk})
    assert response.status_code == 302
    assert Message.objects.get(ticket=ticket).body_text == f"Thanks {customer_x.name}!"
    response = client.post(reverse("automation:macro_apply", args=[ticket.pk]), {"macro": "x"}, follow=True)
    assert "Choose a macro." in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_the_macro_page_creates_and_rejects(agent_a: User, client_for: Callable[[User | None], Client]) -> None:
    client = client_for(agent_a)
    assert client.get(reverse("automation:macros")).status_code == 200
    ok = client.post(reverse("automation:macros"), {"name": "Hi", "body": "Hello {customer_name}", "personal": "on"})
    assert ok.status_code == 302
    bad = client.post(
        reverse("automation:macros"), {"name": "Bad", "personal": "on", "a0_type": "set_priority", "a0_value": "x"}
    )
    assert bad.status_code == 422
    assert "Unknown priority." in bad.content.decode()
    assert list(Macro.objects.values_list("name", flat=True)) == ["Hi"]


def test_the_api_lists_and_applies(
    agent_a: User, agent_b: User, team_a: Team, customer_x: Contact, api_for: Callable[[User], Client]
) -> None:
    m = macro(agent_a, name="Mine", personal=True, actions=[{"type": "add_tag", "value": "macro"}])
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    api = api_for(agent_a)
    assert [x["name"] for x in api.get("/api/v1/automation/macros").json()] == ["Mine"]
    url = f"/api/v1/automation/macros/{m.pk}/apply"
    response = api.post(url, {"ticket": ticket.pk}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["reference"] == ticket.reference
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["macro"]
    # Another agent: not their macro (404), and not their ticket.
    assert api_for(agent_b).post(url, {"ticket": ticket.pk}, content_type="application/json").status_code == 404
    assert api.post(url, {"ticket": 0}, content_type="application/json").status_code == 422
    assert api.post(url, {"ticket": 99999}, content_type="application/json").status_code == 404
    assert Client().get("/api/v1/automation/macros").status_code == 401
