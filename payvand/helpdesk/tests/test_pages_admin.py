"""Django admin for the helpdesk configuration."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payvand.helpdesk import services
from payvand.helpdesk.models import Status, StatusCategory, Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["status", "tickettype", "category", "routingrule", "teamsettings", "teamcontact", "savedview", "ticket"]
)
def test_it_lists_each_model(admin_user, client_for, model):
    assert client_for(admin_user).get(reverse(f"admin:helpdesk_{model}_changelist")).status_code == 200


def test_it_refuses_the_admin_to_agents(agent_a, client_for):
    response = client_for(agent_a).get(reverse("admin:helpdesk_status_changelist"))
    assert response.status_code == 302  # to the admin login: agents are not staff


def test_admins_add_their_own_status_but_cannot_delete_a_builtin_one(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:helpdesk_status_add"),
        {"name": "Waiting for parts", "category": StatusCategory.PENDING_THIRD_PARTY, "order": 50, "colour": "#aa5500"},
    )
    assert response.status_code == 302
    custom = Status.objects.get(name="Waiting for parts")
    assert custom.category == StatusCategory.PENDING_THIRD_PARTY
    assert not custom.is_builtin
    # The built-in statuses come with the migrations; a transactional test run before this one on the same worker
    # may have flushed them, and `status_for` makes them again as the services would.
    builtin = services.status_for(StatusCategory.NEW)
    assert builtin.is_builtin
    assert client.post(reverse("admin:helpdesk_status_delete", args=[builtin.pk]), {"post": "yes"}).status_code == 403
    assert Status.objects.filter(pk=builtin.pk).exists()
    # A built-in status keeps its category.
    change = client.get(reverse("admin:helpdesk_status_change", args=[builtin.pk])).content.decode()
    assert 'name="category"' not in change
    assert client.post(reverse("admin:helpdesk_status_delete", args=[custom.pk]), {"post": "yes"}).status_code == 302
    assert not Status.objects.filter(pk=custom.pk).exists()


def test_tickets_are_read_only_in_the_admin(admin_user, agent_a, team_a, customer_x, client_for):
    ticket = services.ticket_create(by=agent_a, subject="Printer", requester=customer_x, team=team_a, route=False)
    client = client_for(admin_user)
    assert client.get(reverse("admin:helpdesk_ticket_add")).status_code == 403
    page = client.get(reverse("admin:helpdesk_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    assert 'name="subject"' not in page.content.decode()
    assert client.post(reverse("admin:helpdesk_ticket_delete", args=[ticket.pk]), {"post": "yes"}).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
