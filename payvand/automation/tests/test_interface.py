"""The rule builder pages and /api/v1/automation/rules: success, outsiders, bad input, test-run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from payvand.accounts.models import Team, User
from payvand.automation import services
from payvand.automation.models import Rule
from payvand.contacts.models import Contact
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.tests.services_support import ticket_new

pytestmark = pytest.mark.django_db
API = "/api/v1/automation/rules"


def _post_data(**extra: str) -> dict[str, str]:
    data = {
        "name": "Tag refunds",
        "trigger": "ticket.created",
        "match": "all",
        "max_fires": "3",
        "is_active": "on",
        "c0_field": "subject",
        "c0_op": "contains",
        "c0_value": "refund",
        "a0_type": "add_tag",
        "a0_value": "refund",
    }
    data.update(extra)
    return data


def test_it_builds_a_rule_in_the_page_and_it_fires(
    supervisor: User, customer_x: Contact, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(supervisor)
    assert client.get(reverse("automation:rule_new")).status_code == 200
    response = client.post(reverse("automation:rule_new"), _post_data())
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "subject", "op": "contains", "value": "refund"}]
    page = client.get(reverse("automation:rules")).content.decode()
    assert "Tag refunds" in page
    ticket = ticket_new(by=supervisor, requester=customer_x, subject="Refund please")
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["refund"]


def test_the_page_shows_errors_and_saves_nothing(supervisor: User, client_for: Callable[[User | None], Client]) -> None:
    client = client_for(supervisor)
    response = client.post(
        reverse("automation:rule_new"), _post_data(c0_value="", a0_type="assign_team", a0_value="Nobody")
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Give a value to compare with." in body
    assert "Nothing of that name exists." in body
    assert not Rule.objects.exists()
    response = client.post(reverse("automation:rule_new"), _post_data(a0_type=""))
    assert response.status_code == 422
    assert "Give the rule at least one action." in response.content.decode()


def test_the_page_test_runs_without_saving(
    supervisor: User, team_a: Team, customer_x: Contact, client_for: Callable[[User | None], Client]
) -> None:
    hit = ticket_new(by=supervisor, requester=customer_x, subject="Refund for order 7", team=team_a)
    miss = ticket_new(by=supervisor, requester=customer_x, subject="Printer", team=team_a)
    response = client_for(supervisor).post(reverse("automation:rule_new"), _post_data(test="1"))
    assert response.status_code == 200
    body = response.content.decode()
    assert hit.subject in body
    assert miss.subject not in body
    assert not Rule.objects.exists()


def test_it_orders_toggles_and_deletes(supervisor: User, client_for: Callable[[User | None], Client]) -> None:
    a = services.rule_create(
        by=None, data=services.RuleIn(name="A", trigger="ticket.created", actions=[{"type": "add_tag", "value": "a"}])
    )
    b = services.rule_create(
        by=None, data=services.RuleIn(name="B", trigger="ticket.created", actions=[{"type": "add_tag", "value": "b"}])
    )
    client = client_for(supervisor)
    assert client.post(reverse("automation:rule_move", args=[b.pk, "up"])).status_code == 302
    assert list(Rule.objects.values_list("name", flat=True)) == ["B", "A"]
    assert client.post(reverse("automation:rule_toggle", args=[a.pk])).status_code == 302
    assert not Rule.objects.get(pk=a.pk).is_active
    assert client.post(reverse("automation:rule_delete", args=[a.pk])).status_code == 302
    assert list(Rule.objects.values_list("name", flat=True)) == ["B"]
    assert client.get(reverse("automation:rule", args=[999999])).status_code == 404


def test_agents_and_outsiders_cannot_manage_rules(
    agent_a: User, outsider: User, client_for: Callable[[User | None], Client], api_for: Callable[[User], Client]
) -> None:
    rule = services.rule_create(
        by=None, data=services.RuleIn(name="A", trigger="ticket.created", actions=[{"type": "add_tag", "value": "a"}])
    )
    for user in (agent_a, outsider):
        client = client_for(user)
        assert client.get(reverse("automation:rules")).status_code == 403
        assert client.post(reverse("automation:rule_new"), _post_data()).status_code == 403
        assert client.post(reverse("automation:rule_delete", args=[rule.pk])).status_code == 403
        assert api_for(user).get(API).status_code == 403
        assert api_for(user).delete(f"{API}/{rule.pk}").status_code == 403
    assert client_for(None).get(reverse("automation:rules")).status_code == 302
    assert Client().get(API).status_code == 401
    assert Rule.objects.count() == 1


def _rule_json(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Urgent outages",
        "trigger": "ticket.created",
        "match": "any",
        "conditions": [{"field": "text", "op": "contains", "value": "outage"}],
        "actions": [{"type": "set_priority", "value": "urgent"}, {"type": "add_tag", "value": "outage"}],
        "max_fires": 2,
    }
    data.update(extra)
    return data


def test_the_api_creates_reads_updates_and_deletes(
    admin_user: User, customer_x: Contact, api_for: Callable[[User], Client]
) -> None:
    api = api_for(admin_user)
    response = api.post(API, _rule_json(), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["actions"][0] == {"type": "set_priority", "value": 4, "text": ""}
    rule_id = body["id"]
    assert [r["id"] for r in api.get(API).json()] == [rule_id]
    assert api.get(f"{API}/{rule_id}").json()["name"] == "Urgent outages"
    ticket = ticket_new(by=admin_user, requester=customer_x, subject="Total outage")
    assert Ticket.objects.get(pk=ticket.pk).priority == 4
    run = api.post(f"{API}/{rule_id}/test-run")
    assert run.status_code == 200
    assert [t["reference"] for t in run.json()["tickets"]] == [ticket.reference]
    response = api.put(f"{API}/{rule_id}", _rule_json(name="Renamed", is_active=False), content_type="application/json")
    assert response.status_code == 200
    assert Rule.objects.get(pk=rule_id).name == "Renamed"
    assert api.delete(f"{API}/{rule_id}").status_code == 204
    assert not Rule.objects.exists()
    assert api.get(f"{API}/{rule_id}").status_code == 404


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"name": ""}, "name"),
        ({"trigger": "ticket.exploded"}, "trigger"),
        ({"actions": []}, "actions"),
        ({"actions": [{"type": "assign_user", "value": "ghost@example.com"}]}, "actions.0.value"),
        ({"conditions": [{"field": "form:", "op": "eq", "value": "1"}]}, "conditions.0.field"),
        ({"max_fires": 0}, "max_fires"),
    ],
)
def test_the_api_rejects_bad_rules(
    admin_user: User, api_for: Callable[[User], Client], extra: dict[str, Any], field: str
) -> None:
    response = api_for(admin_user).post(API, _rule_json(**extra), content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert "detail" in body
    assert any(field in (e["field"] or "") for e in body["errors"]), body
    assert not Rule.objects.exists()
