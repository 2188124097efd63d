"""The ticket pages: list, create, detail. Each renders for the right people and is refused to outsiders."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from payvand.accounts.services import user_create
from payvand.contacts.models import ContactFlag
from payvand.helpdesk import services
from payvand.helpdesk.models import Ticket, TicketLink
from payvand.helpdesk.tests.factories import TicketFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db


def _ticket(by, requester, team, **extra) -> Ticket:
    return services.ticket_create(
        by=by, subject=extra.pop("subject", "Printer is broken"), requester=requester, team=team, route=False, **extra
    )


def _refs(html: str) -> list[str]:
    part = html.split('id="ticket-list"')[1]
    return re.findall(r'href="/tickets/(\d+)/"', part)


# ---------------------------------------------------------------------------------------------- list


def test_it_lists_only_the_tickets_the_user_may_see(
    agent_a, agent_b, dispatcher, team_a, team_b, customer_x, client_for
):
    mine = _ticket(agent_a, customer_x, team_a, subject="Router blinks")
    other = _ticket(agent_b, customer_x, team_b, subject="Invoice wrong")
    url = reverse("helpdesk:list")

    html = client_for(agent_a).get(url).content.decode()
    assert _refs(html) == [str(mine.pk)]
    assert "Invoice wrong" not in html
    assert set(_refs(client_for(dispatcher).get(url).content.decode())) == {str(mine.pk), str(other.pk)}
    # Filters: free text, team, and the reference with Persian digits.
    dispatcher_client = client_for(dispatcher)
    assert _refs(dispatcher_client.get(url, {"search": "invoice"}).content.decode()) == [str(other.pk)]
    assert _refs(dispatcher_client.get(url, {"team": str(team_a.pk)}).content.decode()) == [str(mine.pk)]
    number = str(other.number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert _refs(dispatcher_client.get(url, {"search": f"#{number}"}).content.decode()) == [str(other.pk)]


def test_it_refuses_the_list_to_outsiders_and_strangers(outsider, client_for):
    assert client_for(outsider).get(reverse("helpdesk:list")).status_code == 403
    response = client_for(None).get(reverse("helpdesk:list"))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_it_ignores_nonsense_filters_without_failing(dispatcher, team_a, customer_x, client_for):
    ticket = _ticket(dispatcher, customer_x, team_a)
    response = client_for(dispatcher).get(
        reverse("helpdesk:list"), {"team": "abc", "priority": "x", "cursor": "!!", "sort": "evil", "list": "nope"}
    )
    assert response.status_code == 200
    assert _refs(response.content.decode()) == [str(ticket.pk)]


def test_it_pages_with_a_next_link_and_answers_htmx_with_the_rows(dispatcher, team_a, customer_x, client_for):
    tickets = [TicketFactory.create(team=team_a, requester=customer_x) for _ in range(27)]
    client = client_for(dispatcher)
    url = reverse("helpdesk:list")
    first = client.get(url).content.decode()
    assert len(_refs(first)) == 25
    next_url = re.search(r'href="\?([^"]*cursor=[^"]*)" id="next-page"', first)
    assert next_url is not None
    second = client.get(f"{url}?{next_url[1].replace('&amp;', '&')}").content.decode()
    assert len(_refs(second)) == 2
    assert set(_refs(first)) | set(_refs(second)) == {str(t.pk) for t in tickets}
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert 'id="ticket-list"' in partial


def test_it_lists_in_a_bounded_number_of_queries(
    agent_a, team_a, customer_x, client_for, django_assert_max_num_queries
):
    for _ in range(30):
        TicketFactory.create(team=team_a, requester=customer_x, assignee=agent_a)
    client = client_for(agent_a)
    client.get(reverse("helpdesk:list"))  # warm the session and content types
    with django_assert_max_num_queries(10):
        response = client.get(reverse("helpdesk:list"))
    assert len(_refs(response.content.decode())) == 25


# ---------------------------------------------------------------------------------------------- create


def test_it_registers_a_request_for_a_customer(agent_a, team_a, customer_x, client_for, flag_type):
    ContactFlag.objects.create(contact=customer_x, flag_type=flag_type)
    client = client_for(agent_a)
    url = reverse("helpdesk:create")
    page = client.get(url, {"requester": customer_x.pk}).content.decode()
    assert f'name="requester" value="{customer_x.pk}"' in page  # prefilled from the 360° page
    assert "Payment arrears" in page  # the requester's flags are shown
    response = client.post(
        url,
        {
            "requester": customer_x.pk,
            "subject": "Internet is down",
            "description": "Since this morning",
            "channel": "phone",
            "priority": "3",
            "team": team_a.pk,
            "tags": "outage, vip",
            "due_at": "۱۴۱۰/۰۱/۰۵",
        },
    )
    ticket = Ticket.objects.get(subject="Internet is down")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.requester == customer_x
    assert ticket.team == team_a
    assert ticket.channel == "phone"
    assert ticket.priority == 3
    assert ticket.created_by == agent_a
    assert sorted(t.name for t in ticket.tags.all()) == ["outage", "vip"]
    assert ticket.due_at is not None
    assert ticket.due_at.astimezone(dt.UTC).date() == dt.date(2031, 3, 25)  # 1410/01/05 at 23:59 in Tehran


def test_it_shows_errors_for_bad_input_and_saves_nothing(agent_a, customer_x, client_for):
    url = reverse("helpdesk:create")
    client = client_for(agent_a)
    response = client.post(url, {"subject": "", "channel": "phone", "priority": "2", "due_at": "tomorrow"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose the customer who asks." in html
    assert "This field is required." in html
    assert "Enter a date such as" in html
    response = client.post(url, {"requester": "99999999", "subject": "x", "channel": "robot", "priority": "9"})
    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_it_offers_likely_duplicates_before_creating(agent_a, team_a, customer_x, client_for):
    existing = _ticket(agent_a, customer_x, team_a, subject="Printer on floor 2 is broken")
    url = reverse("helpdesk:create")
    client = client_for(agent_a)
    data = {"requester": customer_x.pk, "subject": "Printer on floor 2 broken", "channel": "phone", "priority": "2"}
    html = client.post(url, data).content.decode()
    assert 'id="duplicates"' in html
    assert f'href="/tickets/{existing.pk}/"' in html  # open it
    assert Ticket.objects.count() == 1
    # Create it and link it to the existing one.
    response = client.post(url, {**data, "link_to": existing.pk})
    assert response.status_code == 302
    new = Ticket.objects.exclude(pk=existing.pk).get()
    assert TicketLink.objects.filter(source=new, target=existing).exists()
    # Or create it anyway.
    assert client.post(url, {**data, "create_anyway": "1"}).status_code == 302
    assert Ticket.objects.count() == 3


def test_it_searches_and_picks_the_requester_with_htmx(agent_a, customer_x, customer_y, client_for):
    client = client_for(agent_a)
    html = client.get(reverse("helpdesk:requester_search"), {"q": "xerxes"}, headers={"HX-Request": "true"})
    assert "Xerxes Customer" in html.content.decode()
    assert "Yvette" not in html.content.decode()
    by_phone = client.get(reverse("helpdesk:requester_search"), {"q": "۰۹۱۲ ۱۲۳ ۴۵۶۷"}).content.decode()
    assert "Xerxes Customer" in by_phone
    picked = client.get(reverse("helpdesk:requester_pick", args=[customer_x.pk])).content.decode()
    assert f'name="requester" value="{customer_x.pk}"' in picked
    assert client.get(reverse("helpdesk:requester_pick", args=[999999])).status_code == 404


def test_it_refuses_the_create_page_to_outsiders(outsider, client_for, customer_x):
    client = client_for(outsider)
    assert client.get(reverse("helpdesk:create")).status_code == 403
    assert client.post(reverse("helpdesk:create"), {"requester": customer_x.pk, "subject": "x"}).status_code == 403
    assert client.get(reverse("helpdesk:requester_search"), {"q": "x"}).status_code == 403
    assert Ticket.objects.count() == 0


def test_it_loads_an_empty_type_form_for_a_type_without_one(agent_a, client_for):
    kind = TicketTypeFactory.create()
    response = client_for(agent_a).get(reverse("helpdesk:type_form"), {"type": kind.pk})
    assert response.status_code == 200
    assert "<input" not in response.content.decode()


# ---------------------------------------------------------------------------------------------- detail


def test_it_shows_the_ticket_to_the_right_people_only(
    agent_a, agent_b, dispatcher, supervisor, outsider, team_a, customer_x, client_for
):
    ticket = _ticket(agent_a, customer_x, team_a)
    url = reverse("helpdesk:detail", args=[ticket.pk])
    for user in (agent_a, dispatcher, supervisor):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert "Printer is broken" in response.content.decode()
    assert client_for(agent_b).get(url).status_code == 404  # another team: not even told it exists
    assert client_for(outsider).get(url).status_code == 403
    assert client_for(agent_a).get(reverse("helpdesk:detail", args=[999999])).status_code == 404


def test_it_shows_everything_about_the_ticket(agent_a, agent_b, dispatcher, team_a, customer_x, client_for, flag_type):
    ContactFlag.objects.create(contact=customer_x, flag_type=flag_type)
    earlier = _ticket(agent_a, customer_x, team_a, subject="Earlier request")
    ticket = _ticket(agent_a, customer_x, team_a)
    services.message_add(ticket=ticket, by=agent_a, body="We are on it", kind="reply")
    services.message_add(ticket=ticket, by=agent_a, body="Check the toner", kind="note")
    services.message_add(ticket=ticket, by=None, body="Still broken", kind="inbound", author_contact=customer_x)
    services.message_add(ticket=ticket, by=dispatcher, body="Secret draft", kind="reply", is_draft=True)
    services.task_create(ticket=ticket, by=agent_a, title="Replace toner", assignee=agent_a)
    services.worklog_add(ticket=ticket, by=agent_a, minutes=25, billable=True, note="On site")
    services.ticket_watch(ticket=ticket, by=agent_a)
    html = client_for(agent_a).get(reverse("helpdesk:detail", args=[ticket.pk])).content.decode()
    assert ticket.reference in html
    assert "We are on it" in html
    assert "Check the toner" in html
    assert "Still broken" in html
    assert 'data-kind="note"' in html  # notes look different
    assert "Secret draft" not in html  # someone else's draft
    assert "Replace toner" in html
    assert "25 min in total" in html
    assert "Payment arrears" in html
    assert f'href="/contacts/{customer_x.pk}/"' in html
    assert f'href="/tickets/{earlier.pk}/"' in html  # the requester's earlier requests
    assert f"/tickets/{ticket.pk}/worksheet.pdf" in html
    assert "Ticket registered" in html
    assert "Task added" in html
    assert "Unwatch" in html
    assert 'id="close-form"' not in html  # an agent can't close
    assert "Propose a resolution" in html
    dispatcher_html = client_for(dispatcher).get(reverse("helpdesk:detail", args=[ticket.pk])).content.decode()
    assert "Secret draft" in dispatcher_html  # their own draft
    assert 'id="close-form"' in dispatcher_html


def test_it_returns_parts_of_the_page_to_htmx(agent_a, team_a, customer_x, client_for):
    ticket = _ticket(agent_a, customer_x, team_a)
    services.message_add(ticket=ticket, by=agent_a, body="Hello there", kind="note")
    client = client_for(agent_a)
    url = reverse("helpdesk:detail", args=[ticket.pk])
    thread = client.get(url, {"part": "thread"}, headers={"HX-Request": "true"}).content.decode()
    assert "Hello there" in thread
    assert "<html" not in thread
    assert 'id="tasks"' not in thread
    whole = client.get(url, {"part": "nonsense"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in whole
    assert 'id="tasks"' in whole


def test_it_shows_the_detail_page_in_a_bounded_number_of_queries(
    agent_a, agent_b, dispatcher, team_a, team_b, customer_x, client_for, django_assert_max_num_queries
):
    ticket = _ticket(agent_a, customer_x, team_a)

    def grow() -> None:
        for n in range(5):
            services.message_add(ticket=ticket, by=agent_a, body=f"Message {n}", kind="note")
            services.task_create(ticket=ticket, by=agent_a, title=f"Task {n}", assignee=agent_a, mandatory=False)
            services.worklog_add(ticket=ticket, by=agent_a, minutes=10)
            _ticket(agent_a, customer_x, team_a, subject=f"Other {n}")

    grow()
    client = client_for(agent_a)
    url = reverse("helpdesk:detail", args=[ticket.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as first:
        assert client.get(url).status_code == 200
    grow()
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200  # more rows, no more queries


def test_it_shows_the_ticket_page_in_persian(agent_a, team_a, customer_x, client_for):
    agent_a.language = "fa"
    agent_a.save(update_fields=["language"])
    ticket = _ticket(agent_a, customer_x, team_a)
    moment = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # 1 Farvardin 1403, 15:30 in Tehran
    Ticket.objects.filter(pk=ticket.pk).update(created_at=moment)
    services.worklog_add(ticket=ticket, by=agent_a, minutes=45)
    html = client_for(agent_a).get(reverse("helpdesk:detail", args=[ticket.pk])).content.decode()
    assert 'dir="rtl"' in html
    assert 'lang="fa"' in html
    assert "۱ فروردین ۱۴۰۳ ۱۵:۳۰" in html
    assert "2024-03-20" not in html
    assert str(ticket.number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in html
    assert "۴۵" in html
    listing = client_for(agent_a).get(reverse("helpdesk:list")).content.decode()
    assert 'dir="rtl"' in listing


# ---------------------------------------------------------------------------------------------- the 360° page and nav


def test_it_lists_the_customers_tickets_on_the_360_page(agent_a, team_a, customer_x, client_for):
    ticket = _ticket(agent_a, customer_x, team_a, subject="Modem replacement")
    html = client_for(agent_a).get(reverse("contacts:detail", args=[customer_x.pk])).content.decode()
    assert 'id="contact-tickets"' in html
    assert "Modem replacement" in html
    assert f'href="/tickets/{ticket.pk}/"' in html
    assert f"/tickets/new/?requester={customer_x.pk}" in html
    assert 'id="nav-tickets"' in html


def test_it_hides_tickets_from_people_without_the_right(role_groups, customer_x, team_a, agent_a, client_for):
    _ticket(agent_a, customer_x, team_a, subject="Modem replacement")
    clerk = user_create(email="clerk@example.com", password="pw-Secret-123", full_name="Clerk", role_names=[])
    clerk.user_permissions.add(Permission.objects.get(codename="view_contact"))
    html = client_for(clerk).get(reverse("contacts:detail", args=[customer_x.pk])).content.decode()
    assert 'id="contact-tickets"' not in html
    assert "Modem replacement" not in html
    assert 'id="nav-tickets"' not in html


def test_it_shows_date_examples_in_the_viewers_calendar(agent_a, client_for):
    agent_a.language = "fa"
    agent_a.save(update_fields=["language"])
    html = client_for(agent_a).get(reverse("helpdesk:create")).content.decode()
    assert 'placeholder="۱۴۰۴/۰۱/۰۵"' in html  # 2025-03-25 in the Jalali calendar


def test_it_registers_an_estimate_typed_with_persian_digits(agent_a, team_a, customer_x, client_for):
    from payvand.helpdesk.models import Ticket

    response = client_for(agent_a).post(
        "/tickets/new/",
        {
            "requester": customer_x.pk,
            "subject": "Install a new line",
            "channel": "phone",
            "priority": "2",
            "team": team_a.pk,
            "estimate_minutes": "۹۰",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Install a new line")
    assert ticket.estimate_minutes == 90
    page = client_for(agent_a).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="estimate_minutes"' in page
    assert 'name="minutes"' in page
    assert 'inputmode="numeric"' in page
