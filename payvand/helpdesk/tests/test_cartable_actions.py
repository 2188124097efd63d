"""What users do from the cartable: saved views, bulk actions on selected tickets, and their availability."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payvand.accounts.models import Availability
from payvand.core.models import Event
from payvand.helpdesk.models import Referral, SavedView, StatusCategory, Ticket
from payvand.helpdesk.tests.factories import TicketFactory, status_for

pytestmark = pytest.mark.django_db

URL = reverse("cartable:index")
SAVE = reverse("cartable:view_save")
BULK = reverse("cartable:bulk")
HTMX = {"HX-Request": "true"}


# ---------------------------------------------------------------------------------------------- saved views


def test_it_saves_the_current_filters_as_a_view(agent_a, team_a, client_for):
    client = client_for(agent_a)
    response = client.post(SAVE, {"name": "Urgent in my team", "list": "team", "priority": "4", "sort": "-priority"})
    view = SavedView.objects.get(user=agent_a)
    assert (view.name, view.filters, view.sort) == ("Urgent in my team", {"list": "team", "priority": "4"}, "-priority")
    assert response.status_code == 302
    assert "list=team" in response["Location"]
    assert "priority=4" in response["Location"]
    assert f"view={view.pk}" in response["Location"]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f'data-view-id="{view.pk}"' in html
    assert "Urgent in my team" in html
    assert page.context["state"].filters == {"priority": "4"}
    assert page.context["current_view"] == view


def test_it_refuses_to_save_a_view_with_a_bad_filter(agent_a, client_for):
    response = client_for(agent_a).post(SAVE, {"name": "Broken", "list": "team", "priority": "very high"})
    assert response.status_code == 422
    assert not SavedView.objects.exists()
    assert "Give a number." in response.content.decode()
    assert response.context["save_form"].errors


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "list": "team"}, "This field is required."),
        ({"name": "Tasks", "list": "tasks"}, "Only ticket lists can be saved as views."),
        ({"name": "Odd order", "list": "team", "sort": "sideways"}, "Unknown sort order."),
        ({"name": "No such team", "list": "team", "team": "abc"}, "Give a number."),
    ],
)
def test_it_explains_what_is_wrong_with_a_view(agent_a, client_for, data, message):
    response = client_for(agent_a).post(SAVE, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not SavedView.objects.exists()


def test_it_opens_a_saved_view_from_the_small_screen_picker(agent_a, client_for):
    view = SavedView.objects.create(user=agent_a, name="Mine, urgent", filters={"list": "mine", "priority": "4"})
    client = client_for(agent_a)
    response = client.get(URL, {"list": f"view:{view.pk}"})
    assert response.status_code == 302
    assert "priority=4" in response["Location"]
    htmx = client.get(URL, {"list": f"view:{view.pk}"}, headers=HTMX)
    assert "priority=4" in htmx["HX-Redirect"]


def test_it_deletes_only_my_own_views(agent_a, agent_b, client_for):
    mine = SavedView.objects.create(user=agent_a, name="Mine", filters={"list": "mine"})
    theirs = SavedView.objects.create(user=agent_b, name="Theirs", filters={"list": "team"})
    client = client_for(agent_a)
    assert client.post(reverse("cartable:view_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("cartable:view_delete", args=[mine.pk])).status_code == 302
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Theirs"]
    assert client.get(reverse("cartable:view_delete", args=[theirs.pk])).status_code == 405


def test_it_refuses_saved_views_to_outsiders(outsider, client_for):
    assert client_for(outsider).post(SAVE, {"name": "X", "list": "team"}).status_code == 403
    assert not SavedView.objects.exists()


# ---------------------------------------------------------------------------------------------- bulk actions


def test_it_assigns_selected_tickets_to_a_teammate(agent_a, team_a, client_for):
    from payvand.accounts.services import team_add_member
    from payvand.helpdesk.tests.factories import UserFactory

    mate = UserFactory.create(email="mate@example.com")
    team_add_member(team=team_a, user=mate, by=None)
    tickets = [TicketFactory.create(team=team_a), TicketFactory.create(team=team_a)]
    response = client_for(agent_a).post(
        BULK,
        {"action": "assign", "assignee": mate.pk, "ticket": [t.pk for t in tickets], "next": "/cartable/?list=team"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/cartable/?list=team"
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {mate.pk}
    assert Event.objects.filter(verb="ticket.assigned").count() == 2


def test_it_reports_each_ticket_that_failed(agent_a, team_a, team_b, client_for):
    from payvand.accounts.services import team_add_member
    from payvand.helpdesk.tests.factories import UserFactory

    mate = UserFactory.create(email="mate@example.com")
    team_add_member(team=team_a, user=mate, by=None)
    ours = TicketFactory.create(team=team_a)
    elsewhere = TicketFactory.create(team=team_b)  # mate is not in team B, and agent A cannot even see it
    response = client_for(agent_a).post(
        BULK, {"action": "assign", "assignee": mate.pk, "ticket": [ours.pk, elsewhere.pk]}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-done="1"' in html
    assert 'data-failed="1"' in html
    assert f'<li data-ticket-id="{elsewhere.pk}"' in html
    assert "No such ticket." in html
    assert response["HX-Trigger"] == "pv-changed"
    ours.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (ours.assignee_id, elsewhere.assignee_id) == (mate.pk, None)


def test_it_moves_selected_tickets_to_another_team(agent_a, team_a, team_b, client_for):
    ticket = TicketFactory.create(team=team_a, assignee=agent_a)
    response = client_for(agent_a).post(BULK, {"action": "refer", "team": team_b.pk, "ticket": [ticket.pk]})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (team_b.pk, None)
    assert Referral.objects.get(ticket=ticket).to_team_id == team_b.pk


def test_it_sets_a_status_and_refuses_a_closing_one(agent_a, team_a, client_for):
    ticket = TicketFactory.create(team=team_a, assignee=agent_a)
    opened = status_for(StatusCategory.OPEN)
    client = client_for(agent_a)
    client.post(BULK, {"action": "status", "status": opened.pk, "ticket": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    closed = status_for(StatusCategory.CLOSED)
    response = client.post(BULK, {"action": "status", "status": closed.pk, "ticket": [ticket.pk]}, headers=HTMX)
    assert "Use resolve, close, cancel or postpone" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN


def test_it_refuses_to_close_for_an_agent_and_closes_for_a_dispatcher(agent_a, dispatcher, team_a, client_for):
    ticket = TicketFactory.create(team=team_a, assignee=agent_a)
    page = client_for(agent_a).get(URL).content.decode()
    assert '<option value="close">' not in page  # not offered without the right
    response = client_for(agent_a).post(BULK, {"action": "close", "ticket": [ticket.pk]}, headers=HTMX)
    assert "You may not close this ticket" in response.content.decode()
    assert 'data-done="0"' in response.content.decode()
    assert "HX-Trigger" not in response
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.NEW
    assert '<option value="close">' in client_for(dispatcher).get(URL).content.decode()
    client_for(dispatcher).post(BULK, {"action": "close", "ticket": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED


def test_it_watches_selected_tickets(agent_a, team_a, client_for):
    ticket = TicketFactory.create(team=team_a)
    client_for(agent_a).post(BULK, {"action": "watch", "ticket": [ticket.pk]})
    assert list(ticket.watchers.all()) == [agent_a]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "watch"}, "Select at least one ticket."),
        ({"action": "explode", "ticket": ["1"]}, "Choose an action."),
        ({"action": "assign", "ticket": ["1"]}, "Choose a person."),
        ({"action": "assign", "assignee": "999999", "ticket": ["1"]}, "Choose a person."),
        ({"action": "refer", "team": "x", "ticket": ["1"]}, "Choose a team."),
        ({"action": "status", "ticket": ["1"]}, "Choose a status."),
        ({"action": "watch", "ticket": [str(i) for i in range(1, 102)]}, "Select at most 100 tickets at once."),
    ],
)
def test_it_explains_a_bulk_request_it_cannot_run(agent_a, team_a, client_for, data, message):
    TicketFactory.create(team=team_a)
    response = client_for(agent_a).post(BULK, data, headers=HTMX)
    assert response.status_code == 200
    assert 'id="cartable-bulk-error"' in response.content.decode()
    assert message in response.content.decode()
    plain = client_for(agent_a).post(BULK, data)
    assert plain.status_code == 302


def test_it_refuses_bulk_actions_to_outsiders_and_visitors(outsider, team_a, client_for):
    ticket = TicketFactory.create(team=team_a)
    assert client_for(outsider).post(BULK, {"action": "watch", "ticket": [ticket.pk]}).status_code == 403
    assert client_for(None).post(BULK, {"action": "watch", "ticket": [ticket.pk]}).status_code == 302
    assert not ticket.watchers.exists()


def test_it_does_not_redirect_elsewhere_after_a_bulk_action(agent_a, team_a, client_for):
    ticket = TicketFactory.create(team=team_a)
    response = client_for(agent_a).post(
        BULK, {"action": "watch", "ticket": [ticket.pk], "next": "https://evil.example/"}
    )
    assert response["Location"] == URL


# ---------------------------------------------------------------------------------------------- availability


def test_it_sets_my_availability(agent_a, client_for):
    client = client_for(agent_a)
    response = client.post(reverse("cartable:availability"), {"availability": "away", "next": "/contacts/"})
    assert response["Location"] == "/contacts/"
    agent_a.refresh_from_db()
    assert agent_a.availability == Availability.AWAY
    assert Event.objects.filter(verb="user.availability").exists()
    htmx = client.post(reverse("cartable:availability"), {"availability": "off"}, headers=HTMX)
    assert 'data-availability="off"' in htmx.content.decode()


def test_it_refuses_an_unknown_availability(agent_a, client_for):
    response = client_for(agent_a).post(reverse("cartable:availability"), {"availability": "asleep"}, headers=HTMX)
    assert "Choose online, away or off." in response.content.decode()
    agent_a.refresh_from_db()
    assert agent_a.availability == Availability.ONLINE


def test_it_refuses_availability_to_outsiders(outsider, client_for):
    assert client_for(outsider).post(reverse("cartable:availability"), {"availability": "away"}).status_code == 403
