"""The SLA pages: the card on the ticket page, the settings for calendars and policies, in English and Persian."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.helpdesk.tests.services_support import ticket_new
from payvand.sla import services
from payvand.sla.models import BusinessCalendar, Escalation, Holiday, SlaPolicy, Timer
from payvand.sla.tests.support import always_calendar, policy_new

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], Client]


def _week(**extra: str) -> dict[str, str]:
    """Saturday to Wednesday 08:00-16:00 and Thursday 08:00-12:00, as the form posts it."""
    data = {f"d{d}_start1": "08:00" for d in (5, 6, 0, 1, 2, 3)}
    data |= {f"d{d}_end1": "16:00" for d in (5, 6, 0, 1, 2)} | {"d3_end1": "12:00"}
    return data | extra


def test_the_ticket_page_loads_the_sla_card(client_for: ClientFor, agent_a: User, customer_x: Contact, team_a: Team):
    policy_new()
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)
    client = client_for(agent_a)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'hx-get="/sla/tickets/{ticket.pk}/card/"' in page
    response = client.get(f"/sla/tickets/{ticket.pk}/card/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="sla-clock-first_response"' in body
    assert 'id="sla-clock-resolution"' in body
    assert 'data-sla-live="1"' in body  # round the clock: always ticking
    assert "left" in body


def test_the_card_shows_breached_and_paused_clocks(
    client_for: ClientFor, agent_a: User, customer_x: Contact, team_a: Team
):
    from payvand.helpdesk import services as helpdesk
    from payvand.helpdesk.models import StatusCategory
    from payvand.helpdesk.tests.factories import status_for

    policy_new()
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)
    Timer.objects.filter(ticket=ticket, kind="first_response").update(
        used_seconds=2 * 3600, running_since=None, state="paused", breached_at=ticket.created_at
    )
    helpdesk.ticket_update(ticket=ticket, by=agent_a, status=status_for(StatusCategory.PENDING_CUSTOMER))
    body = client_for(agent_a).get(f"/sla/tickets/{ticket.pk}/card/").content.decode()
    assert "Breached" in body
    assert "overdue by 1 h 00 min" in body
    assert "Paused" in body


def test_the_card_is_404_for_those_who_cannot_see_the_ticket(
    client_for: ClientFor, agent_a: User, agent_b: User, customer_x: Contact, team_a: Team
):
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)
    assert client_for(agent_b).get(f"/sla/tickets/{ticket.pk}/card/").status_code == 404
    assert client_for(None).get(f"/sla/tickets/{ticket.pk}/card/").status_code == 302
    body = client_for(agent_a).get(f"/sla/tickets/{ticket.pk}/card/").content.decode()
    assert "No SLA policy applies" in body


def test_a_supervisor_creates_a_calendar_and_edits_its_holidays(client_for: ClientFor, supervisor: User):
    client = client_for(supervisor)
    assert client.get("/sla/calendars/new/").status_code == 200
    response = client.post(
        "/sla/calendars/new/", _week(name="Shiraz", time_zone="Asia/Tehran", country="IR"), follow=False
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    calendar = BusinessCalendar.objects.get(name="Shiraz")
    assert calendar.hours.count() == 6
    assert calendar.hours.get(weekday=3).end == dt.time(12)

    response = client.post(f"/sla/calendars/{calendar.pk}/holidays/load/", {"year": "2025"})
    assert response.status_code == 302
    assert Holiday.objects.filter(calendar=calendar, date=dt.date(2025, 3, 21)).exists()
    response = client.post(f"/sla/calendars/{calendar.pk}/holidays/", {"date": "2025-07-01", "name": "Inventory"})
    assert response.status_code == 302
    holiday = Holiday.objects.get(calendar=calendar, name="Inventory")
    page = client.get(f"/sla/calendars/{calendar.pk}/?year=2025").content.decode()
    assert "Inventory" in page
    assert client.post(f"/sla/calendars/{calendar.pk}/holidays/{holiday.pk}/delete/").status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    assert "Shiraz" in client.get("/sla/calendars/").content.decode()
    assert client.post(f"/sla/calendars/{calendar.pk}/delete/").status_code == 302
    assert not BusinessCalendar.objects.filter(pk=calendar.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_week(name="", time_zone="Asia/Tehran"), "name"),
        (_week(name="X", time_zone="Moon/Base"), "time_zone"),
        (_week(name="X", time_zone="UTC", d0_end1="07:00"), "d0_end1"),
        (_week(name="X", time_zone="UTC", d4_start1="09:00"), "d4_end1"),
        (_week(name="X", time_zone="UTC", d0_start2="15:00", d0_end2="17:00"), "d0_start2"),
        ({"name": "X", "time_zone": "UTC"}, None),
        (_week(name="X", time_zone="UTC", d0_start1="25:00"), "d0_start1"),
    ],
)
def test_bad_calendars_are_form_errors(client_for: ClientFor, supervisor: User, data: dict[str, str], field: Any):
    response = client_for(supervisor).post("/sla/calendars/new/", data)
    assert response.status_code in (200, 422)
    form = response.context["form"]
    assert form.errors
    if field:
        assert field in form.errors, form.errors
    else:
        assert form.non_field_errors()
    assert not BusinessCalendar.objects.filter(name="X").exists()


def test_bad_holidays_are_form_errors(client_for: ClientFor, supervisor: User):
    calendar = always_calendar()
    client = client_for(supervisor)
    response = client.post(f"/sla/calendars/{calendar.pk}/holidays/", {"date": "yesterday", "name": "X"})
    assert response.status_code == 422
    assert "date" in response.context["holiday_form"].errors
    response = client.post(f"/sla/calendars/{calendar.pk}/holidays/load/", {"year": "2025"})  # no country
    assert response.status_code == 422
    assert response.context["load_form"].errors
    response = client.post(f"/sla/calendars/{calendar.pk}/holidays/load/", {"year": "99"})
    assert response.status_code == 422
    assert not Holiday.objects.filter(calendar=calendar).exists()
    assert client.post(f"/sla/calendars/{calendar.pk}/holidays/999999/delete/").status_code == 404


def test_a_calendar_in_use_is_not_deleted(client_for: ClientFor, supervisor: User):
    policy = policy_new()
    response = client_for(supervisor).post(f"/sla/calendars/{policy.calendar_id}/delete/")
    assert response.status_code == 409
    assert 'id="calendar-error"' in response.content.decode()
    assert BusinessCalendar.objects.filter(pk=policy.calendar_id).exists()


def test_a_supervisor_builds_a_policy_with_escalations(client_for: ClientFor, supervisor: User, team_b: Team):
    calendar = always_calendar()
    client = client_for(supervisor)
    assert client.get("/sla/policies/new/").status_code == 200
    data = {
        "name": "Gold",
        "calendar": str(calendar.pk),
        "order": "10",
        "is_active": "on",
        "priorities": ["3", "4"],
        "channels": ["phone"],
        "first_response_minutes": "30",
        "resolution_minutes": "480",
        "warning_percent": "75",
        "e0_on": "warning",
        "e0_action": "notify_assignee",
        "e1_on": "breach",
        "e1_kind": "resolution",
        "e1_action": "refer",
        "e1_team": str(team_b.pk),
    }
    response = client.post("/sla/policies/new/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    policy = SlaPolicy.objects.get(name="Gold")
    assert policy.priorities == [3, 4]
    assert policy.escalations.get(action=Escalation.Action.REFER).team == team_b
    page = client.get("/sla/policies/").content.decode()
    assert "Gold" in page
    assert "30 min" in page
    assert "8 h 00 min" in page
    edit = client.get(f"/sla/policies/{policy.pk}/")
    assert team_b.pk in edit.context["form"].initial.values()
    data["e1_team"] = ""
    response = client.post(f"/sla/policies/{policy.pk}/", data)
    assert response.status_code == 422
    assert "e1_team" in response.context["form"].errors
    assert client.post(f"/sla/policies/{policy.pk}/delete/").status_code == 302
    assert not SlaPolicy.objects.exists()


def test_agents_and_outsiders_cannot_open_the_settings(client_for: ClientFor, agent_a: User, outsider: User):
    policy = policy_new()
    for user in (agent_a, outsider):
        client = client_for(user)
        for url in ("/sla/calendars/", "/sla/calendars/new/", "/sla/policies/", f"/sla/policies/{policy.pk}/"):
            assert client.get(url).status_code == 403, url
        assert client.post(f"/sla/policies/{policy.pk}/delete/").status_code == 403
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert client_for(None).get("/sla/policies/").status_code == 302


def test_the_calendar_page_in_persian_shows_the_jalali_year(client_for: ClientFor, supervisor: User):
    supervisor.language = "fa"
    supervisor.save(update_fields=["language"])
    calendar = services.calendar_create(
        by=None,
        name="Tehran",
        time_zone="Asia/Tehran",
        country="IR",
        hours=[services.HoursIn(5, dt.time(8), dt.time(16))],
    )
    services.holiday_add(calendar=calendar, by=None, date=dt.date(2025, 3, 21), name="Nowruz")
    client = client_for(supervisor)
    response = client.get(f"/sla/calendars/{calendar.pk}/?year=1404", headers={"Accept-Language": "fa"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' in body
    assert "۱۴۰۴" in body
    assert "فروردین" in body  # 1 Farvardin 1404
    # A Jalali year loads the Gregorian years it spans.
    client.post(f"/sla/calendars/{calendar.pk}/holidays/load/", {"year": "1404"})
    dates = set(Holiday.objects.filter(calendar=calendar).values_list("date", flat=True))
    assert any(d.year == 2026 for d in dates)
    assert any(d.year == 2025 for d in dates)
    # And a Jalali date typed with Persian digits is understood.
    client.post(f"/sla/calendars/{calendar.pk}/holidays/", {"date": "۱۴۰۴/۰۵/۰۱", "name": "Ours"})
    assert Holiday.objects.get(calendar=calendar, name="Ours").date == dt.date(2025, 7, 23)


def test_the_compliance_reports_count_met_and_breached_clocks(
    client_for: ClientFor, supervisor: User, agent_a: User, customer_x: Contact, team_a: Team
):
    from payvand.helpdesk import services as helpdesk

    policy_new()
    late = ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)
    services.sla_tick(now=late.created_at + dt.timedelta(hours=2))  # first response breached
    quick = ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)
    helpdesk.message_add(ticket=quick, by=agent_a, body="On it")  # met
    client = client_for(supervisor)
    response = client.get("/reports/sla_per_team/")
    assert response.status_code == 200
    rows = {r["team"]: r for r in response.context["result"].rows}
    assert rows["Team A"]["met"] == 1
    assert rows["Team A"]["breached"] == 1
    assert rows["Team A"]["compliance"] == 50.0
    assert rows["all"]["timers"] == 4
    api = client.get("/api/v1/reports/sla_per_agent")
    assert api.status_code == 200
    agent_row = next(r for r in api.json()["rows"] if r["user_id"] == agent_a.pk)
    assert (agent_row["met"], agent_row["breached"]) == (1, 1)
    policy_rows = client.get("/api/v1/reports/sla_per_policy").json()["rows"]
    assert {r["kind"] for r in policy_rows} >= {"First response", "Resolution"}
    assert client_for(agent_a).get("/reports/sla_per_team/").status_code == 403


def test_a_calendar_starts_from_the_iran_or_hungary_template(client_for: ClientFor, supervisor: User, agent_a: User):
    client = client_for(supervisor)
    response = client.post("/sla/calendars/templates/iran/")
    assert response.status_code == 302
    iran = BusinessCalendar.objects.get(name="Iran (Tehran)")
    assert (iran.time_zone, iran.country) == ("Asia/Tehran", "IR")
    assert sorted(iran.hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 5, 6]  # no Friday
    assert iran.hours.get(weekday=3).end == dt.time(12)
    assert client.post("/sla/calendars/templates/hungary/").status_code == 302
    assert sorted(BusinessCalendar.objects.get(country="HU").hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    again = client.post("/sla/calendars/templates/iran/")
    assert again.status_code == 422
    assert 'id="calendar-error"' in again.content.decode()
    assert client.post("/sla/calendars/templates/mars/").status_code == 422
    assert client_for(agent_a).post("/sla/calendars/templates/iran/").status_code == 403
    assert BusinessCalendar.objects.count() == 2
