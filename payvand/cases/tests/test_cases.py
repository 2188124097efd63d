"""Guided cases (R-001.6): a template (type form + team, priority, tasks by role or skill, tags) started for a contact
from the 360° page, the call banner or the API creates one ticket with its tasks; bad answers create nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payvand.cases.models import CaseTaskTemplate, CaseTemplate
from payvand.core.models import Event
from payvand.helpdesk.models import Channel, Task, Ticket
from payvand.telephony.models import Call

START = "/api/v1/cases/start"


def test_it_starts_a_case_over_the_api(api_for, agent_a, customer_x, missed_collection, field_team, field_agents):
    driver, field_agent = field_agents
    api = api_for(agent_a)
    listed = api.get("/api/v1/cases/templates").json()
    assert [t["button"] for t in listed] == ["Report a missed collection"]
    assert [k["title"] for k in listed[0]["tasks"]] == ["Send a truck", "Call the customer back", "Check the route"]
    r = api.post(
        START,
        {
            "template_id": missed_collection.pk,
            "contact_id": customer_x.pk,
            "values": {"address": "Valiasr 12", "bins": 2},
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    ticket = Ticket.objects.get(pk=r.json()["ticket_id"])
    assert ticket.requester == customer_x
    assert ticket.team == field_team
    assert ticket.priority == 3
    assert ticket.type == missed_collection.ticket_type
    assert ticket.form_values == {"address": "Valiasr 12", "bins": 2}
    assert ticket.channel == Channel.WEB
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["collection"]
    tasks = {t.title: t for t in Task.objects.filter(ticket=ticket)}
    assert tasks["Send a truck"].assignee == driver  # by skill
    assert tasks["Call the customer back"].assignee == field_agent  # by role
    assert tasks["Check the route"].assignee is None
    assert tasks["Check the route"].team == field_team
    assert tasks["Check the route"].mandatory is False
    assert Event.objects.filter(verb="case.started", contact=customer_x).exists()


@pytest.mark.parametrize(
    "values",
    [
        {},  # the required answer is missing
        {"address": "Valiasr 12", "bins": 0},
        {"address": "Valiasr 12", "bins": "many"},
        {"address": "Valiasr 12", "unknown": 1},
    ],
)
def test_bad_answers_are_a_422_and_create_nothing(api_for, agent_a, customer_x, missed_collection, values):
    r = api_for(agent_a).post(
        START,
        {"template_id": missed_collection.pk, "contact_id": customer_x.pk, "values": values},
        content_type="application/json",
    )
    assert r.status_code == 422, r.content
    assert r.json()["errors"]
    assert not Ticket.objects.exists()
    assert not Task.objects.exists()


def test_unknown_inactive_or_forbidden(api_for, agent_a, outsider, customer_x, missed_collection):
    api = api_for(agent_a)
    body = {"template_id": missed_collection.pk, "contact_id": customer_x.pk, "values": {"address": "A"}}
    assert api.post(START, {**body, "template_id": 10**9}, content_type="application/json").status_code == 404
    assert api.post(START, {**body, "contact_id": 10**9}, content_type="application/json").status_code == 404
    assert api.post(START, {**body, "call_id": 10**9}, content_type="application/json").status_code == 404
    assert api.post(START, {**body, "template_id": 0}, content_type="application/json").status_code == 422
    assert api_for(outsider).post(START, body, content_type="application/json").status_code == 403
    assert api_for(outsider).get("/api/v1/cases/templates").status_code == 403
    missed_collection.is_active = False
    missed_collection.save(update_fields=["is_active"])
    assert api.post(START, body, content_type="application/json").status_code == 404
    assert api.get("/api/v1/cases/templates").json() == []
    assert not Ticket.objects.exists()


def test_the_360_page_has_the_button_and_the_form_creates_the_ticket(
    client_for, agent_a, customer_x, missed_collection
):
    client = client_for(agent_a)
    html = client.get(reverse("contacts:detail", args=[customer_x.pk])).content.decode()
    url = reverse("cases:start", args=[missed_collection.pk, customer_x.pk])
    assert 'id="contact-cases"' in html
    assert url in html
    assert "Report a missed collection" in html
    page = client.get(url).content.decode()
    assert 'name="fv-address"' in page
    bad = client.post(url, {"fv-bins": "3"})
    assert bad.status_code == 422
    assert 'value="3"' in bad.content.decode()  # the answers are kept
    assert not Ticket.objects.exists()
    ok = client.post(url, {"fv-address": "Valiasr 12", "fv-bins": "۳"})
    assert ok.status_code == 302
    ticket = Ticket.objects.get()
    assert ok["Location"] == reverse("contacts:detail", args=[customer_x.pk])  # routed to a team A is not in
    assert ticket.form_values == {"address": "Valiasr 12", "bins": 3}
    assert ticket.tasks.count() == 3


def test_from_the_call_banner_the_ticket_has_the_phone_channel_and_the_call(
    client_for, post_event, agent_a, customer_x, missed_collection
):
    agent_a.extension = "201"
    agent_a.save(update_fields=["extension"])
    post_event("ringing", call_id="case-1", caller="09121234567", extension="201")
    call = Call.objects.get(call_id="case-1")
    client = client_for(agent_a)
    banner = client.get(reverse("telephony:pop", args=[call.pk])).content.decode()
    url = reverse("cases:start", args=[missed_collection.pk, customer_x.pk])
    assert 'id="call-banner-cases"' in banner
    assert f"{url}?call={call.pk}" in banner
    assert client.get(f"{url}?call={call.pk}").status_code == 200
    r = client.post(url, {"call": call.pk, "fv-address": "Valiasr 12"})
    assert r.status_code == 302
    # routed to Field service, which agent A is not in: back to the 360° page
    assert r["Location"] == reverse("contacts:detail", args=[customer_x.pk])
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PHONE
    call.refresh_from_db()
    assert call.ticket == ticket


def test_the_banner_leaves_out_the_balance(client_for, post_event, agent_a, customer_x):
    agent_a.extension = "201"
    agent_a.save(update_fields=["extension"])
    post_event("ringing", call_id="bal-1", caller="09121234567", extension="201")
    call = Call.objects.get(call_id="bal-1")
    banner = client_for(agent_a).get(reverse("telephony:pop", args=[call.pk])).content.decode().lower()
    assert "balance" not in banner
    assert "invoice" not in banner


def test_a_case_for_the_agents_own_team_opens_the_ticket(client_for, agent_a, team_a, customer_x, missed_collection):
    missed_collection.team = team_a
    missed_collection.save(update_fields=["team"])
    url = reverse("cases:start", args=[missed_collection.pk, customer_x.pk])
    r = client_for(agent_a).post(url, {"fv-address": "Valiasr 12"})
    ticket = Ticket.objects.get()
    assert r["Location"] == reverse("helpdesk:detail", args=[ticket.pk])
    assert ticket.team == team_a


def test_the_list_page(client_for, admin_user, agent_a, outsider, missed_collection):
    html = client_for(admin_user).get(reverse("cases:list")).content.decode()
    assert 'id="nav-cases"' in html
    assert "Report a missed collection" in html
    assert "Send a truck" in html
    assert reverse("cases:template", args=[missed_collection.pk]) in html
    assert "Report a missed collection" in client_for(agent_a).get(reverse("cases:list")).content.decode()
    assert client_for(outsider).get(reverse("cases:list")).status_code == 403


def test_the_template_list_takes_the_same_queries_for_1_or_5(api_for, agent_a, missed_collection):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_for(agent_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            assert api.get("/api/v1/cases/templates").status_code == 200
        return len(q)

    count()  # warm: the first request of a session also loads the user's permissions
    one = count()
    for n in range(4):
        t = CaseTemplate.objects.create(name=f"Case {n}", button=f"Case {n}", ticket_type=missed_collection.ticket_type)
        CaseTaskTemplate.objects.create(template=t, title="Do it", skill=missed_collection.tasks.first().skill)
    assert count() == one
