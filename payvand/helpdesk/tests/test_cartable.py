"""The cartable page: its lists, counts, filters, pagination, and who may see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from payvand.helpdesk.models import Mention, Message, Priority, Referral, StatusCategory, Task
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory, status_for

pytestmark = pytest.mark.django_db

URL = reverse("cartable:index")


def _ids(response) -> list[int]:
    """The ticket ids of the rows the list shows, in order."""
    return [int(i) for i in re.findall(r'<li [^>]*data-ticket-id="(\d+)"', response.content.decode())]


def _get(client, **params):
    return client.get(URL, params)


def test_it_sends_anonymous_visitors_to_the_login_page(db, client_for):
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_refuses_a_user_without_a_helpdesk_role(outsider, client_for):
    assert client_for(outsider).get(URL).status_code == 403
    assert client_for(outsider).get(URL, {"list": "team"}, headers={"HX-Request": "true"}).status_code == 403


def test_it_shows_an_agent_their_own_tickets_by_default(agent_a, agent_b, team_a, team_b, client_for):
    mine = TicketFactory.create(team=team_a, assignee=agent_a, subject="Printer on fire")
    TicketFactory.create(team=team_a, assignee=None, subject="Nobody's yet")
    TicketFactory.create(team=team_b, assignee=agent_b, subject="Other team's")
    done = status_for(StatusCategory.CLOSED)
    TicketFactory.create(team=team_a, assignee=agent_a, status=done, status_category=done.category)
    response = client_for(agent_a).get(URL)
    assert response.status_code == 200
    assert _ids(response) == [mine.pk]
    html = response.content.decode()
    assert "Printer on fire" in html
    assert 'id="cartable-link-mine"' in html
    assert 'id="cartable-link-review"' not in html  # agents do not review replies


def test_it_shows_the_team_queue_without_other_teams_tickets(agent_a, agent_b, team_a, team_b, client_for):
    ours = [TicketFactory.create(team=team_a), TicketFactory.create(team=team_a, assignee=agent_a)]
    theirs = TicketFactory.create(team=team_b)
    response = _get(client_for(agent_a), list="team")
    assert sorted(_ids(response)) == sorted(t.pk for t in ours)
    assert theirs.pk not in _ids(response)
    assert _ids(_get(client_for(agent_b), list="team")) == [theirs.pk]


def test_it_shows_unassigned_tickets_of_my_teams_and_every_team_to_a_dispatcher(
    agent_a, dispatcher, team_a, team_b, client_for
):
    ours = TicketFactory.create(team=team_a)
    theirs = TicketFactory.create(team=team_b)
    TicketFactory.create(team=team_a, assignee=agent_a)
    assert _ids(_get(client_for(agent_a), list="unassigned")) == [ours.pk]
    assert sorted(_ids(_get(client_for(dispatcher), list="unassigned"))) == sorted([ours.pk, theirs.pk])


def test_it_shows_overdue_tickets(agent_a, team_a, client_for):
    late = TicketFactory.create(team=team_a, assignee=agent_a, due_at=timezone.now() - dt.timedelta(hours=1))
    TicketFactory.create(team=team_a, assignee=agent_a, due_at=timezone.now() + dt.timedelta(days=1))
    response = _get(client_for(agent_a), list="overdue")
    assert _ids(response) == [late.pk]
    assert "text-danger" in response.content.decode()


def test_it_shows_my_tasks(agent_a, agent_b, team_a, team_b, client_for):
    ticket = TicketFactory.create(team=team_b)
    task = Task.objects.create(ticket=ticket, title="Call the courier", assignee=agent_a)
    Task.objects.create(ticket=ticket, title="Someone else's", assignee=agent_b)
    Task.objects.create(ticket=ticket, title="Finished", assignee=agent_a, state=Task.State.DONE)
    response = _get(client_for(agent_a), list="tasks")
    html = response.content.decode()
    assert f'data-task-id="{task.pk}"' in html
    assert "Call the courier" in html
    assert "Someone else" not in html
    assert "Finished" not in html


def test_it_shows_replies_waiting_for_review_to_reviewers_only(agent_a, dispatcher, team_a, client_for):
    ticket = TicketFactory.create(team=team_a, assignee=agent_a)
    reply = Message.objects.create(
        ticket=ticket, author=agent_a, body_text="Dear customer, refund approved", review=Message.Review.PENDING
    )
    response = _get(client_for(dispatcher), list="review")
    html = response.content.decode()
    assert f'data-message-id="{reply.pk}"' in html
    assert "refund approved" in html
    assert response.context["counts"]["review"] == 1
    # An agent asking for the list gets their own tickets instead.
    response = _get(client_for(agent_a), list="review")
    assert response.context["state"].list_key == "mine"
    assert "refund approved" not in response.content.decode()


def test_it_shows_mentions_unseen_first(agent_a, agent_b, team_a, client_for):
    ticket = TicketFactory.create(team=team_a)
    old = Message.objects.create(ticket=ticket, author=agent_b, kind=Message.Kind.NOTE, body_text="seen one")
    new = Message.objects.create(ticket=ticket, author=agent_b, kind=Message.Kind.NOTE, body_text="fresh one")
    seen = Mention.objects.create(message=new, user=agent_a, seen_at=timezone.now())
    fresh = Mention.objects.create(message=old, user=agent_a)
    response = _get(client_for(agent_a), list="mentions")
    html = response.content.decode()
    assert html.index(f'data-mention-id="{fresh.pk}"') < html.index(f'data-mention-id="{seen.pk}"')
    assert response.context["counts"]["mentions"] == 1


def test_it_shows_referrals_waiting_for_me(agent_a, agent_b, dispatcher, team_a, team_b, client_for):
    from payvand.helpdesk import services

    ticket = TicketFactory.create(team=team_b, subject="Needs team A")
    services.ticket_refer(ticket=ticket, by=dispatcher, to_team=team_a, note="Please take this")
    response = _get(client_for(agent_a), list="referrals")
    html = response.content.decode()
    referral = Referral.objects.get(ticket=ticket)
    assert f'data-referral-id="{referral.pk}"' in html
    assert "Please take this" in html
    assert 'data-referral-id="' not in _get(client_for(agent_b), list="referrals").content.decode()


def test_it_counts_each_list(agent_a, team_a, team_b, client_for):
    TicketFactory.create(team=team_a, assignee=agent_a)
    TicketFactory.create(team=team_a, assignee=agent_a, due_at=timezone.now() - dt.timedelta(days=1))
    TicketFactory.create(team=team_a)
    TicketFactory.create(team=team_b)
    response = client_for(agent_a).get(URL)
    counts = response.context["counts"]
    assert (counts["mine"], counts["team"], counts["unassigned"], counts["overdue"]) == (2, 3, 1, 1)
    html = response.content.decode()
    assert re.search(r'id="cartable-count-team" data-count="3"', html)
    assert re.search(r'id="cartable-count-mine" data-count="2"', html)


def test_it_filters_and_sorts_a_list(agent_a, team_a, client_for):
    category = CategoryFactory.create()
    urgent = TicketFactory.create(team=team_a, priority=Priority.URGENT, category=category, subject="Server down")
    low = TicketFactory.create(
        team=team_a, priority=Priority.LOW, subject="Typo on the website", search_text="typo on the website"
    )
    client = client_for(agent_a)
    assert _ids(_get(client, list="team", priority=Priority.URGENT)) == [urgent.pk]
    assert _ids(_get(client, list="team", category=category.pk)) == [urgent.pk]
    assert _ids(_get(client, list="team", search="typo")) == [low.pk]
    assert _ids(_get(client, list="team", status="new", sort="-priority")) == [urgent.pk, low.pk]
    assert _ids(_get(client, list="team", sort="priority")) == [low.pk, urgent.pk]
    assert _ids(_get(client, list="team", status="open")) == []


def test_it_says_when_a_filter_is_not_valid_and_shows_the_list_without_filters(agent_a, team_a, client_for):
    ticket = TicketFactory.create(team=team_a)
    response = _get(client_for(agent_a), list="team", priority="very", sort="sideways")
    assert response.status_code == 200
    assert _ids(response) == [ticket.pk]
    assert "The list is shown without its filters." in response.content.decode()
    assert response.context["state"].sort == "-updated_at"


def test_it_pages_through_a_long_list(agent_a, team_a, client_for):
    tickets = [TicketFactory.create(team=team_a) for _ in range(30)]
    client = client_for(agent_a)
    first = _get(client, list="team", sort="created_at")
    assert _ids(first) == [t.pk for t in tickets[:25]]
    next_query = first.context["result"].next_query
    assert next_query
    second = client.get(f"{URL}?{next_query}")
    assert _ids(second) == [t.pk for t in tickets[25:]]
    assert second.context["result"].next_query is None
    assert 'id="cartable-first-page"' in second.content.decode()
    # A broken cursor is not an error page.
    assert _ids(_get(client, list="team", sort="created_at", cursor="not-a-cursor"))[:1] == [tickets[0].pk]


def test_it_answers_htmx_with_the_part_it_asks_for(agent_a, team_a, client_for):
    ticket = TicketFactory.create(team=team_a)
    client = client_for(agent_a)
    part = client.get(URL, {"list": "team"}, headers={"HX-Request": "true", "HX-Target": "cartable-list"})
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="cartable-list"')
    assert f'data-ticket-id="{ticket.pk}"' in html
    assert '<nav class="navbar' not in html
    nav = client.get(URL, {"list": "team"}, headers={"HX-Request": "true", "HX-Target": "cartable-nav"})
    assert nav.content.decode().lstrip().startswith('<div id="cartable-nav"')
    assert 'id="cartable-count-team" data-count="1"' in nav.content.decode()


def test_it_keeps_its_queries_flat_whatever_the_number_of_tickets(
    agent_a, team_a, client_for, django_assert_max_num_queries
):
    client = client_for(agent_a)
    TicketFactory.create(team=team_a, assignee=agent_a)
    with django_assert_max_num_queries(24) as few:  # about 19: session, user, perms, teams, 8 counts, rows, choices
        client.get(URL, {"list": "team"})
    for i in range(20):
        TicketFactory.create(team=team_a, assignee=agent_a if i % 2 else None, category=CategoryFactory.create())
    with django_assert_max_num_queries(24) as many:
        response = client.get(URL, {"list": "team"})
    assert len(_ids(response)) == 21
    assert len(many.captured_queries) <= len(few.captured_queries) + 1
    with django_assert_max_num_queries(6):
        client.get(URL, {"list": "team"}, headers={"HX-Request": "true", "HX-Target": "cartable-list"})


def test_it_shows_the_badge_of_things_waiting_for_me(agent_a, dispatcher, team_a, team_b, client_for):
    from payvand.helpdesk import services

    badge = reverse("cartable:badge")
    assert "pv-cartable-waiting" not in client_for(agent_a).get(badge).content.decode()
    services.ticket_refer(ticket=TicketFactory.create(team=team_b), by=dispatcher, to_team=team_a)
    html = client_for(agent_a).get(badge).content.decode()
    assert 'data-count="1"' in html
    assert client_for(None).get(badge).status_code == 302


def test_the_navigation_links_the_cartable_for_agents_only(agent_a, outsider, client_for):
    html = client_for(agent_a).get(reverse("accounts:profile")).content.decode()
    assert 'id="nav-cartable"' in html
    assert 'id="pv-availability"' in html
    assert 'id="pv-bell"' in html
    assert "core/live.js" in html
    other = client_for(outsider).get(reverse("accounts:profile")).content.decode()
    assert 'id="nav-cartable"' not in other
    assert 'id="pv-availability"' not in other
    assert 'id="pv-bell"' in other  # everyone signed in gets notifications


def test_pages_open_the_live_socket_only_when_served_over_asgi(agent_a, client_for):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    assert "data-pv-live-url" not in client_for(agent_a).get(URL).content.decode()  # WSGI: no WebSockets
    client = AsyncClient()
    client.force_login(agent_a)
    response = async_to_sync(client.get)(URL)
    assert response.status_code == 200
    assert 'data-pv-live-url="/ws/live/"' in response.content.decode()


def test_the_home_page_links_the_cartable_for_agents(agent_a, outsider, client_for):
    home = reverse("core:home")
    assert 'id="home-cartable"' in client_for(agent_a).get(home).content.decode()
    assert 'id="home-cartable"' not in client_for(outsider).get(home).content.decode()
